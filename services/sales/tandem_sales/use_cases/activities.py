"""Activities: tasks, calls, emails and meetings about a lead, contact, account or
opportunity. Their owner, the owner's managers and admins see and change them; whoever
may see the record sees its timeline. They announce nothing: no other service needs them.

Leads live in the leads service, which alone knows who may see one: these use cases ask
it (`SeeLead`, Leads/GetLead as the caller) before they create an activity on a lead,
list a lead's timeline or show an activity on a lead to someone outside its owner's line,
and hold no transaction while it answers. Accounts, contacts and opportunities are
checked here.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.db import transaction
from tandem_plumbing.failures import Caller, Failure

from ..adapters import activity_repository, repository
from ..domain import access
from ..domain.activities import (
    COMPLETED,
    LEAD,
    OPPORTUNITY,
    RELATED_TYPES,
    STATUSES,
    TYPES,
    Activity,
    apply_changes,
    may_relate_to,
    parse_changes,
    parse_new_activity,
    urgency,
    visible_owners,
)
from ..domain.fields import day, invalid
from .common import check_owner, check_version, decode_token, limit_of, not_found, now, paged


# Asks the leads service whether the caller may see the lead (Leads/GetLead as the
# caller): returns when they may; raises its Failure (not_found) when they may not and
# ServiceUnavailable when leads does not answer, never a silent allow.
SeeLead = Callable[[Caller, str], None]


def _visible(session: Session, caller: Caller) -> set[str] | None:
    return visible_owners(caller, repository.managers(session))


def _check_lead(see_lead: SeeLead, caller: Caller, lead_id: str) -> None:
    """The lead exists and the caller may see it (not_found otherwise), as the leads
    service says. Called outside any transaction: none is held while leads works."""
    if not may_relate_to(caller, LEAD):
        raise not_found(LEAD, lead_id)
    try:
        see_lead(caller, lead_id)
    except Failure as refused:
        if refused.kind in ("not_found", "forbidden"):
            raise not_found(LEAD, lead_id) from None
        raise


def _check_record(session: Session, caller: Caller, visible: set[str] | None, related_type: str,
                  record_id: str) -> None:
    """The account, contact or opportunity an activity is about exists and the caller may
    see it (not_found otherwise). A lead is the leads service's to say (`_check_lead`)."""
    if related_type == LEAD or not may_relate_to(caller, related_type):
        raise not_found(related_type, record_id)
    owner_id = activity_repository.record_owner(session, related_type, record_id)
    if owner_id is None or (related_type == OPPORTUNITY and not access.may_see(visible, owner_id)):
        raise not_found(related_type, record_id)


def create_activity(sessions: sessionmaker[Session], caller: Caller, values: Mapping[str, Any], see_lead: SeeLead,
                    *, validate_only: bool = False) -> Activity | None:
    """A new activity, owned by the caller unless a manager or admin names someone in
    their team. Created completed, it is stamped completed now."""
    fields = parse_new_activity(values)
    if fields["related_type"] == LEAD:
        _check_lead(see_lead, caller, fields["related_id"])
    with transaction(sessions) as session:
        return _insert_activity(session, caller, fields, validate_only)


def _insert_activity(session: Session, caller: Caller, fields: dict[str, Any],
                     validate_only: bool) -> Activity | None:
    visible = _visible(session, caller)
    if fields["related_type"] != LEAD:
        _check_record(session, caller, visible, fields["related_type"], fields["related_id"])
    owner_id = fields.pop("owner_id", caller.user_id)
    check_owner(session, caller, visible, owner_id)
    if validate_only:  # after the checks of the record and owner: it answers what the change would
        return None
    at = now()
    activity = Activity(
        id=uuid.uuid4().hex, owner_id=owner_id,
        **{name: fields.get(name) for name in ("type", "subject", "description", "related_type", "related_id",
                                               "status", "due_date", "starts_at", "duration_minutes", "outcome")},
        completed_at=at if fields["status"] == COMPLETED else None,
        created_by=caller.user_id, created_at=at, updated_at=at, version=1,
    )
    activity_repository.insert_activity(session, activity)
    return activity


