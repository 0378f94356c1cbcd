"""Checking what a client sent to the forecasts: each check adds to `problems` (field ->
why) so that one answer names every bad field; `invalid` makes that answer."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Any, Mapping

from tandem_plumbing.failures import Failure

from . import money, periods
from .forecasts import NUMBERS

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
MAX_REASON = 1000


def invalid(problems: Mapping[str, str]) -> Failure:
    return Failure("invalid", "validation_failed", "the request has invalid fields", {"fields": dict(problems)})


def period(value: Any, start_month: int, problems: dict[str, str], name: str = "period") -> periods.Period | None:
    if value is None or value == "":
        problems[name] = "is required"
        return None
    try:
        return periods.parse(value, start_month)
    except ValueError as why:
        problems[name] = str(why)
        return None


def category(value: Any, problems: dict[str, str], *, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            problems["category"] = "is required"
        return None
    if value not in NUMBERS:
        problems["category"] = f"must be one of {', '.join(NUMBERS)}"
        return None
    return value


def user_id(value: Any, problems: dict[str, str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems["user_id"] = "is required"
        return None
    return value


def amount(value: Any, currency: str, problems: dict[str, str]) -> int | None:
    """Minor units of the forecast currency."""
    try:
        return money.amount_minor(value, currency)
    except ValueError as why:
        problems["amount"] = str(why)
        return None


def reason(value: Any, problems: dict[str, str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems["reason"] = "is required: say why the number is changed"
        return None
    if len(value) > MAX_REASON:
        problems["reason"] = f"must be at most {MAX_REASON} characters"
        return None
    return value.strip()


def limit_of(page_size: int) -> int:
    return DEFAULT_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)


def encode_token(close_date: date, opportunity_id: str) -> str:
    raw = json.dumps([close_date.isoformat(), opportunity_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, problems: dict[str, str]) -> tuple[date, str] | None:
    """The (close_date, id) the page before ended at; None for the first page."""
    if not token:
        return None
    try:
        keys = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return date.fromisoformat(keys[0]), str(keys[1])
    except (binascii.Error, ValueError, TypeError, KeyError, IndexError):
        problems["page_token"] = "is not a token this API returned"
        return None
