"""What an activity is (a task, call, email or meeting about a lead, contact, account or
opportunity), which values it accepts, who sees it and how its status moves.

Every check reports each bad field at once (`fields.parse`), so a client fixes a
request in one round trip.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from tandem_plumbing.failures import Caller

from . import access
from .fields import IDENTIFIER, Spec, day, invalid, parse, text

TASK, CALL, EMAIL, MEETING = "task", "call", "email", "meeting"
TYPES = (TASK, CALL, EMAIL, MEETING)
SCHEDULED = (CALL, MEETING)  # the types with a start time and a duration
LEAD, CONTACT, ACCOUNT, OPPORTUNITY = "lead", "contact", "account", "opportunity"
RELATED_TYPES = (LEAD, CONTACT, ACCOUNT, OPPORTUNITY)
CUSTOMER_TYPES = (CONTACT, ACCOUNT)  # what service agents see (and may log activities on) too
OPEN, COMPLETED, CANCELLED = "open", "completed", "cancelled"
STATUSES = (OPEN, COMPLETED, CANCELLED)
MAX_DURATION_MINUTES = 24 * 60
UNCHANGEABLE = ("type", "related_to")  # what it is and what it is about are fixed at creation


@dataclass(frozen=True)
class Activity:
    id: str
    type: str
    subject: str
    description: str | None
    related_type: str
    related_id: str
    owner_id: str
    status: str
    due_date: date | None
    starts_at: datetime | None
    duration_minutes: int | None
    completed_at: datetime | None
    outcome: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int

    def with_changes(self, **values: Any) -> "Activity":
        return replace(self, **values)


# -- checking values ------------------------------------------------------------------------
def one_of(allowed: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return check


def moment(value: Any) -> datetime:
    """An RFC 3339 time with an offset, in UTC."""
    problem = ValueError("must be an RFC 3339 time with an offset, e.g. 2026-11-27T14:00:00Z")
    if not isinstance(value, str) or len(value) < 20 or value[10] not in "Tt":
        raise problem
    try:
        found = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise problem from None
    if found.tzinfo is None:
        raise problem
    return found.astimezone(timezone.utc)


def minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DURATION_MINUTES:
        raise ValueError(f"must be a whole number of minutes from 1 to {MAX_DURATION_MINUTES}")
    return value


def related_to(value: Any) -> tuple[str, str]:
    """{"type", "id"} -> (type, id)."""
    if not isinstance(value, Mapping):
        raise ValueError('must be an object {"type", "id"}')
    problems = []
    if value.get("type") not in RELATED_TYPES:
        problems.append(f"type must be one of {', '.join(RELATED_TYPES)}")
    try:
        record_id = IDENTIFIER(value.get("id"))
    except ValueError as why:
        problems.append(f"id {why}")
    if problems:
        raise ValueError("; ".join(problems))
    return value["type"], record_id


SPEC = Spec(
    checkers={"type": one_of(TYPES), "subject": text(255), "description": text(10_000), "related_to": related_to,
              "owner_id": IDENTIFIER, "status": one_of(STATUSES), "due_date": day, "starts_at": moment,
              "duration_minutes": minutes, "outcome": text(10_000)},
    required=("type", "subject", "related_to"),
    clearable=("description", "due_date", "starts_at", "duration_minutes", "outcome"),
)


def _schedule_problems(kind: Any, values: Mapping[str, Any], starts_at: Any) -> dict[str, str]:
    """Only calls and meetings have a start and a duration; a duration needs a start.
    `starts_at`: the start the activity will have (given, kept or None)."""
    if kind in TYPES and kind not in SCHEDULED:
        return {name: "only calls and meetings have one" for name in ("starts_at", "duration_minutes")
                if values.get(name) is not None}
    if values.get("duration_minutes") is not None and starts_at is None:
        return {"duration_minutes": "a duration needs starts_at"}
    return {}


def parse_new_activity(values: Mapping[str, Any]) -> dict[str, Any]:
    """A create request's fields, checked (related_to as related_type and related_id);
    the status defaults to open."""
    problems = _schedule_problems(values.get("type"), values, values.get("starts_at"))
    clean = parse(SPEC, values, new=True, problems=problems)
    clean["related_type"], clean["related_id"] = clean.pop("related_to")
    return {"status": OPEN, **clean}


def parse_changes(values: Mapping[str, Any], clear: Iterable[str] = ()) -> dict[str, Any]:
    """An update's fields, checked; each field of `clear` becomes None. Whether a start
    fits the activity's type is `apply_changes`' question (the type is the record's)."""
    problems = {name: "cannot be changed; create another activity" for name in UNCHANGEABLE if name in values}
    return parse(SPEC, {k: v for k, v in values.items() if k not in UNCHANGEABLE}, clear=clear, new=False,
                 problems=problems)


def apply_changes(activity: Activity, changes: Mapping[str, Any], now: datetime) -> dict[str, tuple[Any, Any]]:
    """What `changes` would change on `activity`, as {field: (before, after)}. Completing
    stamps completed_at; reopening or cancelling clears it."""
    starts_at = changes.get("starts_at", activity.starts_at)
    problems = _schedule_problems(activity.type, changes, starts_at)
    if activity.duration_minutes is not None and "duration_minutes" not in changes and starts_at is None:
        problems["starts_at"] = "cannot be cleared while there is a duration"
    if problems:
        raise invalid(problems)
    changes = dict(changes)
    status = changes.get("status", activity.status)
    if status != activity.status:
        changes["completed_at"] = now if status == COMPLETED else None
    return {
        name: (getattr(activity, name), value) for name, value in changes.items()
        if getattr(activity, name) != value
    }


# -- who sees what -------------------------------------------------------------------------
def visible_owners(caller: Caller, managers: Mapping[str, str | None]) -> set[str] | None:
    """The owners whose activities the caller sees wherever they are; None means all:
    the caller's own, and those of whoever's opportunities they see."""
    owners = access.visible_owners(caller, managers)
    return None if owners is None else owners | {caller.user_id}


def may_relate_to(caller: Caller, related_type: str) -> bool:
    """Whether the caller's role may see records of this type at all."""
    if caller.role in access.SALES_ROLES:
        return True
    return related_type in CUSTOMER_TYPES and access.may_read_customers(caller)


# -- the "today" list ----------------------------------------------------------------------
_NO_TIME = datetime.max.replace(tzinfo=timezone.utc)


def urgency(activity: Activity) -> tuple[date, datetime, datetime, str]:
    """Sort key of the "today" list: the earliest of due date and start first; on one
    day, what starts at a time by that time, then what is only due that day."""
    days = [d for d in (activity.due_date, activity.starts_at and activity.starts_at.date()) if d]
    return min(days) if days else date.max, activity.starts_at or _NO_TIME, activity.created_at, activity.id
