"""Consumer tests: one eventlet-patched pytest process, real RabbitMQ and PostgreSQL.

The patch and psycopg's wait function must come before anything imports socket
users or psycopg; the `tandem_plumbing.testing` and nameko plugins import neither.
"""
from tandem_plumbing.testing import make_process_green

make_process_green()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from tandem_plumbing.envelope import Envelope  # noqa: E402
from tandem_plumbing.testing import EventPublisher as Publisher  # noqa: E402
from tandem_plumbing.testing import wait_for  # noqa: E402

STEP_TIMEOUT_S = 20


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
