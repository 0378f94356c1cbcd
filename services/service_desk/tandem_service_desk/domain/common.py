"""Who may do what, how a request is refused, and the small checks every input shares."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from tandem_plumbing.failures import Failure  # a refusal; rpc_method carries it to the gateway

ADMIN, SERVICE_AGENT = "admin", "service_agent"
# Who works cases, writes comments, refers upsells and sees internal comments.
STAFF_ROLES = frozenset({SERVICE_AGENT, ADMIN})

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Actor:
    """The user a request comes from (the gateway vouches for them)."""

    user_id: str
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


def invalid(fields: Mapping[str, str]) -> Failure:
    return Failure("invalid", "validation_failed", "the request has invalid fields", {"fields": dict(fields)})


def not_found(what: str) -> Failure:
    return Failure("not_found", "not_found", f"no such {what}")


def stale(what: str, current_version: int) -> Failure:
    return Failure("stale", "version_mismatch", f"the {what} changed since you read it; read it again",
                   {"current_version": current_version})


def require_staff(actor: Actor, doing: str) -> None:
    if not actor.is_staff:
        raise Failure("forbidden", "forbidden", f"only service agents and admins may {doing}")


def utc(moment: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive datetimes; they were stored as UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def rfc3339(moment: datetime) -> str:
    return utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Fields:
    """Reads a request's fields, collecting every problem before refusing (one 400
    names each bad field). Blank optional text counts as absent."""

    def __init__(self, values: Mapping[str, Any], prefix: str = "") -> None:
        self.values, self.prefix = values, prefix
        self.problems: dict[str, str] = {}

    def problem(self, name: str, text: str) -> None:
        self.problems[self.prefix + name] = text

    def text(self, name: str, max_length: int, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is not None and not isinstance(value, str):
            self.problem(name, "must be a string")
            return None
        value = (value or "").strip()
        if not value:
            if required:
                self.problem(name, "is required")
            return None
        if len(value) > max_length:
            self.problem(name, f"must be at most {max_length} characters")
            return None
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.values.get(name)
        if value not in choices:
            self.problem(name, f"must be one of {', '.join(choices)}")
            return None
        return value

    def email(self, name: str) -> str | None:
        value = self.text(name, 320, required=True)
        if value is not None and not _EMAIL.match(value):
            self.problem(name, "must be a valid email address")
            return None
        return value

    def merge(self, other: "Fields") -> None:
        self.problems.update(other.problems)

    def check(self) -> None:
        if self.problems:
            raise invalid(self.problems)
