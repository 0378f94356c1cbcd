"""Outbox and relay against real PostgreSQL / SQLite and the real broker (session vhost)."""
from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select

from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.outbox import PENDING, PUBLISHED, UNROUTABLE, backlog, record_event
from tandem_plumbing.relay import OutboxRelay


def commit_events(engine, source: str, types: list[str]) -> list[Envelope]:
    envelopes = [Envelope(type=t, source=source, data={"n": i}, correlation_id="req-1") for i, t in enumerate(types)]
    with transaction(session_factory(engine)) as session:
        for env in envelopes:
            record_event(session, env)
    return envelopes


def statuses(engine, outbox) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(outbox.c.event_id, outbox.c.status)).all())


def test_rolled_back_events_are_never_published(outbox_db, source, amqp_uri, amqp):
    engine, outbox = outbox_db
    queue = amqp.bind_queue(amqp_uri, source)
    doomed = Envelope(type="thing_happened", source=source, data={})
    with pytest.raises(RuntimeError):
        with transaction(session_factory(engine)) as session:
            record_event(session, doomed)
            raise RuntimeError("business rule failed after the event was staged")
    kept = commit_events(engine, source, ["thing_happened"])

    relay = OutboxRelay(engine, source, amqp_uri)
    try:
        assert relay.publish_pending() == 1
        assert relay.publish_pending() == 0
    finally:
        relay._disconnect()
    ids = [props.message_id for props, _ in amqp.drain(amqp_uri, queue)]
    assert ids == [kept[0].id]
    assert statuses(engine, outbox) == {kept[0].id: PUBLISHED}


def test_committed_events_are_published_in_order_as_persistent_json(outbox_db, source, amqp_uri, amqp):
    engine, outbox = outbox_db
    queue = amqp.bind_queue(amqp_uri, source)
    sent = []
    for _ in range(3):  # several transactions, several rows each
        sent += commit_events(engine, source, ["lead_created", "lead_assigned", "lead_created"])

    relay = OutboxRelay(engine, source, amqp_uri, batch_size=4)  # more than one batch
    try:
        while relay.publish_pending():
            pass
    finally:
        relay._disconnect()
    got = amqp.drain(amqp_uri, queue)
    assert [props.message_id for props, _ in got] == [env.id for env in sent]
    for (props, body), env in zip(got, sent):
        assert props.content_type == "application/json"
        assert props.delivery_mode == 2
        assert props.type == env.type
        assert Envelope.from_dict(body) == env
        assert json.loads(body)["source"] == source
    assert set(statuses(engine, outbox).values()) == {PUBLISHED}


def test_unroutable_event_is_marked_and_does_not_block_the_rest(outbox_db, source, amqp_uri, amqp):
    engine, outbox = outbox_db
    queue = amqp.bind_queue(amqp_uri, source, routing_key="wanted")
    sent = commit_events(engine, source, ["wanted", "nobody_listens", "wanted"])

    relay = OutboxRelay(engine, source, amqp_uri)
    try:
        assert relay.publish_pending() == 3
    finally:
        relay._disconnect()
    assert [props.message_id for props, _ in amqp.drain(amqp_uri, queue)] == [sent[0].id, sent[2].id]
    assert statuses(engine, outbox) == {sent[0].id: PUBLISHED, sent[1].id: UNROUTABLE, sent[2].id: PUBLISHED}
    with session_factory(engine)() as session:
        assert backlog(session, outbox) == {PENDING: 0, PUBLISHED: 2, UNROUTABLE: 1}


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_only_one_relay_publishes_the_second_stands_by(outbox_db, source, amqp_uri, make_vhost, amqp):
    """Relay B publishes to another vhost: what arrives there shows who published."""
    engine, outbox = outbox_db
    uri_b = make_vhost(f"relay-b-{source}")
    queue_a = amqp.bind_queue(amqp_uri, source)
    queue_b = amqp.bind_queue(uri_b, source)
    relay_a = OutboxRelay(engine, source, amqp_uri, poll_interval=0.05)
    relay_b = OutboxRelay(engine, source, uri_b, poll_interval=0.05)
    thread_a = threading.Thread(target=relay_a.run_forever, daemon=True)
    thread_b = threading.Thread(target=relay_b.run_forever, daemon=True)
    try:
        thread_a.start()
        first = commit_events(engine, source, ["e"] * 5)
        wait_until(lambda: set(statuses(engine, outbox).values()) == {PUBLISHED}, 10, "relay A to publish")
        thread_b.start()
        second = commit_events(engine, source, ["e"] * 5)
        wait_until(lambda: set(statuses(engine, outbox).values()) == {PUBLISHED}, 10, "relay A to publish more")
        assert [p.message_id for p, _ in amqp.drain(amqp_uri, queue_a)] == [e.id for e in first + second]
        assert amqp.drain(uri_b, queue_b, idle=0.2) == []
        assert thread_b.is_alive()

        relay_a.stop()
        thread_a.join(10)
        assert not thread_a.is_alive()
        third = commit_events(engine, source, ["e"] * 5)
        # B polls for the lock every 2 s.
        wait_until(lambda: set(statuses(engine, outbox).values()) == {PUBLISHED}, 10, "relay B to take over")
        assert [p.message_id for p, _ in amqp.drain(uri_b, queue_b)] == [e.id for e in third]
    finally:
        relay_a.stop()
        relay_b.stop()
        thread_a.join(10)
        thread_b.join(10)


