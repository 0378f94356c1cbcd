"""Consumer tests: one eventlet-patched pytest process, real RabbitMQ and PostgreSQL.

The patch and psycopg's wait function come before anything imports socket users or
psycopg (the parent conftest imports neither at module level). When another folder's
consumer tests share the process, their conftest patched first; psycopg may then be
imported already, and must be green."""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402

os.environ["PSYCOPG_WAIT_FUNC"] = "wait_select"
if "psycopg.waiting" in sys.modules:  # pragma: no cover - imported by an earlier conftest
    _waiting = sys.modules["psycopg.waiting"]
    if _waiting.wait is not _waiting.wait_select:
        raise RuntimeError("psycopg was imported before it could be made green")

import importlib  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

STEP_TIMEOUT_S = 20


@pytest.fixture
def wait_for():
    """wait_for(condition, what): poll (greenly) until condition() is truthy; fail clearly on timeout."""

    def wait(condition, what, timeout=STEP_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while not (value := condition()):
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout}s waiting for {what}")
            eventlet.sleep(0.05)
        return value

    return wait


@pytest.fixture
def vhost_uri(make_vhost, request):
    """A vhost of this test's own."""
    return make_vhost(f"{request.node.name[:40]}-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def publish(vhost_uri):
    """publish(envelope): what the outbox relay does (pika, confirms, mandatory, persistent, JSON)."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(vhost_uri))
    channel = connection.channel()
    channel.confirm_delivery()

    def publish(envelope):
        properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
        channel.basic_publish(f"{envelope.source}.events", envelope.type, envelope.to_json().encode(), properties,
                              mandatory=True)

    yield publish
    connection.close()


@pytest.fixture
def service_desk_events(sd_db, vhost_uri, monkeypatch, runner_factory):
    """start() -> the real ServiceDeskEvents on the test's database and vhost, its queues
    declared first (as `tandem-service-desk setup` does); SLA checks every 0.2 s."""
    from tandem_plumbing.consumer import declare_queues

    monkeypatch.setenv("SERVICE_DESK_DATABASE_URL", sd_db.url)
    monkeypatch.setenv("SLA_CHECK_SECONDS", "0.2")
    module = importlib.reload(importlib.import_module("tandem_service_desk.adapters.events"))
    declare_queues(module.ServiceDeskEvents, vhost_uri)

    def start():
        runner = runner_factory({"AMQP_URI": vhost_uri, "max_workers": 10}, module.ServiceDeskEvents)
        runner.start()
        return runner

    return start
