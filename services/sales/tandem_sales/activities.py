"""What the sales service does with activities, over a SQLAlchemy session inside the
caller's transaction. Activities announce nothing: no other service needs them.

Leads live in the leads service, which alone knows who may see one: the gateway asks it
(GetLead) before it creates an activity on a lead or lists a lead's timeline. Accounts,
contacts and opportunities are checked here.
"""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from sqlalchemy.orm import Session
from tandem_plumbing.failures import Caller, Failure

from .adapters import activity_repository as repository
from .domain.activities import (
    COMPLETED,
    LEAD,
    OPPORTUNITY,
    RELATED_TYPES,
    SALES_ROLES,
    STATUSES,
    TYPES,
    Activity,
    apply_changes,
    check_may_give,
    invalid,
    may_relate_to,
    may_see_owner,
    parse_changes,
    parse_date,
    parse_new_activity,
    urgency,
    visible_owners,
)

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _not_found(what: str, record_id: str) -> Failure:
    return Failure("not_found", "not_found", f"no {what} {record_id}")


def _visible(session: Session, caller: Caller) -> set[str] | None:
    return visible_owners(caller, repository.managers(session))


def _check_record(session: Session, caller: Caller, visible: set[str] | None, related_type: str,
                  record_id: str) -> None:
    """The record an activity is about exists and the caller may see it (not_found otherwise)."""
    if not may_relate_to(caller, related_type):
        raise _not_found(related_type, record_id)
    if related_type == LEAD:
        return  # the gateway asked the leads service
    owner_id = repository.record_owner(session, related_type, record_id)
    if owner_id is None or (related_type == OPPORTUNITY and not may_see_owner(visible, owner_id)):
        raise _not_found(related_type, record_id)


def _check_owner(session: Session, caller: Caller, visible: set[str] | None, owner_id: str) -> None:
    check_may_give(caller, visible, owner_id)
    if owner_id == caller.user_id:  # the caller is active: the gateway just authenticated them
        return
    user = repository.user(session, owner_id)
    if user is None or not user["active"] or user["role"] not in SALES_ROLES:
        raise invalid({"owner_id": "is not an active sales user"})


def create_activity(session: Session, caller: Caller, values: Mapping[str, Any], *,
                    validate_only: bool = False) -> Activity | None:
    """A new activity, owned by the caller unless a manager or admin names someone in
    their team. Created completed, it is stamped completed now."""
    fields = parse_new_activity(values)
    if validate_only:
        return None
    visible = _visible(session, caller)
    _check_record(session, caller, visible, fields["related_type"], fields["related_id"])
    owner_id = fields.pop("owner_id", caller.user_id)
    _check_owner(session, caller, visible, owner_id)
    now = _now()
    activity = Activity(
        id=uuid.uuid4().hex, owner_id=owner_id,
        **{name: fields.get(name) for name in ("type", "subject", "description", "related_type", "related_id",
                                               "status", "due_date", "starts_at", "duration_minutes", "outcome")},
        completed_at=now if fields["status"] == COMPLETED else None,
        created_by=caller.user_id, created_at=now, updated_at=now, version=1,
    )
    repository.insert_activity(session, activity)
    return activity


def _may_see(session: Session, caller: Caller, visible: set[str] | None, activity: Activity) -> bool:
    """Its owner is the caller's or their team's, or it is on an account, contact or
    opportunity the caller may see (as its timeline shows it)."""
    if may_see_owner(visible, activity.owner_id):
        return True
    if activity.related_type == LEAD or not may_relate_to(caller, activity.related_type):
        return False
    try:
        _check_record(session, caller, visible, activity.related_type, activity.related_id)
    except Failure:
        return False
    return True


def get_activity(session: Session, caller: Caller, activity_id: str) -> Activity:
    activity = repository.get_activity(session, activity_id)
    if activity is None or not _may_see(session, caller, _visible(session, caller), activity):
        raise _not_found("activity", activity_id)
    return activity


def update_activity(
    session: Session,
    caller: Caller,
    activity_id: str,
    values: Mapping[str, Any],
    *,
    clear: Iterable[str] = (),
    expected_version: int | None = None,
    validate_only: bool = False,
) -> Activity | None:
    """Change, complete, reopen, cancel or reassign an activity: its owner, their
    managers and admins. Nothing changed -> the activity as it was (same version)."""
    changes = parse_changes(values, clear)
    if validate_only:
        return None
    activity = repository.get_activity(session, activity_id, for_update=True)
    visible = _visible(session, caller)
    if activity is None or not _may_see(session, caller, visible, activity):
        raise _not_found("activity", activity_id)
    if not may_see_owner(visible, activity.owner_id):
        raise Failure("forbidden", "forbidden", "only the owner, their managers and admins change an activity")
    if expected_version is not None and expected_version != activity.version:
        raise Failure("stale", "version_mismatch", "the activity changed since you read it; read it again",
                      {"current_version": activity.version})
    now = _now()
    field_changes = apply_changes(activity, changes, now)
    if "owner_id" in field_changes:
        _check_owner(session, caller, visible, field_changes["owner_id"][1])
    if not field_changes:
        return activity
    changed = activity.with_changes(**{name: after for name, (_before, after) in field_changes.items()},
                                    version=activity.version + 1, updated_at=now)
    repository.save_activity(session, changed)
    return changed


# -- lists and their page tokens -----------------------------------------------------------
def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _after(token: str) -> tuple[datetime, str]:
    try:
        moment, last_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return datetime.fromisoformat(moment), str(last_id)
    except (binascii.Error, TypeError, ValueError):
        raise invalid({"page_token": "is not a token this API returned"}) from None


def _one_of(problems: dict[str, str], name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        problems[name] = f"must be one of {', '.join(allowed)}"


def list_activities(
    session: Session,
    caller: Caller,
    *,
    related_to: tuple[str, str] | None = None,
    owner_id: str | None = None,
    status: str | None = None,
    type: str | None = None,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[Activity], str | None]:
    """A record's timeline (every activity on it, for whoever may see the record), or
    the activities of the owners the caller sees; newest first."""
    problems: dict[str, str] = {}
    _one_of(problems, "status", status, STATUSES)
    _one_of(problems, "type", type, TYPES)
    if related_to is not None:
        _one_of(problems, "related_to.type", related_to[0], RELATED_TYPES)
        if not related_to[1]:
            problems["related_to.id"] = "is required"
    after = None
    try:
        after = _after(page_token) if page_token else None
    except Failure as failure:
        problems.update(failure.details["fields"])
    if problems:
        raise invalid(problems)
    visible = _visible(session, caller)
    if related_to is not None:
        _check_record(session, caller, visible, *related_to)
        visible = None
    limit = DEFAULT_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)
    found = repository.page_activities(session, visible=visible, limit=limit + 1, after=after, related=related_to,
                                       owner_id=owner_id, status=status, type=type)
    more, found = len(found) > limit, found[:limit]
    token = _encode([repository.timeline_moment(found[-1]).isoformat(), found[-1].id]) if more else None
    return found, token


def today_activities(session: Session, caller: Caller, today: str | None = None) -> list[Activity]:
    """The caller's open activities due today or earlier, or starting today or earlier,
    most overdue first; `today` is the caller's date (default: today in UTC)."""
    day = parse_date(today) if today is not None else _now().date()
    if day is None:
        raise invalid({"today": "must be a date as YYYY-MM-DD"})
    return sorted(repository.due_activities(session, caller.user_id, day), key=urgency)
