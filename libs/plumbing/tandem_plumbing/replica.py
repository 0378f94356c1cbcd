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

# An INSERT that can say ON CONFLICT, for each of the two databases Tandem runs on, by
# dialect name (`session.get_bind().dialect.name`): for services that build their own.
ON_CONFLICT_INSERT = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def _upsert(session: Session, table: Table, names, key: str):
    """INSERT ... ON CONFLICT (key) DO UPDATE only where the incoming version is newer."""
    stmt = ON_CONFLICT_INSERT[session.get_bind().dialect.name](table)
    return stmt, dict(
        index_elements=[table.c[key]],
        set_={name: stmt.excluded[name] for name in names if name != key},
        where=table.c.version < stmt.excluded.version,
    )


def upsert_if_newer(session: Session, table: Table, values: dict[str, Any], key: str = "id") -> bool:
    """Insert the row, or update it when `values["version"]` is newer; True if written.

    One statement, so that concurrent deliveries of two versions cannot interleave
    (read v1, v3 commits, then v2 overwrites it) and two first inserts cannot collide.
    """
    stmt, conflict = _upsert(session, table, values, key)
    stmt = stmt.values(**values)
    stmt = stmt.on_conflict_do_update(**conflict)
    # A row comes back only if it was inserted or updated (rowcount is not reliable
    # for INSERT in SQLAlchemy 2.x).
    return session.execute(stmt.returning(table.c[key])).first() is not None


def upsert_many_if_newer(session: Session, table: Table, rows: list[dict[str, Any]], key: str = "id") -> None:
    """`upsert_if_newer` of many rows (distinct keys, same columns) in one statement:
    a backfill's page instead of one round trip per row."""
    if rows:
        stmt, conflict = _upsert(session, table, rows[0], key)
        session.execute(stmt.values(rows).on_conflict_do_update(**conflict))
