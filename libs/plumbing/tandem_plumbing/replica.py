"""Keeping a local copy of another service's records from their events.

Events may arrive twice or out of order; a copy is only replaced by a newer
version of the same record, so a stale event never overwrites a newer state.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

_UPSERTS = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def upsert_if_newer(session: Session, table: Table, values: dict[str, Any], key: str = "id") -> bool:
    """Insert the row, or update it when `values["version"]` is newer; True if written.

    One statement, so that concurrent deliveries of two versions cannot interleave
    (read v1, v3 commits, then v2 overwrites it) and two first inserts cannot collide.
    """
    upsert = _UPSERTS[session.get_bind().dialect.name]  # the two databases Tandem runs on
    stmt = upsert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: stmt.excluded[name] for name in values if name != key},
        where=table.c.version < stmt.excluded.version,
    )
    # A row comes back only if it was inserted or updated (rowcount is not reliable
    # for INSERT in SQLAlchemy 2.x).
    return session.execute(stmt.returning(table.c[key])).first() is not None
