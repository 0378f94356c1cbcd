"""What an activity is (a task, call, email or meeting about a lead, contact, account or
opportunity), which values it accepts, who sees it and how its status moves.

Every check reports each bad field at once (`Failure("invalid", ...)` with
`details.fields`), so a client fixes a request in one round trip.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping

from tandem_plumbing.directory import subtree
from tandem_plumbing.failures import Caller, Failure

TASK, CALL, EMAIL, MEETING = "task", "call", "email", "meeting"
TYPES = (TASK, CALL, EMAIL, MEETING)
SCHEDULED = (CALL, MEETING)  # the types with a start time and a duration
LEAD, CONTACT, ACCOUNT, OPPORTUNITY = "lead", "contact", "account", "opportunity"
RELATED_TYPES = (LEAD, CONTACT, ACCOUNT, OPPORTUNITY)
OPEN, COMPLETED, CANCELLED = "open", "completed", "cancelled"
STATUSES = (OPEN, COMPLETED, CANCELLED)

ADMIN, SALES_MANAGER, SALES_REP, SERVICE_AGENT = "admin", "sales_manager", "sales_rep", "service_agent"
SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)
# Service agents log calls and emails with customers; they see no leads or opportunities.
AGENT_RELATED_TYPES = (CONTACT, ACCOUNT)

# The fields a client writes; everything else on an activity is the server's.
FIELDS = ("type", "subject", "description", "related_to", "owner_id", "status", "due_date", "starts_at",
          "duration_minutes", "outcome")
UNCHANGEABLE = ("type", "related_to")  # what it is and what it is about are fixed at creation
CLEARABLE = ("description", "due_date", "starts_at", "duration_minutes", "outcome")
MAX_LENGTHS = {"subject": 255, "description": 10_000, "outcome": 10_000, "related_to.id": 64, "owner_id": 64}
MAX_DURATION_MINUTES = 24 * 60


def invalid(fields: Mapping[str, str], message: str = "the request has invalid fields") -> Failure:
    return Failure("invalid", "validation_failed", message, {"fields": dict(fields)})


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
def _one_of(value: Any, allowed: tuple[str, ...]) -> str | None:
    return None if isinstance(value, str) and value in allowed else f"must be one of {', '.join(allowed)}"


def _text(name: str, value: Any, *, required: bool = False) -> tuple[str | None, Any]:
    if not isinstance(value, str):
        return "must be a string", None
    value = value.strip()
    if len(value) > MAX_LENGTHS[name]:
        return f"must be at most {MAX_LENGTHS[name]} characters", None
    if required and not value:
        return "must not be empty", None
    return None, value or None  # an empty optional text is no value


def parse_date(value: Any) -> date | None:
    """A `YYYY-MM-DD` string as a date, or None."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    """An RFC 3339 time with an offset, in UTC; None when it is not one."""
    if not isinstance(value, str) or len(value) < 20 or value[10] not in "Tt":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else None


def _related(value: Any, problems: dict[str, str]) -> tuple[str, str] | None:
    if not isinstance(value, Mapping):
        problems["related_to"] = "must be an object with type and id"
        return None
    kind, record_id = value.get("type"), value.get("id")
    if _one_of(kind, RELATED_TYPES):
        problems["related_to.type"] = _one_of(kind, RELATED_TYPES)
    if not isinstance(record_id, str) or not record_id.strip():
        problems["related_to.id"] = "is required"
    elif len(record_id.strip()) > MAX_LENGTHS["related_to.id"]:
        problems["related_to.id"] = f"must be at most {MAX_LENGTHS['related_to.id']} characters"
    if "related_to.type" in problems or "related_to.id" in problems:
        return None
    return kind, record_id.strip()


def _check(name: str, value: Any, problems: dict[str, str], clean: dict[str, Any]) -> None:
    """Check one client field; its clean value goes to `clean`, its problem to `problems`."""
    problem = None
    if name == "related_to":
        related = _related(value, problems)
        if related is not None:
            clean["related_type"], clean["related_id"] = related
        return
    if name == "type":
        problem = _one_of(value, TYPES)
    elif name == "status":
        problem = _one_of(value, STATUSES)
    elif name == "due_date":
        value = parse_date(value)
        problem = None if value else "must be a date as YYYY-MM-DD"
    elif name == "starts_at":
        value = _moment(value)
        problem = None if value else "must be an RFC 3339 time with an offset, e.g. 2026-11-27T14:00:00Z"
    elif name == "duration_minutes":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DURATION_MINUTES:
            problem = f"must be a whole number of minutes from 1 to {MAX_DURATION_MINUTES}"
    elif name == "owner_id":
        problem, value = _text(name, value, required=True)
    else:
        problem, value = _text(name, value, required=name == "subject")
    if problem:
        problems[name] = problem
    else:
        clean[name] = value


def _check_all(values: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in FIELDS:
            problems[name] = "unknown field"
        else:
            _check(name, value, problems, clean)
    return clean


def _check_schedule(kind: str | None, values: Mapping[str, Any], problems: dict[str, str]) -> None:
    """Only calls and meetings have a start and a duration; a duration needs a start."""
    if kind is None or kind in SCHEDULED:
        return
    for name in ("starts_at", "duration_minutes"):
        if values.get(name) is not None:
            problems[name] = "only calls and meetings have one"


def parse_new_activity(values: Mapping[str, Any]) -> dict[str, Any]:
    """A create request's fields, checked (related_to as related_type and related_id);
    the status defaults to open."""
    problems: dict[str, str] = {}
    clean = _check_all(values, problems)
    for name in ("type", "subject", "related_to"):
        if name not in values:
            problems[name] = "is required"
    _check_schedule(clean.get("type"), clean, problems)
    if clean.get("duration_minutes") is not None and "starts_at" not in values:
        problems["duration_minutes"] = "a duration needs starts_at"
    if problems:
        raise invalid(problems)
    return {"status": OPEN, **clean}


def parse_changes(values: Mapping[str, Any], clear: Iterable[str] = ()) -> dict[str, Any]:
    """An update's fields, checked; each field of `clear` becomes None. Whether a start
    fits the activity's type is `apply_changes`' question (the type is the record's)."""
    problems: dict[str, str] = {}
    for name in UNCHANGEABLE:
        if name in values:
            problems[name] = "cannot be changed; create another activity"
    changes = _check_all({k: v for k, v in values.items() if k not in UNCHANGEABLE}, problems)
    for name in clear:
        if name in values:
            problems[name] = "is both set and cleared"
        elif name in CLEARABLE:
            changes[name] = None
        else:
            problems[name] = "cannot be cleared" if name in FIELDS else "unknown field"
    if problems:
        raise invalid(problems)
    return changes


def apply_changes(activity: Activity, changes: Mapping[str, Any], now: datetime) -> dict[str, tuple[Any, Any]]:
    """What `changes` would change on `activity`, as {field: (before, after)}. Completing
    stamps completed_at; reopening or cancelling clears it."""
    problems: dict[str, str] = {}
    _check_schedule(activity.type, changes, problems)
    starts_at = changes.get("starts_at", activity.starts_at)
    if changes.get("duration_minutes", activity.duration_minutes) is not None and starts_at is None:
        problems["duration_minutes" if "duration_minutes" in changes else "starts_at"] = (
            "a duration needs starts_at")
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
    """The owners whose activities the caller sees wherever they are; None means all.
    Admins: all; managers: their own and everyone's below them; others: their own."""
    if caller.role == ADMIN:
        return None
    if caller.role == SALES_MANAGER:
        return subtree(caller.user_id, managers)
    return {caller.user_id}


def may_see_owner(visible: set[str] | None, owner_id: str) -> bool:
    return visible is None or owner_id in visible


def may_relate_to(caller: Caller, related_type: str) -> bool:
    """Whether the caller's role may see records of this type at all."""
    if caller.role in SALES_ROLES:
        return True
    return caller.role == SERVICE_AGENT and related_type in AGENT_RELATED_TYPES


def check_may_give(caller: Caller, visible: set[str] | None, owner_id: str) -> None:
    """Giving an activity to `owner_id`: admins to anyone, managers within their team,
    everyone else only to themselves."""
    if owner_id == caller.user_id:
        return
    if caller.role not in (ADMIN, SALES_MANAGER):
        raise Failure("forbidden", "forbidden", "your activities are your own; a manager assigns them to others")
    if not may_see_owner(visible, owner_id):
        raise Failure("forbidden", "forbidden", "you can assign activities only to yourself or your team")


# -- the "today" list ----------------------------------------------------------------------
_NO_TIME = datetime.max.replace(tzinfo=timezone.utc)


def urgency(activity: Activity) -> tuple[date, datetime, datetime, str]:
    """Sort key of the "today" list: the earliest of due date and start first; on one
    day, what starts at a time by that time, then what is only due that day."""
    days = [d for d in (activity.due_date, activity.starts_at and activity.starts_at.date()) if d]
    return min(days) if days else date.max, activity.starts_at or _NO_TIME, activity.created_at, activity.id
