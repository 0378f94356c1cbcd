"""Consumer tests: one eventlet-patched pytest process, real RabbitMQ and PostgreSQL.

The patch and psycopg's wait function must come before anything imports socket
users or psycopg; the `tandem_plumbing.testing` and nameko plugins import neither.
"""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402

os.environ["PSYCOPG_WAIT_FUNC"] = "wait_select"
if "psycopg" in sys.modules:  # pragma: no cover - a plugin or parent conftest imported it
    raise RuntimeError("psycopg was imported before tests/consumers/conftest.py could make it green")

import json  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

from tandem_plumbing.envelope import Envelope  # noqa: E402

STEP_TIMEOUT_S = 20


@pytest.fixture
def vhost_uri(make_vhost, request):
    """A vhost of this test's own: no queue, argument or message from another test."""
    return make_vhost(f"{request.node.name[:40]}-{uuid.uuid4().hex[:6]}")


def wait_for(condition, timeout=STEP_TIMEOUT_S, what="condition"):
    """Poll (greenly) until condition() is truthy; fail clearly on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        eventlet.sleep(0.05)


class Publisher:
    """What the outbox relay does: pika, confirms, mandatory, persistent, JSON."""

    def __init__(self, uri):
        import pika

        self._pika = pika
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def declare_exchange(self, source):
        self.channel.exchange_declare(f"{source}.events", exchange_type="topic", durable=True)

    def raw(self, exchange, routing_key, body, content_type="application/json", mandatory=True):
        props = self._pika.BasicProperties(content_type=content_type, delivery_mode=2)
        self.channel.basic_publish(exchange, routing_key, body, props, mandatory=mandatory)

    def event(self, envelope: Envelope, mandatory=True):
        self.raw(f"{envelope.source}.events", envelope.type, envelope.to_json().encode(), mandatory=mandatory)

    def queue_depth(self, name):
        """Messages ready in a queue; 0 when it does not exist (yet)."""
        channel = self.connection.channel()
        try:
            return channel.queue_declare(name, passive=True).method.message_count
        except self._pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return 0
            raise
        finally:
            if channel.is_open:
                channel.close()

    def close(self):
        if self.connection.is_open:
            self.connection.close()


@pytest.fixture
def publisher_factory():
    made = []

    def make(uri):
        made.append(Publisher(uri))
        return made[-1]

    yield make
    for publisher in made:
        publisher.close()


@pytest.fixture
def start_service(runner_factory):
    """Start nameko service classes against a vhost; they are killed at teardown."""

    def start(uri, *service_classes, max_workers=10):
        runner = runner_factory({"AMQP_URI": uri, "max_workers": max_workers}, *service_classes)
        runner.start()
        return runner

    return start


def envelope(data, source="testsrc", type_="thing_happened", **kw):
    return Envelope(type=type_, source=source, data=data, correlation_id="req-test", **kw)


def parked_cli(*args):
    """Run the documented `tandem-parked` command as a real subprocess."""
    from eventlet.green import subprocess  # keeps the hub (and the service) running

    exe = os.path.join(os.path.dirname(sys.executable), "tandem-parked")
    done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    assert done.returncode == 0, f"tandem-parked {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def parked_json(uri, service):
    out = parked_cli("--amqp-uri", uri, "list", service, "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def tools():
    from types import SimpleNamespace

    return SimpleNamespace(wait_for=wait_for, envelope=envelope, parked_cli=parked_cli, parked_json=parked_json)


@pytest.fixture
def effects_db(make_database, request):
    """A fresh PostgreSQL database with the inbox and an `effects` table."""
    from types import SimpleNamespace

    from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

    from tandem_plumbing.db import make_engine
    from tandem_plumbing.outbox import add_plumbing_tables

    url = make_database(request.node.name[:20].lower())
    metadata = MetaData()
    _outbox, processed = add_plumbing_tables(metadata)
    effects = Table(
        "effects", metadata, Column("n", Integer, primary_key=True, autoincrement=True), Column("event_id", String(64))
    )
    engine = make_engine(url)
    metadata.create_all(engine)

    def count(table, **where):
        query = select(func.count()).select_from(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def record_effect(session, event_id):
        session.execute(effects.insert().values(event_id=event_id))

    yield SimpleNamespace(url=url, engine=engine, effects=effects, processed=processed, count=count,
                          record_effect=record_effect)
    engine.dispose()
