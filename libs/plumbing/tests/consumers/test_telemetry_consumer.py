"""Consumers and telemetry, in the eventlet process: a handler runs in a span that continues
the message's trace, under its correlation id; what it records continues the trace; its
outcomes, failures and time are counted; the parked queue's depth is reported."""
import collections
import json

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from sqlalchemy import text

from tandem_plumbing import telemetry
from tandem_plumbing.consumer import Database, handles, watch_parked
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.outbox import record_event

SERVICE = "tracedsvc"
HEADER_PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
ENVELOPE_PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    telemetry.configure_tracing(SERVICE, "events", exporters=[exporter])
    yield exporter
    telemetry.configure_tracing(SERVICE, "events", exporters=[])


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def consumed(outcome):
    return sample("tandem_events_consumed_total", service=SERVICE, source="testsrc", event_type="thing_happened",
                  outcome=outcome)


def make_service(effects_db, seen, fail: bool = False):
    class Service:
        name = SERVICE
        db = Database(effects_db.url)

        @handles("testsrc", "thing_happened")
        def on_thing(self, event):
            seen.append((event.id, telemetry.traceparent(), telemetry.correlation_id()))
            if fail:
                raise RuntimeError("this handler always fails")
            follow_up = Envelope(type="thing_followed", source=SERVICE, data={"of": event.id})
            self.db.apply_once(event, record_event, follow_up)

    return Service


def publish(publisher, event, headers=None):
    import pika

    props = pika.BasicProperties(content_type="application/json", delivery_mode=2, headers=headers)
    publisher.channel.basic_publish(f"{event.source}.events", event.type, event.to_json().encode(), props,
                                    mandatory=True)


def test_handler_continues_the_trace_and_what_it_records_too(vhost_uri, effects_db, start_service, publisher_factory,
                                                            tools, spans):
    seen = []
    start_service(vhost_uri, make_service(effects_db, seen))
    publisher = publisher_factory(vhost_uri)
    handled, timed = consumed("handled"), sample("tandem_event_handler_seconds_count", service=SERVICE,
                                                 source="testsrc", event_type="thing_happened")
    by_header = tools.envelope({"n": 1}, traceparent=ENVELOPE_PARENT)
    by_envelope = tools.envelope({"n": 2}, traceparent=ENVELOPE_PARENT)
    untraced = tools.envelope({"n": 3})
    publish(publisher, by_header, headers={"traceparent": HEADER_PARENT})  # the relay's publish span wins
    publish(publisher, by_envelope)
    publish(publisher, untraced)
    tools.wait_for(lambda: effects_db.count(effects_db.processed) == 3, what="three events handled")

    current = {event_id: (traceparent, correlation) for event_id, traceparent, correlation in seen}
    assert current[by_header.id][0].split("-")[1] == HEADER_PARENT.split("-")[1]
    assert current[by_envelope.id][0].split("-")[1] == ENVELOPE_PARENT.split("-")[1]
    assert current[untraced.id][0] is not None  # a fresh trace of its own
    assert {correlation for _traceparent, correlation in current.values()} == {"req-test"}

    handled_spans = {s.attributes["messaging.message.id"]: s for s in spans.get_finished_spans()
                     if s.name == "handle testsrc.thing_happened"}
    header_span = handled_spans[by_header.id]
    assert header_span.kind.name == "CONSUMER"
    assert f"{header_span.parent.span_id:016x}" == HEADER_PARENT.split("-")[2]
    assert handled_spans[untraced.id].parent is None

    with effects_db.engine.connect() as conn:  # the follow-up events continue each handler's span
        bodies = [json.loads(body) for body in conn.execute(text("SELECT body FROM outbox")).scalars()]
    follow_ups = {body["data"]["of"]: body["traceparent"] for body in bodies}
    for event_id, span in handled_spans.items():
        assert follow_ups[event_id].split("-")[1:3] == [f"{span.context.trace_id:032x}",
                                                       f"{span.context.span_id:016x}"]
    assert consumed("handled") == handled + 3
    assert sample("tandem_event_handler_seconds_count", service=SERVICE, source="testsrc",
                  event_type="thing_happened") == timed + 3


def test_failures_retries_parkings_and_invalid_messages_are_counted(monkeypatch, vhost_uri, effects_db, start_service,
                                                                     publisher_factory, tools):
    monkeypatch.setenv("TANDEM_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("TANDEM_RETRY_DELAY_MS", "100")
    seen = []
    start_service(vhost_uri, make_service(effects_db, seen, fail=True))
    publisher = publisher_factory(vhost_uri)
    before = {outcome: consumed(outcome) for outcome in ("handled", "retried", "parked", "invalid")}
    failures = sample("tandem_event_handler_failures_total", service=SERVICE, source="testsrc",
                      event_type="thing_happened")
    watch_parked(SERVICE, vhost_uri)
    try:
        publish(publisher, tools.envelope({"n": 1}))
        publisher.raw("testsrc.events", "thing_happened", b'{"not": "an envelope"}')
        tools.wait_for(lambda: publisher.queue_depth(f"parked.{SERVICE}") == 2, what="both messages parked")
        tools.wait_for(lambda: consumed("parked") == before["parked"] + 1, what="the parking counted")
        assert collections.Counter(event_id for event_id, _tp, _cid in seen).most_common(1)[0][1] == 2
        assert sample("tandem_event_handler_failures_total", service=SERVICE, source="testsrc",
                      event_type="thing_happened") == failures + 2
        assert consumed("retried") == before["retried"] + 1
        assert consumed("invalid") == before["invalid"] + 1
        assert consumed("handled") == before["handled"]
        assert sample("tandem_parked_messages", service=SERVICE) == 2
    finally:
        telemetry._on_scrape.parked.pop(SERVICE, None)
