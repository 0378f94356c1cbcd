"""Reading and writing users in the gateway's database."""
from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from ..identity.domain import ADMIN, User
from .models import users

_USER_DIRECTORY_LOCK = int.from_bytes(hashlib.sha1(b"tandem-gateway:user-directory").digest()[:8], "big", signed=True)


def lock_directory(session: Session) -> None:
    """Serialise changes to users until the transaction ends.

    The hierarchy rules read other rows (the manager chain, reports, admins); two
    concurrent changes could each pass and together break them. User changes are
    rare, so one lock is the simple answer. SQLite needs nothing: its write
    transactions already run one at a time (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _USER_DIRECTORY_LOCK})


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _user(row) -> User:
    values = row._asdict()
    values["created_at"], values["updated_at"] = _utc(row.created_at), _utc(row.updated_at)
    return User(**values)


# Every authenticated request reads its user: the statement is built once, the id
# passed at execute time (building it per request was a quarter of the gateway's CPU).
_BY_ID = select(users).where(users.c.id == bindparam("user_id"))


def get(session: Session | Connection, user_id: str) -> User | None:
    row = session.execute(_BY_ID, {"user_id": user_id}).one_or_none()
    return _user(row) if row else None


def get_by_email(session: Session, email: str) -> User | None:
    row = session.execute(select(users).where(users.c.email == email)).one_or_none()
    return _user(row) if row else None


def add(session: Session, user: User) -> None:
    session.execute(insert(users).values(**asdict(user)))


def save(session: Session, user_id: str, values: dict[str, Any]) -> None:
    session.execute(update(users).where(users.c.id == user_id).values(**values))


def chain_above(session: Session, manager_id: str) -> list[str]:
    """The ids above `manager_id`, nearest first (stops at a loop, should one exist)."""
    chain: list[str] = []
    current = session.execute(select(users.c.manager_id).where(users.c.id == manager_id)).scalar_one_or_none()
    while current is not None and current not in chain:
        chain.append(current)
        current = session.execute(select(users.c.manager_id).where(users.c.id == current)).scalar_one_or_none()
    return chain


def count_active_reports(session: Session, manager_id: str) -> int:
    query = select(func.count()).where(users.c.manager_id == manager_id, users.c.active.is_(True))
    return session.execute(query).scalar_one()


def count_active_admins(session: Session, *, excluding: str | None = None) -> int:
    query = select(func.count()).where(users.c.role == ADMIN, users.c.active.is_(True))
    if excluding is not None:
        query = query.where(users.c.id != excluding)
    return session.execute(query).scalar_one()


def page(
    session: Session,
    *,
    limit: int,
    after_email: str | None = None,
    role: str | None = None,
    manager_id: str | None = None,
    active: bool | None = None,
) -> list[User]:
    """Users ordered by email (unique, so it is a stable cursor)."""
    query = select(users).order_by(users.c.email).limit(limit)
    if after_email is not None:
        query = query.where(users.c.email > after_email)
    if role is not None:
        query = query.where(users.c.role == role)
    if manager_id is not None:
        query = query.where(users.c.manager_id == manager_id)
    if active is not None:
        query = query.where(users.c.active.is_(active))
    return [_user(row) for row in session.execute(query)]
