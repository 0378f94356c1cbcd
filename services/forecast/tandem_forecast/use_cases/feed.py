"""Feeding the read model from other services' events (and the backfill): each record
is replaced only by a newer version of itself, so duplicates, reordering and a backfill
overlapping the events all end in the newest state."""
from __future__ import annotations

import functools
from typing import Any, Iterable, Mapping

from sqlalchemy import case
from sqlalchemy.orm import Session
from tandem_plumbing.replica import ON_CONFLICT_INSERT, upsert_if_newer, upsert_many_if_newer

from ..adapters.models import leads, opportunities
from ..domain.read_model import lead_row, opportunity_row


def record_opportunity(session: Session, snapshot: Mapping[str, Any]) -> bool:
    """True when this snapshot was newer than the copy (and so was written)."""
    return upsert_if_newer(session, opportunities, opportunity_row(snapshot))


def record_opportunities(session: Session, snapshots: Iterable[Mapping[str, Any]]) -> None:
    """Many opportunities (distinct ids) in one statement, each only where newer."""
    upsert_many_if_newer(session, opportunities, [opportunity_row(s) for s in snapshots])


def record_lead(session: Session, lead: Mapping[str, Any], event_time: str) -> bool:
    """The lead as of its newest snapshot; `created_at` the earliest event time seen for
    it (a LeadSnapshot has no creation time, and a lead's events arrive in any order).

    One statement: the insert, or an update whose every column is decided against the
    row as it is under the conflict's lock, so concurrent deliveries of one lead cannot
    interleave. True when it wrote and the copy now holds this snapshot's version.
    """
    row = lead_row(lead, event_time)
    stmt = _lead_upsert(session.get_bind().dialect.name, tuple(row))
    return session.execute(stmt, row).scalar_one_or_none() == row["version"]


@functools.cache
def _lead_upsert(dialect: str, names: tuple[str, ...]):
    """record_lead's statement, built once per database kind; the row's values are passed
    at execute time (building it per event cost more than running it)."""
    stmt = ON_CONFLICT_INSERT[dialect](leads)
    held, new = leads.c, stmt.excluded
    newer = held.version < new.version
    earlier = new.created_at < held.created_at  # also from a stale event: it may be the first one
    state = {name: case((newer, new[name]), else_=held[name]) for name in names if name not in ("id", "created_at")}
    return stmt.on_conflict_do_update(
        index_elements=[held.id],
        set_={**state, "created_at": case((earlier, new.created_at), else_=held.created_at)},
        where=newer | earlier,  # a duplicate or a stale event with a later time writes nothing
    ).returning(held.version)
