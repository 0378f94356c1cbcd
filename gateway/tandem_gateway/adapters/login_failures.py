"""Failed logins in the gateway's database (see models.login_failures)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from tandem_plumbing.db import utc

from .models import login_failures


def latest(session: Session, scope: str, subject: str, since: datetime, limit: int) -> list[datetime]:
    """Up to `limit` failures after `since`, oldest first."""
    query = (
        select(login_failures.c.failed_at)
        .where(login_failures.c.scope == scope, login_failures.c.subject == subject)
        .where(login_failures.c.failed_at > since)
        .order_by(login_failures.c.failed_at.desc())
        .limit(limit)
    )
    return sorted(utc(moment) for moment in session.execute(query).scalars())


def record(session: Session, scope: str, subject: str, at: datetime) -> None:
    session.execute(insert(login_failures).values(scope=scope, subject=subject, failed_at=at))


def forget(session: Session, scope: str, subject: str) -> None:
    session.execute(delete(login_failures).where(login_failures.c.scope == scope, login_failures.c.subject == subject))


def prune(session: Session, before: datetime) -> None:
    """Rows out of every window count for nothing: drop them so the table stays small."""
    session.execute(delete(login_failures).where(login_failures.c.failed_at <= before))
