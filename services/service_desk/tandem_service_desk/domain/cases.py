"""Cases: what a request may say, how a case changes, what its history records.

A case is numbered when it opens, owned by a service agent (or admin), and moves
`new -> working | escalated -> closed`; it never goes back to `new`. Closing sets
`resolved_at`; reopening (any other status) clears it. The first public comment is
the first response and moves a `new` case to `working`. Changing the priority
recomputes both due times from the creation time.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Mapping, Sequence

from . import sla
from .common import STAFF_ROLES, Failure, Fields, rfc3339

NEW, WORKING, ESCALATED, CLOSED = "new", "working", "escalated", "closed"
STATUSES = (NEW, WORKING, ESCALATED, CLOSED)
PRIORITIES = sla.PRIORITIES
ORIGINS = ("email", "phone", "web", "chat")

MAX_SUBJECT, MAX_DESCRIPTION, MAX_ID, MAX_COMMENT = 300, 20_000, 64, 20_000
MAX_NAME, MAX_PHONE, MAX_COMPANY = 200, 50, 200

PATCHABLE = ("subject", "description", "status", "priority", "origin", "account_id", "contact", "owner_id")
NULLABLE = ("description", "account_id", "contact", "owner_id")


def format_number(n: int) -> str:
    """The case number people read and say: zero-padded, e.g. 00001042."""
    return f"{n:08d}"


def may_own_cases(role: str, active: bool) -> bool:
    return active and role in STAFF_ROLES


def next_in_rotation(agent_ids: Sequence[str], last: str | None) -> str | None:
    """Round-robin: the first agent (in id order) after the one served last, wrapping
    around; each active agent gets one case per turn, new ones join at their place."""
    ordered = sorted(agent_ids)
    if not ordered:
        return None
    return next((agent for agent in ordered if last is not None and agent > last), ordered[0])


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str | None = None
    company: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "phone": self.phone, "company": self.company}


@dataclass(frozen=True)
class Case:
    id: str
    number: int
    subject: str
    description: str | None
    status: str
    priority: str
    origin: str
    account_id: str | None
    contact: Contact | None
    owner_id: str | None
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None
    resolved_at: datetime | None
    escalated_for: str | None  # the worst breach it was escalated for (sla.FIRST_RESPONSE / RESOLUTION)
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def display_number(self) -> str:
        return format_number(self.number)

    @property
    def clocks(self) -> sla.Clocks:
        return sla.Clocks(self.created_at, self.first_response_due, self.resolution_due, self.first_responded_at,
                          self.resolved_at)

    def touched(self, now: datetime, **changes: Any) -> "Case":
        """The case with `changes`, a new version and `updated_at`; itself when nothing changes."""
        if all(getattr(self, name) == value for name, value in changes.items()):
            return self
        return replace(self, **changes, updated_at=now, version=self.version + 1)


@dataclass(frozen=True)
class NewCase:
    subject: str
    description: str | None
    priority: str
    origin: str
    account_id: str | None
    contact: Contact | None
    owner_id: str | None


def _contact(reader: Fields, name: str) -> Contact | None:
    value = reader.values.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        reader.problem(name, "must be an object")
        return None
    inner = Fields(value, prefix=f"{reader.prefix}{name}.")
    contact_name = inner.text("name", MAX_NAME, required=True)
    email = inner.email("email")
    phone = inner.text("phone", MAX_PHONE)
    company = inner.text("company", MAX_COMPANY)
    reader.merge(inner)
    return Contact(contact_name, email, phone, company) if not inner.problems else None


def parse_new_case(values: Mapping[str, Any]) -> NewCase:
    reader = Fields(values)
    new = NewCase(
        subject=reader.text("subject", MAX_SUBJECT, required=True),
        description=reader.text("description", MAX_DESCRIPTION),
        priority=reader.choice("priority", PRIORITIES),
        origin=reader.choice("origin", ORIGINS),
        account_id=reader.text("account_id", MAX_ID),
        contact=_contact(reader, "contact"),
        owner_id=reader.text("owner_id", MAX_ID),
    )
    reader.check()
    return new


def open_case(new: NewCase, *, case_id: str, number: int, owner_id: str | None, created_by: str,
              now: datetime, policy: sla.SlaPolicy) -> Case:
    first_response_due, resolution_due = policy.due(new.priority, now)
    return Case(
        id=case_id, number=number, subject=new.subject, description=new.description, status=NEW,
        priority=new.priority, origin=new.origin, account_id=new.account_id, contact=new.contact, owner_id=owner_id,
        first_response_due=first_response_due, resolution_due=resolution_due, first_responded_at=None,
        resolved_at=None, escalated_for=None, created_by=created_by, created_at=now, updated_at=now, version=1,
    )


def parse_case_patch(values: Mapping[str, Any]) -> dict[str, Any]:
    """The changes a PATCH asks for, checked; a None value sets a nullable field to null."""
    reader = Fields(values)
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name not in PATCHABLE:
            reader.problem(name, "unknown field")
        elif value is None and name not in NULLABLE:
            reader.problem(name, "cannot be null")
        elif name == "status":
            changes[name] = reader.choice(name, STATUSES)
        elif name == "priority":
            changes[name] = reader.choice(name, PRIORITIES)
        elif name == "origin":
            changes[name] = reader.choice(name, ORIGINS)
        elif name == "contact":
            changes[name] = _contact(reader, name)
        else:
            limit = {"subject": MAX_SUBJECT, "description": MAX_DESCRIPTION}.get(name, MAX_ID)
            changes[name] = reader.text(name, limit, required=name not in NULLABLE)
    reader.check()
    return changes


def change_case(case: Case, changes: Mapping[str, Any], now: datetime, policy: sla.SlaPolicy) -> Case:
    """The case after a (checked) PATCH, with the consequences of a new status or priority."""
    changes = dict(changes)
    status = changes.get("status", case.status)
    if status == NEW and case.status != NEW:
        raise Failure("rule", "invalid_status_change", "a case never goes back to new",
                      {"fields": {"status": f"cannot go from {case.status} to new"}})
    if status == CLOSED and case.status != CLOSED:
        changes["resolved_at"] = now
    elif status != CLOSED and case.status == CLOSED:
        changes["resolved_at"] = None  # reopened: the resolution clock runs again
    if changes.get("priority", case.priority) != case.priority:
        changes["first_response_due"], changes["resolution_due"] = policy.due(changes["priority"], case.created_at)
    return case.touched(now, **changes)


def respond(case: Case, now: datetime) -> Case:
    """A public comment: the first one on an open case is its first response."""
    if case.first_responded_at is not None or case.status == CLOSED:
        return case
    return case.touched(now, first_responded_at=now, status=WORKING if case.status == NEW else case.status)


def escalation(case: Case, now: datetime) -> Case:
    """The case escalated for what it is overdue for, once per breach; itself otherwise."""
    overdue = sla.overdue_for(case.clocks, now)
    if case.status == CLOSED or not sla.worse(overdue, case.escalated_for):
        return case
    return case.touched(now, status=ESCALATED, escalated_for=overdue)


# Fields whose every change the history records (the rest follow from them or never change).
TRACKED = (*PATCHABLE, "first_response_due", "resolution_due", "first_responded_at", "resolved_at", "escalated_for")


def plain(value: Any) -> Any:
    """A value as it appears in history and events (JSON-ready)."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, Contact):
        return value.to_dict()
    return value


