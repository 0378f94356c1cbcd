#!/usr/bin/env python
"""Benchmark of the transactional outbox and its relay, against the real local services.

    .venv/bin/python tests/bench/bench_outbox.py [--events N] [--rate R] [--seconds S]

Uses RabbitMQ (a private vhost, created through the management API and deleted at
the end), PostgreSQL (a temporary database, dropped at the end) and SQLite (a file in
a temporary directory). The servers are the ones `tandem_plumbing.testing` uses:
`TEST_AMQP_URL`, `TEST_RABBIT_MANAGEMENT_URL`, `TEST_POSTGRES_URL` (defaults: the
local servers). Every figure is printed with its ratio to a raw baseline measured in
the same run (pika alone, the database driver alone). Nothing here asserts on a
timing: this is not part of `make test` (pytest does not collect bench_*.py).

What is measured:
1. raw pika: BlockingConnection, confirm_delivery, persistent, mandatory, one confirm
   per message, bodies the size of an outbox event -> msg/s (the baseline of 3).
   For reference also one AMQP transaction per 200 messages (not what the relay does).
2. outbox write: `record_event` in its own transaction (commit per event) -> events/s,
   against the driver alone inserting the same row and committing (psycopg / sqlite3).
3. relay throughput: N pending rows, `OutboxRelay.publish_pending()` in a loop until
   drained -> events/s and its ratio to 1. Also the relay with a no-op channel, to
   show what the database side of the relay alone would allow.
4. end-to-end latency: events committed at a steady rate while a relay runs (its own
   process, `run_relay`, as `tandem-<service> relay` does) and a pika consumer records
   the receive time; latency = receive time - time the committing transaction began
   (carried in the event data). Baseline: the same consumer, pika publishing directly
   at the same rate.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone

import pika
import pika.exceptions
import psycopg
from sqlalchemy import MetaData, text

from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.outbox import PENDING, PUBLISHED, add_plumbing_tables, record_event
from tandem_plumbing.relay import OutboxRelay, run_relay

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Resources, local_infra, percentile, rate  # noqa: E402

SOURCE = "benchsrc"
EXCHANGE = f"{SOURCE}.events"
EVENT_TYPE = "lead_captured"
SINK = "bench.sink"  # durable queue bound to EXCHANGE with "#": makes every event routable
TX_BATCH = 200  # same as OutboxRelay's default batch_size

log = logging.getLogger("bench_outbox")


# -- helpers ------------------------------------------------------------------------
def event_data(i: int, **extra) -> dict:
    """A lead-sized payload; the envelope around it is ~400 bytes of JSON."""
    return {
        "lead_id": uuid.uuid4().hex,
        "n": i,
        "company": "Acme Widgets International Ltd",
        "email": f"jane.doe+{i}@example.com",
        "source": "web-form",
        "score": 42,
        "owner_id": 17,
        **extra,
    }


def envelope_json(i: int) -> str:
    return Envelope(type=EVENT_TYPE, source=SOURCE, data=event_data(i)).to_json()


def amqp_channel(uri: str):
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    return connection, connection.channel()


def declare_sink(uri: str) -> None:
    connection, ch = amqp_channel(uri)
    try:
        ch.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)  # as the relay declares it
        ch.queue_declare(SINK, durable=True)
        ch.queue_bind(SINK, EXCHANGE, routing_key="#")
    finally:
        connection.close()


def purge_sink(uri: str) -> None:
    connection, ch = amqp_channel(uri)
    try:
        ch.queue_purge(SINK)
    finally:
        connection.close()


def sink_depth(uri: str) -> int:
    connection, ch = amqp_channel(uri)
    try:
        return ch.queue_declare(SINK, passive=True).method.message_count
    finally:
        connection.close()


def props(message_id: str) -> pika.BasicProperties:
    # What the relay sends with every event.
    return pika.BasicProperties(
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=message_id,
        type=EVENT_TYPE,
    )


# -- private vhost and database -----------------------------------------------------
def bench_raw_pika(uri: str, n: int) -> float:
    bodies = [(uuid.uuid4().hex, envelope_json(i).encode()) for i in range(n)]
    purge_sink(uri)
    connection, ch = amqp_channel(uri)
    try:
        ch.confirm_delivery()
        t0 = time.perf_counter()
        for message_id, body in bodies:
            ch.basic_publish(EXCHANGE, EVENT_TYPE, body, props(message_id), mandatory=True)
        elapsed = time.perf_counter() - t0
    finally:
        connection.close()
    depth = sink_depth(uri)
    if depth != n:
        print(f"warning: raw pika: {depth} messages in the queue, expected {n}", file=sys.stderr)
    return rate(n, elapsed)


def bench_pika_tx_batches(uri: str, n: int) -> float:
    """Reference only: one AMQP transaction per TX_BATCH persistent messages."""
    bodies = [(uuid.uuid4().hex, envelope_json(i).encode()) for i in range(n)]
    purge_sink(uri)
    connection, ch = amqp_channel(uri)
    try:
        ch.tx_select()
        t0 = time.perf_counter()
        for start in range(0, n, TX_BATCH):
            for message_id, body in bodies[start:start + TX_BATCH]:
                ch.basic_publish(EXCHANGE, EVENT_TYPE, body, props(message_id))
            ch.tx_commit()
        elapsed = time.perf_counter() - t0
    finally:
        connection.close()
    return rate(n, elapsed)


# -- 2. outbox write ------------------------------------------------------------------
def raw_rows(n: int) -> list[tuple]:
    now = datetime.now(timezone.utc).isoformat()
    return [(uuid.uuid4().hex, EVENT_TYPE, envelope_json(i), PUBLISHED, now) for i in range(n)]


def bench_raw_insert_pg(dsn: str, n: int) -> float:
    rows = raw_rows(n)
    with psycopg.connect(dsn) as conn:
        t0 = time.perf_counter()
        for row in rows:
            conn.execute(
                "INSERT INTO outbox (event_id, event_type, body, status, created_at) VALUES (%s, %s, %s, %s, %s)", row
            )
            conn.commit()
        elapsed = time.perf_counter() - t0
        conn.execute("TRUNCATE outbox RESTART IDENTITY")
        conn.commit()
    return rate(n, elapsed)


def bench_raw_insert_sqlite(path: str, n: int) -> float:
    rows = raw_rows(n)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # The same pragmas and BEGIN IMMEDIATE as tandem_plumbing.db gives its engines.
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        t0 = time.perf_counter()
        for row in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO outbox (event_id, event_type, body, status, created_at) VALUES (?, ?, ?, ?, ?)", row)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        conn.execute("DELETE FROM outbox")
    finally:
        conn.close()
    return rate(n, elapsed)


def bench_record_event(engine, n: int) -> float:
    """One service transaction per event, as a use case does it: Envelope + record_event + commit."""
    factory = session_factory(engine)
    t0 = time.perf_counter()
    for i in range(n):
        with transaction(factory) as session:
            record_event(session, Envelope(type=EVENT_TYPE, source=SOURCE, data=event_data(i)))
    return rate(n, time.perf_counter() - t0)


# -- 3. relay throughput ----------------------------------------------------------------
def count_status(engine, status: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE status = :s"), {"s": status}).scalar_one()


def bench_relay(engine, uri: str, n_expected: int) -> tuple[float, int]:
    purge_sink(uri)
    relay = OutboxRelay(engine, SOURCE, uri)
    settled = 0
    try:
        t0 = time.perf_counter()  # includes the relay's connection set-up (~10 ms)
        while True:
            k = relay.publish_pending()
            if not k:
                break
            settled += k
        elapsed = time.perf_counter() - t0
    finally:
        relay._disconnect()  # OutboxRelay has no public close(); run_forever() does this on stop
    depth = sink_depth(uri)
    if settled != n_expected or depth != n_expected:
        print(f"warning: relay settled {settled}, queue holds {depth}, expected {n_expected}", file=sys.stderr)
    return rate(settled, elapsed), settled


class _NullChannel:
    is_open = True

    def basic_publish(self, **_kwargs) -> None:
        pass


class _DatabaseOnlyRelay(OutboxRelay):
    """The relay's select + mark with a channel that publishes nothing."""

    def _ensure_channel(self):
        return _NullChannel()