def _may_see(session: Session, caller: Caller, visible: set[str] | None, activity: Activity) -> bool:
    """Its owner is the caller or in their team, or it is on an account, contact or
    opportunity the caller may see (its timeline shows it). On a lead, only the leads
    service can tell (get_activity asks it; a change is refused anyway: not_found)."""
    if access.may_see(visible, activity.owner_id):
        return True
    try:
        _check_record(session, caller, visible, activity.related_type, activity.related_id)
    except Failure:
        return False
    return True


def get_activity(sessions: sessionmaker[Session], caller: Caller, activity_id: str, see_lead: SeeLead) -> Activity:
    """An activity the caller may see; one on a lead, outside its owner's line, when the
    leads service says the caller may see the lead."""
    with sessions() as session:
        activity = activity_repository.get_activity(session, activity_id)
        shown = activity is not None and _may_see(session, caller, _visible(session, caller), activity)
    if activity is not None and not shown and activity.related_type == LEAD:
        try:
            _check_lead(see_lead, caller, activity.related_id)
        except Failure:
            raise not_found("activity", activity_id) from None
        shown = True
    if not shown:
        raise not_found("activity", activity_id)
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
    activity = activity_repository.get_activity(session, activity_id, for_update=True)
    visible = _visible(session, caller)
    if activity is None or not _may_see(session, caller, visible, activity):
        raise not_found("activity", activity_id)
    if not access.may_see(visible, activity.owner_id):
        raise Failure("forbidden", "forbidden", "only the owner, their managers and admins change an activity")
    check_version("activity", activity.version, expected_version)
    at = now()
    field_changes = apply_changes(activity, changes, at)
    if "owner_id" in field_changes:
        check_owner(session, caller, visible, field_changes["owner_id"][1])
    if validate_only:
        return None
    if not field_changes:
        return activity
    changed = activity.with_changes(**{name: after for name, (_before, after) in field_changes.items()},
                                    version=activity.version + 1, updated_at=at)
    activity_repository.save_activity(session, changed)
    return changed


def list_activities(
    sessions: sessionmaker[Session],
    caller: Caller,
    see_lead: SeeLead,
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
    for name, value, allowed in (("status", status, STATUSES), ("type", type, TYPES),
                                 ("related_to.type", related_to and related_to[0], RELATED_TYPES)):
        if value is not None and value not in allowed:
            problems[name] = f"must be one of {', '.join(allowed)}"
    if related_to is not None and not related_to[1]:
        problems["related_to.id"] = "is required"
    try:
        after = decode_token(page_token, 2)
        after = after and (datetime.fromisoformat(after[0]), after[1])
    except (Failure, TypeError, ValueError):
        problems["page_token"] = "is not a token this API returned"
    if problems:
        raise invalid(problems)
    if related_to is not None and related_to[0] == LEAD:
        _check_lead(see_lead, caller, related_to[1])
    limit = limit_of(page_size)
    with sessions() as session:
        visible = _visible(session, caller)
        if related_to is not None:
            if related_to[0] != LEAD:
                _check_record(session, caller, visible, *related_to)
            visible = None
        found = activity_repository.page_activities(session, visible=visible, limit=limit + 1, after=after,
                                                    related=related_to, owner_id=owner_id, status=status, type=type)
    return paged(found, limit, lambda a: [activity_repository.timeline_moment(a).isoformat(), a.id])


def today_activities(session: Session, caller: Caller, today: str | None = None) -> list[Activity]:
    """The caller's open activities due today or earlier, or starting today or earlier,
    most overdue first; `today` is the caller's date (default: today in UTC)."""
    try:
        date_ = now().date() if today is None else day(today)
    except ValueError as why:
        raise invalid({"today": str(why)}) from None
    return sorted(activity_repository.due_activities(session, caller.user_id, date_), key=urgency)
