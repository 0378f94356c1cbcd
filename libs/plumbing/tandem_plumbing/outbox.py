"""Transactional outbox and inbox tables, added to each service's own metadata.

A use case calls `record_event(session, envelope)` in the same transaction as its
business change; the relay (`relay.py`) publishes committed rows in order. A
consumer records each event id it applied in `processed_events`, in the same
transaction as the effect (see `consumer.Database.apply_once`).
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    column,
    func,
    insert,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from . import telemetry
from .db import utc
from .envelope import Envelope

# Outbox row status.
PENDING, PUBLISHED, UNROUTABLE = "pending", "published", "unroutable"


def add_plumbing_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Define `outbox` and `processed_events` on a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        # BigInteger on PostgreSQL, INTEGER PRIMARY KEY (rowid, ordered) on SQLite.
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("body", Text, nullable=False),
        Column("status", String(16), nullable=False, default=PENDING),
        Column("created_at", DateTime(timezone=True), nullable=False, default=lambda: datetime.now(timezone.utc)),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_status_seq", "status", "seq"),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("consumer", String(200), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, default=lambda: datetime.now(timezone.utc)),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    return outbox, processed


# The same table as a lightweight construct: usable with any service's metadata.
_outbox = table(
    "outbox", column("event_id"), column("event_type"), column("body"), column("status"), column("created_at")
)
# Built once, values passed apart: `insert(...).values(**row)` coerced and cache-keyed every
# value again on each call (a tenth of a lead's intake went to building statements).
_INSERT_OUTBOX = insert(_outbox)


# Held from the first event a transaction records until it ends (PostgreSQL).
OUTBOX_LOCK_KEY = 0x7A4D_0B0C
_LOCKED_IN = "tandem_outbox_locked_in"


def record_event(session: Session, envelope: Envelope) -> None:
    """Stage an event in the caller's transaction; it is published after commit.

    `seq` is taken at insert time, so two concurrent transactions could commit in the
    other order and the relay would publish a later event first. On PostgreSQL the
    transaction therefore takes a transaction-level lock first: event-writing
    transactions commit one at a time, in `seq` order. Record events after the other
    writes of a use case, so the lock is held only up to the commit. SQLite writers
    are serialised already (BEGIN IMMEDIATE).

    The current trace context rides in the envelope (`traceparent`), unless the
    caller set one: the trace goes on from wherever the event was recorded.
    """
    session.connection()  # begins the transaction when none has begun yet
    transaction = session.get_transaction()
    if session.get_bind().dialect.name == "postgresql" and session.info.get(_LOCKED_IN) is not transaction:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK_KEY})
        session.info[_LOCKED_IN] = transaction  # once per transaction is enough
    if envelope.traceparent is None:
        current = telemetry.traceparent()
        if current is not None:
            envelope = dataclasses.replace(envelope, traceparent=current)
    telemetry.add_event("outbox.recorded", {"event.type": envelope.type, "event.id": envelope.id})
    session.execute(_INSERT_OUTBOX, {"event_id": envelope.id, "event_type": envelope.type, "body": envelope.to_json(),
                                     "status": PENDING, "created_at": datetime.now(timezone.utc)})


_processed = table("processed_events", column("consumer"), column("event_id"), column("processed_at"))
_INSERT_PROCESSED = insert(_processed)  # built once, values apart: see _INSERT_OUTBOX


def record_processed(session: Session, consumer: str, event_id: str) -> None:
    """Claim an event for a consumer; a second claim fails on the primary key."""
    session.execute(_INSERT_PROCESSED, {"consumer": consumer, "event_id": event_id,
                                        "processed_at": datetime.now(timezone.utc)})


def pending_backlog(connection) -> tuple[int, float]:
    """(pending rows, age in seconds of the oldest) for the relay's metrics: the status
    index answers it without reading the published rows."""
    oldest_created = func.min(_outbox.c.created_at, type_=DateTime(timezone=True))
    count, oldest = connection.execute(
        select(func.count(), oldest_created).where(_outbox.c.status == PENDING)
    ).one()
    if oldest is None:
        return count, 0.0
    return count, max(0.0, (datetime.now(timezone.utc) - utc(oldest)).total_seconds())


def backlog(session: Session, outbox: Table) -> dict[str, int]:
    """How many rows are in each status (operators watch `pending`)."""
    rows = session.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
    counts = {PENDING: 0, PUBLISHED: 0, UNROUTABLE: 0}
    counts.update({status: count for status, count in rows})
    return counts
