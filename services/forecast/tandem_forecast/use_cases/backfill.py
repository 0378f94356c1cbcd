"""Filling an empty read model from sales' stream of every opportunity.

No gap, no double count: the consumer queues exist before the stream starts (declared
at set-up, and again by the backfill command), so a change made while it runs waits in
its queue as an event; the stream and the events both write with `upsert_if_newer`,
keyed by id and version, so whichever arrives second changes nothing unless it is
newer. Numbers are computed from the rows at query time, so nothing is counted twice.

The `backfill` row says whether it ran: absent on a fresh deployment, `running` while
(or if it was interrupted while) it runs, `done` after; running it again is harmless.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.db import transaction

from ..adapters.models import backfill
from .feed import record_opportunities

OPPORTUNITIES = "opportunities"
BATCH = 500  # opportunities written per transaction


def _now() -> datetime:
    return datetime.now(timezone.utc)


def status(session: Session) -> str | None:
    """None (never ran), "running" or "done"."""
    return session.execute(select(backfill.c.status).where(backfill.c.name == OPPORTUNITIES)).scalar_one_or_none()


def needed(session: Session) -> bool:
    """Not done yet: never started, or interrupted."""
    return status(session) != "done"


def run_backfill(sessions: sessionmaker, snapshots: Iterable[Mapping[str, Any]],
                 now: Callable[[], datetime] = _now) -> int:
    """Write every snapshot (newer versions only); returns how many were streamed."""
    with transaction(sessions) as session:
        session.execute(delete(backfill).where(backfill.c.name == OPPORTUNITIES))
        session.execute(insert(backfill).values(name=OPPORTUNITIES, status="running", started_at=now(), count=0))
    count = 0
    stream = iter(snapshots)
    while batch := list(itertools.islice(stream, BATCH)):
        with transaction(sessions) as session:
            record_opportunities(session, batch)
            count += len(batch)
            session.execute(update(backfill).where(backfill.c.name == OPPORTUNITIES).values(count=count))
    with transaction(sessions) as session:
        session.execute(update(backfill).where(backfill.c.name == OPPORTUNITIES)
                        .values(status="done", finished_at=now(), count=count))
    return count
