"""Consumer tests: one eventlet-patched pytest process, real RabbitMQ and PostgreSQL.

The patch and psycopg's wait function come before anything imports socket users or
psycopg (the parent conftest imports neither at module level). When another folder's
consumer tests share the process, their conftest patched first; psycopg may then be
imported already, and must be green."""
from tandem_plumbing.testing import make_process_green

make_process_green()

import importlib  # noqa: E402

import pytest  # noqa: E402
from tandem_plumbing import testing  # noqa: E402
from tandem_plumbing.testing import STEP_TIMEOUT_S  # noqa: E402


@pytest.fixture
def wait_for():
    """wait_for(condition, what): poll until condition() is truthy; fail clearly on timeout."""
    return lambda condition, what, timeout=STEP_TIMEOUT_S: testing.wait_for(condition, timeout, what)


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
    declared first (as `tandem-service-desk setup` does); SLA checks every 0.2 s.
    start(running=False): its runner, not started yet (to wait on its container first)."""
    from tandem_plumbing.consumer import declare_queues

    monkeypatch.setenv("SERVICE_DESK_DATABASE_URL", sd_db.url)
    monkeypatch.setenv("SLA_CHECK_SECONDS", "0.2")
    module = importlib.reload(importlib.import_module("tandem_service_desk.adapters.events"))
    declare_queues(module.ServiceDeskEvents, vhost_uri)

    def start(running=True):
        runner = runner_factory({"AMQP_URI": vhost_uri, "max_workers": 10}, module.ServiceDeskEvents)
        if running:
            runner.start()
        return runner

    return start
