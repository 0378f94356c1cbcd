"""The forecast settings document: {fiscal_year_start_month (1-12), currency (ISO 4217,
every number is in it), rates {currency: what one unit of it is worth in `currency`, as
a decimal string}}. A deal in a currency with no rate is left out of the numbers and
listed as unconverted, never summed at a guessed rate."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from . import money, periods

DEFAULT = {"fiscal_year_start_month": 1, "currency": "USD", "rates": {}}


@dataclass(frozen=True)
class Settings:
    fiscal_year_start_month: int
    currency: str
    rates: dict[str, Decimal]
    version: int = 0  # 0: the built-in default, never saved
    updated_at: datetime | None = None
    updated_by: str | None = None

    def document(self) -> dict[str, Any]:
        return {"fiscal_year_start_month": self.fiscal_year_start_month, "currency": self.currency,
                "rates": {code: format(rate, "f") for code, rate in sorted(self.rates.items())}}


def parse(document: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """(the document with defaults for what it leaves out, problems naming each bad part)."""
    if not isinstance(document, dict):
        return dict(DEFAULT), {"document": "must be an object"}
    problems = {name: "unknown field" for name in document if name not in DEFAULT}
    checked = {**DEFAULT, **{name: value for name, value in document.items() if name in DEFAULT}}
    try:
        periods.check_start_month(checked["fiscal_year_start_month"])
    except ValueError as why:
        problems["fiscal_year_start_month"] = str(why)
    try:
        money.currency(checked["currency"])
    except ValueError as why:
        problems["currency"] = str(why)
    rates = checked["rates"]
    if not isinstance(rates, dict):
        problems["rates"] = 'must be an object such as {"EUR": "1.08"}'
    else:
        for code, rate in rates.items():
            try:
                money.currency(code)
                money.rate(rate)
            except ValueError as why:
                problems[f"rates.{code}"] = str(why)
            if code == checked["currency"]:
                problems[f"rates.{code}"] = "is the forecast currency itself"
    return checked, problems


def from_document(document: dict[str, Any], **meta: Any) -> Settings:
    """Settings from a document that `parse` found sound."""
    return Settings(document["fiscal_year_start_month"], document["currency"],
                    {code: Decimal(rate) for code, rate in document["rates"].items()}, **meta)
