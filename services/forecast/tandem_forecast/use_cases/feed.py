"""Feeding the read model from other services' events (and the backfill): each record
is replaced only by a newer version of itself, so duplicates, reordering and a backfill
overlapping the events all end in the newest state."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from tandem_plumbing.db import utc
from tandem_plumbing.replica import upsert_if_newer, upsert_many_if_newer

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
    it (a LeadSnapshot has no creation time, and a lead's events arrive in any order)."""
    row = lead_row(lead, event_time)
    # A first copy at version 0 (any real version replaces it), so that the row exists
    # and can be locked: concurrent events of one lead then take turns below.
    upsert_if_newer(session, leads, {**row, "version": 0})
    seen = session.execute(select(leads.c.created_at).where(leads.c.id == row["id"]).with_for_update()).scalar_one()
    created_at = min(utc(seen), row["created_at"])
    written = upsert_if_newer(session, leads, {**row, "created_at": created_at})
    # Also when the snapshot was stale: its event may still be the earliest one.
    session.execute(update(leads).where(leads.c.id == row["id"]).values(created_at=created_at))
    return written
