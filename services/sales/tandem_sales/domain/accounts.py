"""Accounts (the companies sold to) and their contacts: the values they accept.
Accounts form a hierarchy through `parent_id`, never a cycle."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Callable, Mapping

from .fields import IDENTIFIER, Spec, count, country, domain, email, text

PHONE = text(50)  # free text: extensions, notes ("ask for Ann")

MAX_EMPLOYEES = 10_000_000

ACCOUNT = Spec(
    checkers={"name": text(200), "domain": domain, "industry": text(100), "employees": count(MAX_EMPLOYEES),
              "country": country, "website": text(500), "phone": PHONE, "description": text(10_000),
              "owner_id": IDENTIFIER, "parent_id": IDENTIFIER},
    required=("name",),
    clearable=("domain", "industry", "employees", "country", "website", "phone", "description", "parent_id"),
)

CONTACT = Spec(
    checkers={"account_id": IDENTIFIER, "first_name": text(100), "last_name": text(100), "email": email,
              "phone": PHONE, "title": text(200), "owner_id": IDENTIFIER},
    required=("first_name", "last_name"),
    clearable=("account_id", "email", "phone", "title"),
)


class Record:
    """What accounts, contacts and products share: a version, and changes as a new record."""

    id: str
    version: int
    updated_at: datetime

    def with_changes(self, **values: Any):
        return replace(self, **values)

    def differences(self, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
        """{field: (now, then)} for the values that differ from this record's."""
        return {name: (getattr(self, name), value) for name, value in values.items() if getattr(self, name) != value}


@dataclass(frozen=True)
class Account(Record):
    id: str
    name: str
    domain: str | None
    industry: str | None
    employees: int | None
    country: str | None
    website: str | None
    phone: str | None
    description: str | None
    owner_id: str
    parent_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    def snapshot(self) -> dict[str, Any]:
        """The catalogue's AccountSnapshot."""
        return {name: getattr(self, name) for name in (
            "id", "version", "name", "domain", "industry", "employees", "country", "owner_id", "parent_id")}


@dataclass(frozen=True)
class Contact(Record):
    id: str
    account_id: str | None
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    title: str | None
    owner_id: str
    lead_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    def snapshot(self) -> dict[str, Any]:
        """The catalogue's ContactSnapshot."""
        return {name: getattr(self, name) for name in (
            "id", "version", "account_id", "first_name", "last_name", "email", "phone", "title", "owner_id",
            "lead_id")}


def column_names(record_class: type) -> list[str]:
    return [field.name for field in fields(record_class)]


def makes_cycle(account_id: str, parent_id: str, parent_of: Callable[[str], str | None]) -> bool:
    """Whether giving `account_id` the parent `parent_id` would make the hierarchy loop;
    `parent_of(id)` is an account's parent."""
    seen, current = set(), parent_id
    while current is not None and current not in seen:
        if current == account_id:
            return True
        seen.add(current)
        current = parent_of(current)
    return False
