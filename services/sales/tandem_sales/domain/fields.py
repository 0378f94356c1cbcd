"""Checking what a client sent. Each checker turns a raw value into a clean one or
raises ValueError saying why not; `parse` runs them over a request and reports every
bad field at once (`Failure("invalid", ...)` with `details.fields`), so a client fixes
a request in one round trip.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from tandem_plumbing.failures import Failure

Checker = Callable[[Any], Any]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def invalid(fields: Mapping[str, str], message: str = "the request has invalid fields") -> Failure:
    return Failure("invalid", "validation_failed", message, {"fields": dict(fields)})


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def text(max_length: int) -> Checker:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return value
    return check


IDENTIFIER = text(64)


def email(value: Any) -> str:
    value = text(320)(value).lower()  # addresses are matched case-insensitively everywhere
    if not _EMAIL.match(value):
        raise ValueError("must be an email address")
    return value


def domain(value: Any) -> str:
    """A company's web domain, lower case, e.g. "acme.com" (a scheme, "www." and a path are dropped)."""
    value = text(253)(value).lower()
    value = re.sub(r"^[a-z]+://", "", value).split("/", 1)[0].removeprefix("www.")
    if not _DOMAIN.match(value):
        raise ValueError("must be a domain such as acme.com")
    return value


def country(value: Any) -> str:
    value = text(2)(value)
    if not _COUNTRY.match(value):
        raise ValueError("must be an ISO 3166-1 alpha-2 code such as US")
    return value.upper()


def count(maximum: int) -> Checker:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not 0 <= value <= maximum:
            raise ValueError(f"must be between 0 and {maximum}")
        return value
    return check


def day(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date YYYY-MM-DD") from None


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


@dataclass(frozen=True)
class Spec:
    """The fields a client writes on one kind of record."""

    checkers: Mapping[str, Checker]
    required: tuple[str, ...] = ()  # on creation
    clearable: tuple[str, ...] = ()  # optional: may be set to null


def parse(spec: Spec, values: Mapping[str, Any], *, clear: Iterable[str] = (), new: bool,
          problems: dict[str, str] | None = None) -> dict[str, Any]:
    """The clean values (cleared fields as None). `new`: a creation, where the required
    fields must be given. Raises invalid naming each bad field, with `problems` found
    before (e.g. by the caller) in the same answer."""
    problems = dict(problems or {})
    clean: dict[str, Any] = {}
    for name, value in values.items():
        checker = spec.checkers.get(name)
        if checker is None:
            problems[name] = "unknown field"
            continue
        try:
            clean[name] = checker(value)
        except ValueError as why:
            problems[name] = str(why)
    for name in clear:
        if name in values:
            problems[name] = "is both given and cleared"
        elif name not in spec.checkers:
            problems[name] = "unknown field"
        elif name not in spec.clearable:
            problems[name] = "cannot be cleared"
        else:
            clean[name] = None
    if new:
        for name in spec.required:
            if name not in values:
                problems[name] = "is required"
    if problems:
        raise invalid(problems)
    return clean