def bench_relay_db_only(engine, n_expected: int) -> float:
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET status = :p, published_at = NULL"), {"p": PENDING})
    relay = _DatabaseOnlyRelay(engine, SOURCE, "amqp://unused")
    settled = 0
    t0 = time.perf_counter()
    while k := relay.publish_pending():
        settled += k
    elapsed = time.perf_counter() - t0
    if settled != n_expected:
        print(f"warning: db-only relay settled {settled}, expected {n_expected}", file=sys.stderr)
    return rate(settled, elapsed)


# -- 4. end-to-end latency ----------------------------------------------------------------
class Receiver(threading.Thread):
    """A pika consumer on SINK recording (phase, latency) for every message."""

    def __init__(self, uri: str) -> None:
        super().__init__(daemon=True, name="receiver")
        self.uri = uri
        self.samples: list[tuple[str, float]] = []
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            connection, ch = amqp_channel(self.uri)
            ch.basic_consume(SINK, self._on_message, auto_ack=True)
            self.ready.set()
            while not self.stopping.is_set():
                connection.process_data_events(time_limit=0.05)
            connection.close()
        except BaseException as exc:  # surfaced by the main thread
            self.error = exc
            self.ready.set()

    def _on_message(self, _ch, _method, _props, body: bytes) -> None:
        received = time.time()
        data = json.loads(body)["data"]
        self.samples.append((data["phase"], received - data["t_commit"]))

    def count(self, phase: str) -> int:
        return sum(1 for p, _ in list(self.samples) if p == phase)

    def latencies(self, phase: str) -> list[float]:
        return sorted(lat for p, lat in list(self.samples) if p == phase)

    def wait_for(self, phase: str, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error:
                raise self.error
            if self.count(phase) >= count:
                return True
            time.sleep(0.02)
        return False


def paced(n: int, per_second: float):
    """Yield 0..n-1 on a fixed schedule (no drift); a late producer catches up at once."""
    t0 = time.monotonic()
    for i in range(n):
        delay = t0 + i / per_second - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield i


def latency_raw(uri: str, receiver: Receiver, per_second: float, seconds: float) -> dict:
    phase = "raw"
    n = int(per_second * seconds)
    connection, ch = amqp_channel(uri)
    try:
        ch.confirm_delivery()
        for i in paced(n, per_second):
            body = Envelope(type=EVENT_TYPE, source=SOURCE, data=event_data(i, phase=phase, t_commit=time.time()))
            ch.basic_publish(EXCHANGE, EVENT_TYPE, body.to_json().encode(), props(body.id), mandatory=True)
    finally:
        connection.close()
    receiver.wait_for(phase, n, timeout=10)
    return summarise(receiver.latencies(phase), n)


def start_relay_process(db_url: str, uri: str, poll_interval: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--relay-child", db_url, uri, str(poll_interval)],
        stdin=subprocess.DEVNULL,
    )


def latency_outbox(
    label: str, engine, db_url: str, uri: str, receiver: Receiver, per_second: float, seconds: float, poll: float
) -> dict:
    phase = f"outbox-{label}"
    n = int(per_second * seconds)
    factory = session_factory(engine)

    def commit_one(i: int, phase_name: str) -> float:
        t = time.time()
        with transaction(factory) as session:
            record_event(session, Envelope(type=EVENT_TYPE, source=SOURCE, data=event_data(i, phase=phase_name, t_commit=t)))
        return time.time() - t

    relay = start_relay_process(db_url, uri, poll)
    try:
        # Warm-up: the relay connects to the broker on its first event.
        commit_one(0, f"warmup-{label}")
        if not receiver.wait_for(f"warmup-{label}", 1, timeout=30):
            raise RuntimeError(f"{label}: the relay did not deliver the warm-up event within 30 s")
        commit_times = []
        t0 = time.monotonic()
        for i in paced(n, per_second):
            commit_times.append(commit_one(i, phase))
        produce_elapsed = time.monotonic() - t0
        delivered = receiver.wait_for(phase, n, timeout=15)
        if not delivered:
            print(f"warning: {label}: {receiver.count(phase)} of {n} events arrived", file=sys.stderr)
    finally:
        relay.send_signal(signal.SIGTERM)
        try:
            relay.wait(timeout=15)
        except subprocess.TimeoutExpired:
            relay.kill()
            relay.wait()
    result = summarise(receiver.latencies(phase), n)
    commit_times.sort()
    result["commit_p50"] = percentile(commit_times, 50)
    result["offered"] = rate(n, produce_elapsed)
    return result


def summarise(latencies: list[float], expected: int) -> dict:
    return {
        "n": len(latencies),
        "expected": expected,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": latencies[-1] if latencies else float("nan"),
        "mean": sum(latencies) / len(latencies) if latencies else float("nan"),
    }


# -- main ------------------------------------------------------------------------------------
def relay_child(db_url: str, uri: str, poll_interval: str) -> int:
    logging.basicConfig(level=logging.WARNING, format="relay-child %(levelname)s %(message)s")
    engine = make_engine(db_url)
    run_relay(engine, SOURCE, uri, poll_interval=float(poll_interval))
    engine.dispose()
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="events per throughput phase (default 5000)")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s offered in the latency phase (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each outbox latency phase (default 10)")
    parser.add_argument("--raw-seconds", type=float, default=5.0, help="duration of the raw pika latency phase (default 5)")
    parser.add_argument("--poll-interval", type=float, default=0.1, help="relay poll interval in the latency phase (default 0.1, the product's)")
    parser.add_argument("--backends", default="postgresql,sqlite", help="comma-separated: postgresql,sqlite")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--relay-child"]:
        return relay_child(*argv[1:4])
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    n = args.events
    started = time.monotonic()
    res = Resources(local_infra())
    figures: dict[str, object] = {}
    try:
        uri = res.make_vhost()
        declare_sink(uri)
        body_size = len(envelope_json(0).encode())
        print(f"# outbox benchmark: {n} events per throughput phase, event body {body_size} bytes")
        print(f"# vhost {urllib.parse.unquote(res.vhost_quoted)}, temp dir {res.tmpdir}")

        print("\n## 1. raw pika publish (BlockingConnection, confirm per message, persistent, mandatory)")
        bench_raw_pika(uri, min(n, 1000))  # warm-up: the first messages into a fresh vhost are slower
        raw_pika = bench_raw_pika(uri, n)
        figures["raw_pika"] = raw_pika
        print(f"raw pika, confirm per message:           {raw_pika:9.0f} msg/s  (baseline)")
        tx = bench_pika_tx_batches(uri, n)
        figures["pika_tx"] = tx
        print(f"pika, 1 tx per {TX_BATCH} msgs (reference):   {tx:9.0f} msg/s  ({tx / raw_pika:.2f}x the baseline)")
        purge_sink(uri)

        engines = {}
        for backend in backends:
            if backend == "postgresql":
                url, dsn = res.make_database()
                raw_insert = lambda n_, dsn=dsn: bench_raw_insert_pg(dsn, n_)  # noqa: E731
            elif backend == "sqlite":
                path = os.path.join(res.tmpdir, "bench.db")
                url = f"sqlite:///{path}"
                raw_insert = lambda n_, path=path: bench_raw_insert_sqlite(path, n_)  # noqa: E731
            else:
                raise SystemExit(f"unknown backend {backend!r}")
            engine = make_engine(url)
            metadata = MetaData()
            add_plumbing_tables(metadata)
            metadata.create_all(engine)
            engines[backend] = (engine, url)

            print(f"\n## 2. outbox write, commit per event ({backend})")
            raw = raw_insert(n)
            rec = bench_record_event(engine, n)
            figures[f"{backend}_raw_insert"], figures[f"{backend}_record_event"] = raw, rec
            print(f"raw driver insert + commit:               {raw:9.0f} rows/s  (baseline)")
            print(f"record_event in a transaction each:       {rec:9.0f} events/s ({rec / raw:.2f}x)")

            print(f"\n## 3. relay throughput, {n} pending events ({backend})")
            pending = count_status(engine, PENDING)
            # The broker's fsync rate drifts with what the disk just did: measure the
            # baseline again right before the relay, and compare with that one.
            raw_here = bench_raw_pika(uri, pending)
            figures[f"{backend}_raw_pika"] = raw_here
            print(f"raw pika, same {pending} messages, just before: {raw_here:7.0f} msg/s  (baseline)")
            relay_rate, settled = bench_relay(engine, uri, pending)
            figures[f"{backend}_relay"] = relay_rate
            print(f"OutboxRelay.publish_pending() loop:       {relay_rate:9.0f} events/s ({relay_rate / raw_here:.2f}x raw pika)")
            db_only = bench_relay_db_only(engine, settled)
            figures[f"{backend}_relay_db_only"] = db_only
            model = 1 / (1 / raw_here + 1 / db_only)
            print(f"  relay with a no-op channel (DB side):   {db_only:9.0f} events/s ({db_only / raw_here:.2f}x raw pika)")
            print(f"  1/(1/raw pika + 1/DB side) predicts:    {model:9.0f} events/s")
            purge_sink(uri)

        print(f"\n## 4. end-to-end latency, {args.rate:.0f} events/s (relay process, poll {args.poll_interval}s)")
        receiver = Receiver(uri)
        receiver.start()
        receiver.ready.wait(10)
        if receiver.error:
            raise receiver.error
        header = f"{'':28} {'received':>11} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)"
        print(header)

        def show(name: str, r: dict, base: dict | None) -> None:
            ms = {k: r[k] * 1000 for k in ("p50", "p95", "p99", "max")}
            line = (f"{name:28} {r['n']:>5}/{r['expected']:<5} {ms['p50']:8.1f} {ms['p95']:8.1f} "
                    f"{ms['p99']:8.1f} {ms['max']:8.1f}")
            if base:
                line += f"  p50 {r['p50'] / base['p50']:.0f}x raw"
            if "offered" in r:
                line += f"; offered {r['offered']:.0f}/s, commit p50 {r['commit_p50'] * 1000:.1f} ms"
            print(line)

        base = latency_raw(uri, receiver, args.rate, args.raw_seconds)
        figures["latency_raw"] = base
        show("raw pika publish", base, None)
        for backend, (engine, url) in engines.items():
            r = latency_outbox(backend, engine, url, uri, receiver, args.rate, args.seconds, args.poll_interval)
            figures[f"latency_{backend}"] = r
            show(f"outbox + relay ({backend})", r, base)
        receiver.stopping.set()
        receiver.join(5)
        for engine, _ in engines.values():
            engine.dispose()
    finally:
        res.close()
    print(f"\n# total {time.monotonic() - started:.0f} s; vhost, database and temp dir removed")
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as fh:
            json.dump(figures, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