def test_relay_waits_for_a_database_that_is_not_there_yet(tandem_infra, source, amqp_uri, amqp):
    """A relay started before its database exists (or while it is down) keeps retrying."""
    import psycopg
    from sqlalchemy import MetaData
    from sqlalchemy.engine import make_url

    from tandem_plumbing.db import make_engine
    from tandem_plumbing.outbox import add_plumbing_tables

    admin = make_url(tandem_infra.postgres_url).set(drivername="postgresql")
    name = f"tandem_t_late_{source}"
    engine = make_engine(admin.set(database=name).render_as_string(hide_password=False))
    queue = amqp.bind_queue(amqp_uri, source)
    relay = OutboxRelay(engine, source, amqp_uri, poll_interval=0.05, max_backoff=0.5)
    thread = threading.Thread(target=relay.run_forever, daemon=True)
    thread.start()
    admin_dsn = admin.render_as_string(hide_password=False)
    try:
        time.sleep(1.0)
        assert thread.is_alive(), "the relay died instead of waiting for its database"
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        metadata = MetaData()
        outbox, _ = add_plumbing_tables(metadata)
        metadata.create_all(engine)
        sent = commit_events(engine, source, ["e", "e"])
        wait_until(lambda: set(statuses(engine, outbox).values()) == {PUBLISHED}, 10, "the late relay to publish")
        assert [p.message_id for p, _ in amqp.drain(amqp_uri, queue)] == [e.id for e in sent]
    finally:
        relay.stop()
        thread.join(10)
        engine.dispose()
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_relay_takes_its_lock_again_when_the_lock_session_dies(make_database, source, amqp_uri, amqp):
    """PostgreSQL restart or a killed backend: the advisory lock is gone with the session."""
    from sqlalchemy import MetaData, text

    from tandem_plumbing.db import make_engine
    from tandem_plumbing.outbox import add_plumbing_tables

    engine = make_engine(make_database("lock"))
    metadata = MetaData()
    outbox, _ = add_plumbing_tables(metadata)
    metadata.create_all(engine)
    queue = amqp.bind_queue(amqp_uri, source)
    relay = OutboxRelay(engine, source, amqp_uri, poll_interval=0.05, max_backoff=0.5)
    thread = threading.Thread(target=relay.run_forever, daemon=True)
    lock_holder = text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
                       "(SELECT oid FROM pg_database WHERE datname = current_database())")
    try:
        thread.start()
        first = commit_events(engine, source, ["e"])
        wait_until(lambda: set(statuses(engine, outbox).values()) == {PUBLISHED}, 10, "the relay to publish")
        with engine.connect() as conn:
            old_pid = conn.execute(lock_holder).scalar_one()
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old_pid})
        second = commit_events(engine, source, ["e"])
        wait_until(lambda: set(statuses(engine, outbox).values()) == {PUBLISHED}, 10, "the relay to publish again")
        with engine.connect() as conn:
            assert conn.execute(lock_holder).scalar_one() != old_pid  # held again, by a new session
        assert [p.message_id for p, _ in amqp.drain(amqp_uri, queue)] == [e.id for e in first + second]
        assert thread.is_alive()
    finally:
        relay.stop()
        thread.join(10)
        engine.dispose()


def test_events_are_published_in_commit_order_across_concurrent_transactions(outbox_db, source, amqp_uri, amqp):
    """T1 records an event and stays open; T2 records one and tries to commit. T1's
    lower seq must not be overtaken: T2 waits for T1, so the relay sees them in order."""
    engine, _outbox = outbox_db
    queue = amqp.bind_queue(amqp_uri, source)
    factory = session_factory(engine)
    first = Envelope(type="first", source=source, data={})
    second = Envelope(type="second", source=source, data={})
    relay = OutboxRelay(engine, source, amqp_uri)
    t2_done = threading.Event()

    def t2():
        with transaction(factory) as session:
            record_event(session, second)
        t2_done.set()

    try:
        with transaction(factory) as session:
            record_event(session, first)
            thread = threading.Thread(target=t2)
            thread.start()
            assert not t2_done.wait(0.5), "a later event-writing transaction committed before the open one"
            relay.publish_pending()  # whatever is committed so far: nothing
        thread.join(10)
        assert t2_done.is_set()
        while relay.publish_pending():
            pass
    finally:
        relay._disconnect()
    assert [props.type for props, _ in amqp.drain(amqp_uri, queue)] == ["first", "second"]


def test_relay_reads_do_not_block_sqlite_writers(tmp_path):
    """The relay's poll reads a snapshot; a writer's BEGIN IMMEDIATE goes through meanwhile."""
    from sqlalchemy import MetaData, text

    from tandem_plumbing.db import make_engine
    from tandem_plumbing.outbox import add_plumbing_tables

    engine = make_engine(f"sqlite:///{tmp_path}/r.db")
    add_plumbing_tables(metadata := MetaData())
    metadata.create_all(engine)
    writer = make_engine(f"sqlite:///{tmp_path}/r.db")
    with engine.connect().execution_options(read_only=True) as reader:
        reader.execute(text("SELECT count(*) FROM outbox")).scalar()  # snapshot open
        started = time.monotonic()
        commit_events(writer, "src", ["written_while_reading"])
        assert time.monotonic() - started < 1.0, "the writer waited for the reader's lock"
    engine.dispose()
    writer.dispose()
