"""Products: the catalogue line items are priced from."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping

from . import money
from .accounts import Record
from .fields import Spec, flag, parse, text

PRODUCT = Spec(
    checkers={"name": text(200), "code": text(64), "description": text(10_000), "family": text(100),
              "list_price": lambda value: value, "active": flag},  # list_price: checked by parse_price
    required=("name", "list_price"),
    clearable=("code", "description", "family"),
)


@dataclass(frozen=True)
class Product(Record):
    id: str
    name: str
    code: str | None
    description: str | None
    family: str | None
    list_price: Decimal
    currency: str
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


def parse_product(values: Mapping[str, Any], *, clear=(), new: bool) -> dict[str, Any]:
    """Clean product values; `list_price` ({"amount", "currency"}) becomes list_price and currency."""
    problems: dict[str, str] = {}
    price = values.get("list_price")
    clean_price: dict[str, Any] = {}
    if price is not None:
        try:
            clean_price["currency"] = money.currency(price.get("currency"))
        except ValueError as why:
            problems["list_price.currency"] = str(why)
        try:
            amount = money.decimal(price.get("amount"))
            if "currency" in clean_price:
                clean_price["list_price"] = money.exact(amount, clean_price["currency"])
        except ValueError as why:
            problems["list_price.amount"] = str(why)
    clean = parse(PRODUCT, values, clear=clear, new=new, problems=problems)
    clean.pop("list_price", None)
    return {**clean, **clean_price}