def changes_between(before: Case | None, after: Case) -> list[tuple[str, Any, Any]]:
    """(field, from, to) for each tracked field that differs; a new case starts from nothing
    and records only what it starts with."""
    entries = []
    for name in TRACKED:
        old = getattr(before, name) if before is not None else None
        new = getattr(after, name)
        if old != new:
            entries.append((name, plain(old), plain(new)))
    return entries


@dataclass(frozen=True)
class NewComment:
    body: str
    internal: bool


@dataclass(frozen=True)
class Comment:
    id: str
    case_id: str
    author_id: str
    body: str
    internal: bool
    created_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor_id: str | None  # None: the service itself
    field: str
    from_json: str
    to_json: str


def parse_comment(values: Mapping[str, Any]) -> NewComment:
    reader = Fields(values)
    body = reader.text("body", MAX_COMMENT, required=True)
    internal = values.get("internal", False)
    if not isinstance(internal, bool):
        reader.problem("internal", "must be true or false")
    reader.check()
    return NewComment(body, internal)


def escalated_event(case: Case, previous_status: str) -> dict[str, Any]:
    """`case_escalated`: what the owner (and whoever watches the queue) needs to act."""
    return {
        "case": {"id": case.id, "number": case.display_number, "subject": case.subject, "priority": case.priority,
                 "status": case.status, "owner_id": case.owner_id, "account_id": case.account_id,
                 "first_response_due": rfc3339(case.first_response_due),
                 "resolution_due": rfc3339(case.resolution_due)},
        "breach": case.escalated_for,
        "previous_status": previous_status,
    }


def invalid_owner() -> Failure:
    return Failure("rule", "invalid_owner", "the owner must be an active service agent or admin",
                   {"fields": {"owner_id": "is not an active service agent or admin"}})
