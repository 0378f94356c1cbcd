"""Saved reports and dashboards: rows in, rows out (the definition as JSON)."""
from __future__ import annotations

import json
from typing import Any, Mapping

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from tandem_plumbing.db import utc


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "definition": json.loads(row["definition"]), "created_at": utc(row["created_at"]),
            "updated_at": utc(row["updated_at"])}


def get(session: Session, table: Table, record_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    query = select(table).where(table.c.id == record_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).mappings().one_or_none()
    return None if row is None else _record(row)


def page(session: Session, table: Table, owner_id: str | None, after: str | None, limit: int) -> list[dict[str, Any]]:
    """Records by id (ids sort by creation time), of `owner_id` (None: everyone's)."""
    query = select(table).order_by(table.c.id).limit(limit)
    if owner_id is not None:
        query = query.where(table.c.owner_id == owner_id)
    if after is not None:
        query = query.where(table.c.id > after)
    return [_record(row) for row in session.execute(query).mappings()]


def insert_record(session: Session, table: Table, record: Mapping[str, Any]) -> None:
    session.execute(insert(table).values(**{**record, "definition": json.dumps(record["definition"])}))


def update_record(session: Session, table: Table, record: Mapping[str, Any]) -> None:
    values = {**record, "definition": json.dumps(record["definition"])}
    session.execute(update(table).where(table.c.id == record["id"]).values(**values))


def delete_record(session: Session, table: Table, record_id: str) -> None:
    session.execute(delete(table).where(table.c.id == record_id))


def existing(session: Session, table: Table, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {row["id"]: _record(row) for row in session.execute(select(table).where(table.c.id.in_(ids))).mappings()}
