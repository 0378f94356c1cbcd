"""Exact money in the forecast: whole minor units of an ISO 4217 currency inside,
decimal strings outside. Never a float."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

# Currencies whose minor unit is not a hundredth (ISO 4217); every other one has 2 digits.
MINOR_DIGITS = {"BIF": 0, "CLP": 0, "ISK": 0, "JPY": 0, "KRW": 0, "PYG": 0, "UGX": 0, "VND": 0, "XAF": 0,
                "XOF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,6})?$")  # non-negative
_RATE = re.compile(r"^\d{1,9}(\.\d{1,12})?$")


def digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency, 2)


def currency(value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise ValueError("must be an ISO 4217 currency code such as USD")
    return value


def amount_minor(value: Any, currency_code: str) -> int:
    """A client's amount (a non-negative decimal string, no more decimals than the
    currency has) in minor units."""
    if not isinstance(value, str) or not _AMOUNT.match(value):
        raise ValueError('must be a decimal string such as "1234.50", not negative and never a number')
    amount = Decimal(value)
    minor = amount.scaleb(digits(currency_code))
    if minor != minor.to_integral_value():
        raise ValueError(f"has more decimals than {currency_code} allows ({digits(currency_code)})")
    return int(minor)


def rate(value: Any) -> Decimal:
    """An exchange rate: a positive decimal string."""
    if not isinstance(value, str) or not _RATE.match(value) or Decimal(value) == 0:
        raise ValueError('must be a positive decimal string such as "1.08"')
    return Decimal(value)


def text(minor: int, currency_code: str) -> str:
    return format(Decimal(minor).scaleb(-digits(currency_code)), "f")


def convert(minor: int, source: str, target: str, rates: Mapping[str, Decimal]) -> int | None:
    """`minor` units of `source` in minor units of `target`, rounded half-up; None
    when there is no rate from `source` (rates say what one unit of a currency is
    worth in `target`)."""
    if source == target:
        return minor
    if source not in rates:
        return None
    units = Decimal(minor).scaleb(-digits(source)) * rates[source]
    return int(units.scaleb(digits(target)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
