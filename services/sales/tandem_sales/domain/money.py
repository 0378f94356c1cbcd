"""Exact money: Decimal amounts in an ISO 4217 currency, rounded half-up to the
currency's minor unit; stored as whole minor units. Never a float."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DEFAULT_CURRENCY = "USD"
# Currencies whose minor unit is not a hundredth (ISO 4217); every other one has 2 digits.
MINOR_DIGITS = {"BIF": 0, "CLP": 0, "ISK": 0, "JPY": 0, "KRW": 0, "PYG": 0, "UGX": 0, "VND": 0, "XAF": 0,
                "XOF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_DECIMAL = re.compile(r"^\d{1,15}(\.\d{1,6})?$")  # non-negative; an amount never needs more
HUNDRED = Decimal(100)


def digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency, 2)


def currency(value: Any) -> str:
    """A checker (domain.fields): an ISO 4217 code, upper case."""
    if not isinstance(value, str) or not _CURRENCY.match(value.strip().upper()):
        raise ValueError("must be an ISO 4217 currency code such as USD")
    return value.strip().upper()


def decimal(value: Any) -> Decimal:
    """A checker: a non-negative decimal string such as "1234.50"."""
    if not isinstance(value, str) or not _DECIMAL.match(value.strip()):
        raise ValueError('must be a decimal string such as "1234.50", not negative')
    return Decimal(value.strip())


def rounded(amount: Decimal, currency_code: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-digits(currency_code)), rounding=ROUND_HALF_UP)


def exact(amount: Decimal, currency_code: str) -> Decimal:
    """An amount a client gave: it may not have more decimals than its currency has."""
    if rounded(amount, currency_code) != amount:
        raise ValueError(f"has more decimals than {currency_code} allows ({digits(currency_code)})")
    return rounded(amount, currency_code)


def to_minor(amount: Decimal, currency_code: str) -> int:
    return int(rounded(amount, currency_code).scaleb(digits(currency_code)))


def from_minor(minor: int, currency_code: str) -> Decimal:
    return rounded(Decimal(minor).scaleb(-digits(currency_code)), currency_code)


def text(amount: Decimal) -> str:
    return format(amount, "f")


def line_total(quantity: Decimal, unit_price: Decimal, discount: Decimal, currency_code: str) -> Decimal:
    """quantity x unit price x (1 - discount/100), rounded half-up to the minor unit."""
    return rounded(quantity * unit_price * (HUNDRED - discount) / HUNDRED, currency_code)
