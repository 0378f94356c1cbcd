"""A relay process killed with SIGKILL in the middle of a stream loses nothing.

Committed events are published at least once: a restarted relay re-publishes
what the dead one published but had not marked yet (duplicates, counted), and
nothing committed is missing at the consumer.
"""
from __future__ import annotations

import signal
import time
from collections import Counter

from sqlalchemy import MetaData, func, select

from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.outbox import PENDING, PUBLISHED, add_plumbing_tables, record_event

EVENTS = 1000
KILL_AFTER = (200, 600)  # SIGKILL once this many rows are marked published


def test_sigkill_mid_stream_loses_no_event(make_database, amqp_uri, amqp, start_relay, source, capsys):
    url = make_database("sigkill")
    engine = make_engine(url)
    metadata = MetaData()
    outbox, _ = add_plumbing_tables(metadata)
    metadata.create_all(engine)
    queue = amqp.bind_queue(amqp_uri, source)  # durable, bound before anything is published

    committed = []
    factory = session_factory(engine)
    for _ in range(EVENTS // 50):
        with transaction(factory) as session:
            for _ in range(50):
                env = Envelope(type="thing_happened", source=source, data={"n": len(committed)})
                record_event(session, env)
                committed.append(env.id)

    def count(status: str) -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.status == status)).scalar()

    def wait_published(at_least: int, proc, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while count(PUBLISHED) < at_least:
            assert proc.poll() is None, f"relay exited early:\n{start_relay.logs()}"
            assert time.monotonic() < deadline, f"{at_least} not published in {timeout}s:\n{start_relay.logs()}"
            time.sleep(0.01)

    t0 = time.monotonic()
    kills = []
    for threshold in KILL_AFTER:
        proc = start_relay(url, source, amqp_uri)
        wait_published(threshold, proc)
        time.sleep(0.05)  # into the next batch: published to the broker, not yet marked
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        pending = count(PENDING)
        assert pending > 0, "killed too late: the relay had already published everything"
        kills.append({"published": count(PUBLISHED), "pending": pending})

    proc = start_relay(url, source, amqp_uri)
    wait_published(EVENTS, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0, start_relay.logs()

    elapsed = time.monotonic() - t0
    received = Counter(props.message_id for props, _ in amqp.drain(amqp_uri, queue))
    missing = set(committed) - set(received)
    duplicates = sum(received.values()) - len(received)
    with capsys.disabled():
        print(
            f"\n[relay SIGKILL] committed={len(committed)} kills={len(kills)} at_kill={kills} "
            f"relay_seconds={elapsed:.1f} received_unique={len(received)} duplicates={duplicates} "
            f"missing={len(missing)}"
        )
    assert not missing, f"{len(missing)} committed events never arrived"
    assert set(received) == set(committed)  # nothing that was not committed
    engine.dispose()
