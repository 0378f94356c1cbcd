"""The SQL behind the activity use cases. Plain functions over a session."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Mapping

from sqlalchemy import DateTime, String, and_, cast, func, insert, or_, select, type_coerce, update
from sqlalchemy.orm import Session
from tandem_plumbing.db import utc

from ..domain.activities import ACCOUNT, CONTACT, OPEN, OPPORTUNITY, Activity
from .models import accounts, activities, contacts, opportunities

_RECORDS = {ACCOUNT: accounts, CONTACT: contacts, OPPORTUNITY: opportunities}


def activity_from_row(row: Mapping[str, Any]) -> Activity:
    """An `activities` row as the domain's Activity."""
    values = {name: row[name] for name in Activity.__dataclass_fields__}
    for name in ("starts_at", "completed_at", "created_at", "updated_at"):
        values[name] = utc(values[name])
    return Activity(**values)


def get_activity(session: Session, activity_id: str, *, for_update: bool = False) -> Activity | None:
    query = select(activities).where(activities.c.id == activity_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).mappings().one_or_none()
    return activity_from_row(row) if row else None


def insert_activity(session: Session, activity: Activity) -> None:
    session.execute(insert(activities).values(**vars(activity)))


def save_activity(session: Session, activity: Activity) -> None:
    session.execute(update(activities).where(activities.c.id == activity.id).values(**vars(activity)))


def _timeline_key(session: Session):
    """When an activity happens, for ordering: its due date (midnight UTC), else its
    start, else its creation. Spelt per dialect so that dates and times compare as
    times (SQLite keeps both as text)."""
    if session.get_bind().dialect.name == "sqlite":
        due = type_coerce(activities.c.due_date, String) + " 00:00:00.000000"
    else:
        due = func.timezone("UTC", cast(activities.c.due_date, DateTime()))
    key = func.coalesce(due, activities.c.starts_at, activities.c.created_at)
    return type_coerce(key, DateTime(timezone=True))


def timeline_moment(activity: Activity) -> datetime:
    """The same key in Python, for page tokens."""
    if activity.due_date is not None:
        return datetime.combine(activity.due_date, time(), timezone.utc)
    return activity.starts_at or activity.created_at


def page_activities(
    session: Session,
    *,
    visible: set[str] | None,
    limit: int,
    after: tuple[datetime, str] | None = None,
    related: tuple[str, str] | None = None,
    owner_id: str | None = None,
    status: str | None = None,
    type: str | None = None,
) -> list[Activity]:
    """Newest first by `_timeline_key`; `visible` None means every owner."""
    key = _timeline_key(session)
    query = select(activities)
    if visible is not None:
        query = query.where(activities.c.owner_id.in_(sorted(visible)))
    if related is not None:
        query = query.where(activities.c.related_type == related[0], activities.c.related_id == related[1])
    for column, value in ((activities.c.owner_id, owner_id), (activities.c.status, status),
                          (activities.c.type, type)):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        moment, last_id = after
        query = query.where(or_(key < moment, and_(key == moment, activities.c.id < last_id)))
    query = query.order_by(key.desc(), activities.c.id.desc()).limit(limit)
    return [activity_from_row(row) for row in session.execute(query).mappings()]


def due_activities(session: Session, owner_id: str, today: date) -> list[Activity]:
    """The owner's open activities due today or earlier, or starting before tomorrow (UTC)."""
    tomorrow = datetime.combine(today + timedelta(days=1), time(), timezone.utc)
    query = select(activities).where(
        activities.c.owner_id == owner_id,
        activities.c.status == OPEN,
        or_(activities.c.due_date <= today, activities.c.starts_at < tomorrow),
    )
    return [activity_from_row(row) for row in session.execute(query).mappings()]


# -- what activities are about ------------------------------------------------------------
def record_owner(session: Session, related_type: str, record_id: str) -> str | None:
    """The owner of the account, contact or opportunity, or None when there is none."""
    table = _RECORDS[related_type]
    return session.execute(select(table.c.owner_id).where(table.c.id == record_id)).scalar_one_or_none()
