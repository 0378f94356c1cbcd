"""Consumer tests: one eventlet-patched pytest process, the real LeadsEvents service
against a real PostgreSQL database and a private RabbitMQ vhost.

The patch and psycopg's wait function come before anything imports socket users or
psycopg (the parent conftest imports neither at module level).
"""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402

os.environ["PSYCOPG_WAIT_FUNC"] = "wait_select"
if "psycopg" in sys.modules:  # pragma: no cover - a plugin or parent conftest imported it
    raise RuntimeError("psycopg was imported before tests/consumers/conftest.py could make it green")

import time  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

STEP_TIMEOUT_S = 20


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
    """What another service's outbox relay does: pika, confirms, mandatory, persistent, JSON."""

    def __init__(self, uri):
        import pika

        self._pika = pika
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def event(self, envelope):
        props = self._pika.BasicProperties(content_type="application/json", delivery_mode=2)
        self.channel.basic_publish(f"{envelope.source}.events", envelope.type, envelope.to_json().encode(), props,
                                   mandatory=True)

    def close(self):
        if self.connection.is_open:
            self.connection.close()


@pytest.fixture
def leads_db(pg_leads_db):
    """The consumer runs against PostgreSQL (psycopg made green), as deployed."""
    return pg_leads_db


@pytest.fixture
def leads_consumer(leads_db, make_vhost, request, runner_factory, monkeypatch):
    """The real LeadsEvents consuming from a vhost of this test's own; returns a
    Publisher onto that vhost. Queues are declared first, as `tandem-leads setup` does."""
    from tandem_plumbing.consumer import declare_queues

    from tandem_leads.adapters.events import LeadsEvents

    uri = make_vhost(f"{request.node.name[:40]}-{uuid.uuid4().hex[:6]}")
    monkeypatch.setenv("LEADS_DATABASE_URL", leads_db.url)  # read when the service starts
    declare_queues(LeadsEvents, uri)
    runner_factory({"AMQP_URI": uri, "max_workers": 10}, LeadsEvents).start()
    publisher = Publisher(uri)
    yield publisher
    publisher.close()


@pytest.fixture
def wait():
    return wait_for
