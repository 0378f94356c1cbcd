"""Consumer tests: the real NotifyEvents in one eventlet-patched pytest process, real
RabbitMQ and PostgreSQL, a real SMTP server in this process.

The patch and psycopg's wait function come before anything imports socket users or
psycopg; the email timer's interval is read when the events module is imported.
"""
from tandem_plumbing.testing import make_process_green

make_process_green()

import os  # noqa: E402

os.environ["EMAIL_SEND_SECONDS"] = "0.2"

import uuid  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import pytest  # noqa: E402
from tandem_plumbing.testing import wait_for  # noqa: E402


@pytest.fixture
def notify_service(make_vhost, notify_db, monkeypatch, runner_factory, request):
    """start(**env): NotifyEvents on a vhost of this test's own and `notify_db`, its
    queues declared first (as `tandem-notify setup` does); publish(envelope) sends an
    event the way the outbox relay does (confirmed, mandatory, persistent, JSON)."""
    import pika
    from tandem_plumbing.consumer import declare_queues
    from tandem_plumbing.envelope import Envelope

    from tandem_notify.adapters.events import NotifyEvents

    uri = make_vhost(f"{request.node.name[:40]}-{uuid.uuid4().hex[:6]}")
    monkeypatch.setenv("NOTIFY_DATABASE_URL", notify_db.url)
    declare_queues(NotifyEvents, uri)
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.confirm_delivery()

    def start(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        runner = runner_factory({"AMQP_URI": uri, "max_workers": 10}, NotifyEvents)
        runner.start()
        return runner

    def publish(source, type_, data, envelope=None):
        envelope = envelope or Envelope(type=type_, source=source, data=data, correlation_id="req-test")
        properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
        channel.basic_publish(f"{source}.events", type_, envelope.to_json().encode(), properties, mandatory=True)
        return envelope

    def processed():
        from tandem_notify.adapters.models import processed_events

        return notify_db.count(processed_events)

    yield SimpleNamespace(start=start, publish=publish, processed=processed, wait_for=wait_for)
    if connection.is_open:
        connection.close()
