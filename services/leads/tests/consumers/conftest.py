"""Consumer tests: one eventlet-patched pytest process, the real LeadsEvents service
against a real PostgreSQL database and a private RabbitMQ vhost.

The patch and psycopg's wait function come before anything imports socket users or
psycopg (the parent conftest imports neither at module level).
"""
from tandem_plumbing.testing import make_process_green

make_process_green()

import uuid  # noqa: E402

import pytest  # noqa: E402
from tandem_plumbing.testing import EventPublisher as Publisher  # noqa: E402
from tandem_plumbing.testing import wait_for  # noqa: E402


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
