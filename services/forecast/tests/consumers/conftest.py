"""Consumer tests: one eventlet-patched pytest process, real RabbitMQ and PostgreSQL.

The patch and psycopg's wait function come before anything imports socket users or
psycopg (the parent conftest imports neither at module level)."""
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
def publisher(vhost_uri):
    """What an outbox relay does (pika, confirms, mandatory, persistent, JSON)."""
    publisher = testing.EventPublisher(vhost_uri)
    yield publisher
    publisher.close()


@pytest.fixture
def forecast_events(pg_forecast_db, vhost_uri, monkeypatch, runner_factory):
    """start() -> the real ForecastEvents on the test's database and vhost, its queues
    declared first (as `tandem-forecast setup` does)."""
    from tandem_plumbing.consumer import declare_queues

    monkeypatch.setenv("FORECAST_DATABASE_URL", pg_forecast_db.url)
    module = importlib.reload(importlib.import_module("tandem_forecast.adapters.events"))
    declare_queues(module.ForecastEvents, vhost_uri)

    def start():
        runner = runner_factory({"AMQP_URI": vhost_uri, "max_workers": 10}, module.ForecastEvents)
        runner.start()
        return runner

    return start
