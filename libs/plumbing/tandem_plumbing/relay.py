"""The outbox relay: publishes a service's committed events to RabbitMQ, in order.

Each pending row of `outbox` (oldest first) is published to the topic exchange
`<source>.events` with the event type as routing key, persistent, with publisher
confirms and `mandatory=True`; rows are marked only after the broker confirmed
them. A crash anywhere re-publishes at most the rows of one batch (consumers
deduplicate on the event id). Broker or database trouble: reconnect with backoff.

An event for which no queue is bound is `unroutable`: nothing subscribes to that
type, so it is marked so (kept in the table, counted by `Ops.Status`) instead of
blocking the events behind it. Consumers declare their queues at set-up
(`consumer.declare_queues`), before any process starts, so that this happens only
for events nobody listens to.

Only one relay per service publishes at a time (order matters): on PostgreSQL it
holds an advisory lock, on SQLite an exclusive file lock; a second one waits. A
relay whose database session (and with it the advisory lock) dies stops publishing
until it holds the lock again.

Telemetry: events published and unroutable by type, failed passes, and (read at each
scrape once `watch_backlog` was called) the pending rows and the age of the oldest.
With tracing on, each publish is a span continuing the envelope's `traceparent` and
the message carries the publish span's context in its `traceparent` header.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import signal
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterator

import pika
import pika.exceptions
from sqlalchemy import Connection, Engine, bindparam, column, select, table, text, update
from sqlalchemy.exc import DBAPIError

from . import telemetry
from .outbox import PENDING, PUBLISHED, UNROUTABLE, pending_backlog
from .settings import env_float

log = logging.getLogger(__name__)

_outbox = table("outbox", column("seq"), column("body"), column("event_type"), column("event_id"),
                column("status"), column("published_at"))

_BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)
# Seconds an idle relay waits before looking again (OUTBOX_POLL_INTERVAL). Each hop of the
# referral flow waits half of it on average: at 0.1 the notification's p99 at 50
# referrals/s was 516-559 ms, at 0.05 it is 455 ms; an idle relay then costs about 1% of a
# core and 0.2% of PostgreSQL's (six idle relays: 67 ms/s of Python, 12 ms/s of PostgreSQL;
# a pass is one autocommit SELECT on the session that holds the relay lock).
DEFAULT_POLL_INTERVAL = 0.05
# Built once (values at execute time): a relay runs it after every batch it publishes.
_MARK = (update(_outbox).where(_outbox.c.seq.in_(bindparam("seqs", expanding=True)))
         .values(status=bindparam("status"), published_at=bindparam("at")))


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        source: str,
        amqp_uri: str,
        *,
        batch_size: int = 200,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_backoff: float = 3.0,
    ) -> None:
        self.engine = engine
        self.source = source
        self.exchange = f"{source}.events"
        self.amqp_uri = amqp_uri
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.stopping = threading.Event()
        self._connection: pika.BlockingConnection | None = None
        self._channel = None
        self._backoff = 0.5
        self._pending = (select(_outbox.c.seq, _outbox.c.event_id, _outbox.c.event_type, _outbox.c.body)
                         .where(_outbox.c.status == PENDING).order_by(_outbox.c.seq).limit(batch_size))

    # -- lifecycle -----------------------------------------------------------------
    def stop(self, *_args) -> None:
        self.stopping.set()

    def run_forever(self) -> None:
        self._backoff = 0.5
        while not self.stopping.is_set():
            try:
                with self._leadership() as held:
                    while not self.stopping.is_set():
                        self._publish_or_idle(held)
            except DBAPIError as exc:
                # Database down or restarted; on PostgreSQL the lock went with the session,
                # so it is taken again before anything more is published.
                log.warning("relay %s: database error (%r); retrying in %.1fs", self.source, exc, self._backoff)
                self._pause()
            except Exception:  # never die silently (e.g. as a thread of a service process)
                log.exception("relay %s: unexpected error; retrying in %.1fs", self.source, self._backoff)
                self._pause()
        self._disconnect()

    def _publish_or_idle(self, held: Connection | None) -> None:
        try:
            published = self.publish_pending(held)
            self._backoff = 0.5
            if not published:
                self._idle(self.poll_interval)
        except _BROKER_ERRORS as exc:
            telemetry.OUTBOX_FAILURES.labels(self.source).inc()
            log.warning("relay %s: broker unavailable (%r); retrying in %.1fs", self.source, exc, self._backoff)
            self._pause()

    def _pause(self) -> None:
        self._disconnect()
        self.stopping.wait(self._backoff)
        self._backoff = min(self._backoff * 2, self.max_backoff)

    # -- one pass --------------------------------------------------------------------
    def publish_pending(self, held: Connection | None = None) -> int:
        """Publish one batch of pending events; return how many rows were settled.

        `held`: the PostgreSQL session that holds the relay lock. Reading and marking on it
        needs no pool checkout and no ping, and a lost session fails the read (DBAPIError):
        the lock is taken again before anything more is published. Without it (SQLite, or
        a caller outside `run_forever`), pooled connections."""
        with self._database(held, read_only=True) as conn:
            rows = conn.execute(self._pending).all()
        if not rows:
            return 0
        channel = self._ensure_channel()
        published, unroutable = [], []
        try:
            for row in rows:
                try:
                    self._publish(channel, row)
                    published.append(row.seq)
                    telemetry.OUTBOX_PUBLISHED.labels(self.source, row.event_type).inc()
                except pika.exceptions.UnroutableError:
                    log.warning("relay %s: no queue bound for %s (event %s)", self.source, row.event_type, row.event_id)
                    unroutable.append(row.seq)
                    telemetry.OUTBOX_UNROUTABLE.labels(self.source, row.event_type).inc()
        finally:
            # Whatever the broker confirmed is marked, even if a later publish failed.
            self._mark(held, published, PUBLISHED)
            self._mark(held, unroutable, UNROUTABLE)
        return len(published) + len(unroutable)

    @contextmanager
    def _database(self, held: Connection | None, read_only: bool = False) -> Iterator[Connection]:
        """One transaction: on the held session, or on a pooled connection."""
        if held is not None:
            try:
                yield held
                held.commit()  # ends SQLAlchemy's transaction; autocommit: no round trip
            except BaseException:
                held.rollback()
                raise
            return
        pooled = self.engine.connect().execution_options(read_only=True) if read_only else self.engine.begin()
        with pooled as conn:
            yield conn

    def _publish(self, channel, row) -> None:
        """One confirmed publish; traced as a child of the span that recorded the event."""
        parent = telemetry.parent_context(json.loads(row.body)) if telemetry.tracing_enabled() else None
        attributes = {"messaging.system": "rabbitmq", "messaging.destination.name": self.exchange,
                      "messaging.rabbitmq.destination.routing_key": row.event_type,
                      "messaging.message.id": row.event_id}
        with telemetry.span(f"publish {self.source}.{row.event_type}", telemetry.SpanKind.PRODUCER, parent, attributes):
            headers: dict[str, str] = {}
            telemetry.inject(headers)
            channel.basic_publish(
                exchange=self.exchange,
                routing_key=row.event_type,
                body=row.body.encode(),
                properties=pika.BasicProperties(
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=row.event_id,
                    type=row.event_type,
                    headers=headers or None,
                ),
                mandatory=True,
            )

    def watch_backlog(self) -> None:
        """Report this relay's outbox backlog on /metrics (telemetry.py), read at each scrape."""

        def read() -> tuple[int, float]:
            with self.engine.connect() as conn:
                return pending_backlog(conn)

        telemetry.watch_outbox(self.source, read)

    def _mark(self, held: Connection | None, seqs: list[int], status: str) -> None:
        if not seqs:
            return
        with self._database(held) as conn:
            conn.execute(_MARK, {"seqs": seqs, "status": status, "at": datetime.now(timezone.utc)})

    # -- broker ----------------------------------------------------------------------
    def _ensure_channel(self):
        if self._channel is None or not self._channel.is_open:
            self._disconnect()
            params = pika.URLParameters(self.amqp_uri)
            params.heartbeat = 30
            params.blocked_connection_timeout = 30
            self._connection = pika.BlockingConnection(params)
            channel = self._connection.channel()
            channel.confirm_delivery()
            # Same arguments as nameko's get_event_exchange: durable topic exchange.
            channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            self._channel = channel
            log.info("relay %s: connected to broker", self.source)
        return self._channel

    def _idle(self, seconds: float) -> None:
        if self._connection is not None and self._connection.is_open:
            try:
                self._connection.sleep(seconds)  # keeps heartbeats flowing
                return
            except _BROKER_ERRORS:
                self._disconnect()
        self.stopping.wait(seconds)

    def _disconnect(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except _BROKER_ERRORS:
                pass

    # -- one relay per service ------------------------------------------------------
    @contextmanager
    def _leadership(self) -> Iterator[Connection | None]:
        """Hold the service's relay lock while publishing; stand by while another holds it.

        On PostgreSQL yields the session that holds the lock (the relay reads and marks
        on it, so a lost session shows as a DBAPIError); elsewhere None.
        """
        backend = self.engine.url.get_backend_name()
        if backend == "postgresql":
            key = int.from_bytes(hashlib.sha1(f"outbox-relay:{self.source}".encode()).digest()[:8], "big", signed=True)
            with self.engine.connect() as conn:
                # Autocommit: every statement the relay runs on this session (the lock, the
                # read of a batch, the mark) is atomic on its own, so BEGIN and COMMIT would
                # only add two round trips to each; an idle pass is then one SELECT.
                conn.execution_options(isolation_level="AUTOCOMMIT")
                try:
                    self._wait_for(lambda: _try_advisory_lock(conn, key))
                    # The lock lives as long as this session: a dead session means another
                    # relay may have taken over.
                    yield conn
                finally:
                    # Closing `conn` would only return it to the pool, still holding the
                    # lock; discard the session for real.
                    conn.invalidate()
        elif backend == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            with open(f"{self.engine.url.database}.relay.lock", "w") as lock_file:
                self._wait_for(lambda: _try_flock(lock_file))
                yield None  # a flock cannot be lost while the file stays open
        else:
            yield None

    def _wait_for(self, try_lock) -> None:
        if try_lock():
            return
        log.info("relay %s: another relay is active; standing by", self.source)
        while not self.stopping.wait(2.0):
            if try_lock():
                log.info("relay %s: took over", self.source)
                return


def _try_advisory_lock(conn, key: int) -> bool:
    locked = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
    conn.commit()  # ends SQLAlchemy's transaction (autocommit: no round trip); the session lock stays
    return bool(locked)


def _try_flock(lock_file) -> bool:
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def configured_poll_interval() -> float:
    """`OUTBOX_POLL_INTERVAL`, else DEFAULT_POLL_INTERVAL: for every process that runs a relay."""
    return env_float("OUTBOX_POLL_INTERVAL", DEFAULT_POLL_INTERVAL)


def run_relay(engine: Engine, source: str, amqp_uri: str, poll_interval: float = DEFAULT_POLL_INTERVAL) -> None:
    """Run until SIGTERM or SIGINT, then finish the current batch and exit."""
    relay = OutboxRelay(engine, source, amqp_uri, poll_interval=poll_interval)
    relay.watch_backlog()
    signal.signal(signal.SIGTERM, relay.stop)
    signal.signal(signal.SIGINT, relay.stop)
    log.info("relay %s: publishing to exchange %s", source, relay.exchange)
    relay.run_forever()
