"""Versioned documents an admin configures (a service's settings: scoring weights,
assignment rules, the Sales Path): one row per name, the document as JSON text.

A service keeps a table of this shape, named for its settings; the version is the
document's (1 when first saved), for optimistic concurrency in the use case that
replaces it. Until then no row exists and the service's defaults apply.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.orm import Session

from .db import utc


def documents_table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("name", String(32), primary_key=True),
        Column("document", Text, nullable=False),
        Column("version", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(64)),
    )


def load_document(session: Session, table: Table, name: str, *, for_update: bool = False) -> dict[str, Any] | None:
    """The row named `name` with its document decoded, or None when it was never saved.
    `for_update` locks the row until the transaction ends (PostgreSQL)."""
    query = select(table).where(table.c.name == name)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).mappings().one_or_none()
    if row is None:
        return None
    return {**row, "document": json.loads(row["document"]), "updated_at": utc(row["updated_at"])}


def save_document(session: Session, table: Table, name: str, document: Any, *, version: int, at: datetime,
                  by: str) -> None:
    """Write `version` of the document: version 1 inserts the row (a concurrent first
    save fails on the primary key), later ones replace it."""
    values = {"document": json.dumps(document), "version": version, "updated_at": at, "updated_by": by}
    if version == 1:
        session.execute(insert(table).values(name=name, **values))
    else:
        session.execute(update(table).where(table.c.name == name).values(**values))
