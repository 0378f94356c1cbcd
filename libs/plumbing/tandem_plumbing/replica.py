"""Keeping a local copy of another service's records from their events.

Events may arrive twice or out of order; a copy is only replaced by a newer
version of the same record, so a stale event never overwrites a newer state.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session


def upsert_if_newer(session: Session, table: Table, values: dict[str, Any], key: str = "id") -> bool:
    """Insert the row, or update it when `values["version"]` is newer; True if written."""
    current = session.execute(select(table.c.version).where(table.c[key] == values[key])).scalar_one_or_none()
    if current is None:
        session.execute(table.insert().values(**values))
        return True
    if values["version"] <= current:
        return False
    session.execute(update(table).where(table.c[key] == values[key]).values(**values))
    return True
