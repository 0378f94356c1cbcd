"""Telemetry: JSON logs, trace propagation (gRPC, envelope, relay) and metrics, on real
servers (gRPC, RabbitMQ, PostgreSQL / SQLite, the /metrics HTTP endpoint)."""
from __future__ import annotations

import io
import json
import logging
import urllib.request

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from tandem.common.v1 import ops_pb2, ops_pb2_grpc

from tandem_plumbing import telemetry
from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.envelope import Envelope, InvalidEnvelope
from tandem_plumbing.failures import Failure
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.grpc_server import build_server
from tandem_plumbing.outbox import record_event
from tandem_plumbing.relay import OutboxRelay
from tandem_plumbing.rpc import REQUEST_ID_KEY
from tandem_plumbing.settings import metrics_port
from tandem_plumbing.testing import free_port

OPS = ops_pb2.DESCRIPTOR.services_by_name["Ops"].full_name
STATUS = f"/{OPS}/Status"


@pytest.fixture
def spans():
    """Tracing on, into memory, for the test; off again afterwards."""
    exporter = InMemorySpanExporter()
    telemetry.configure_tracing("test", "unit", exporters=[exporter])
    yield exporter
    telemetry.configure_tracing("test", "unit", exporters=[])


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def hex_ids(span) -> tuple[str, str]:
    return f"{span.context.trace_id:032x}", f"{span.context.span_id:016x}"


class RecordingOps(ops_pb2_grpc.OpsServicer):
    """Remembers what the server side saw: the trace context and the correlation id."""

    def __init__(self) -> None:
        self.seen: list[tuple[str | None, str | None]] = []
        self.refuse_with: grpc.StatusCode | None = None

    def Status(self, request, context):
        self.seen.append((telemetry.traceparent(), telemetry.correlation_id()))
        if self.refuse_with is not None:
            context.abort(self.refuse_with, "refused as the test asked")
        return ops_pb2.StatusReply(service="test")


@pytest.fixture
def ops():
    servicer = RecordingOps()

    def register(server):
        ops_pb2_grpc.add_OpsServicer_to_server(servicer, server)
        return [OPS]

    addr = f"127.0.0.1:{free_port()}"
    server, _ = build_server(addr, register)
    yield addr, servicer
    server.stop(0).wait()


# -- logs --------------------------------------------------------------------------
def json_line(logger_name: str, message: str, **extra) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(telemetry.JsonFormatter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        logger.warning(message, extra=extra)
    finally:
        logger.removeHandler(handler)
    return json.loads(stream.getvalue())


def test_json_log_line_carries_correlation_and_trace_ids(spans):
    telemetry._process.update(service="leads", role="events")
    with telemetry.correlation("req-42"), telemetry.span("work") as handle:
        line = json_line("tandem.test", "hello %s")
    trace_id, span_id = hex_ids(handle.span)
    assert line["message"] == "hello %s" and line["level"] == "WARNING" and line["logger"] == "tandem.test"
    assert (line["service"], line["role"]) == ("leads", "events")
    assert line["correlation_id"] == "req-42"
    assert (line["trace_id"], line["span_id"]) == (trace_id, span_id)
    assert line["time"].endswith("Z")
    outside = json_line("tandem.test", "later")
    assert outside["correlation_id"] is None and "trace_id" not in outside


def test_a_record_s_own_correlation_id_wins():
    with telemetry.correlation("from-context"):
        assert json_line("tandem.test", "x", correlation_id="from-record")["correlation_id"] == "from-record"


# -- traces ------------------------------------------------------------------------
def test_grpc_call_continues_the_callers_trace_and_request_id(ops, spans):
    addr, servicer = ops
    stub = ops_pb2_grpc.OpsStub(channel(addr))
    with telemetry.span("gateway request", telemetry.SpanKind.SERVER) as outer:
        call("test", stub.Status, ops_pb2.StatusRequest(), metadata=((REQUEST_ID_KEY, "req-7"),))
    traceparent, correlation = servicer.seen[0]
    trace_id, outer_id = hex_ids(outer.span)
    assert correlation == "req-7"
    assert traceparent.split("-")[1] == trace_id  # the server ran inside the same trace
    server_span = next(s for s in spans.get_finished_spans() if s.name == STATUS)
    assert server_span.kind.name == "SERVER"
    assert f"{server_span.parent.span_id:016x}" == outer_id
    assert server_span.attributes["rpc.grpc.status_code"] == 0


def test_a_call_without_a_trace_starts_none_on_the_client_side(ops):
    addr, servicer = ops
    call("test", ops_pb2_grpc.OpsStub(channel(addr)).Status, ops_pb2.StatusRequest())
    assert servicer.seen == [(None, None)]  # tracing off, nothing received: nothing made up


def test_tracing_off_still_passes_on_the_context_it_received():
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with telemetry.span("ignored", parent=telemetry.parent_context({"traceparent": parent})) as handle:
        assert handle.span is None
        assert telemetry.traceparent() == parent
    assert telemetry.traceparent() is None


def test_malformed_traceparent_is_no_parent():
    assert telemetry.parent_context({"traceparent": "garbage"}) is None
    assert telemetry.parent_context({"traceparent": 42}) is None
    assert telemetry.parent_context(None) is None


def test_envelope_carries_an_optional_traceparent_and_old_messages_stay_valid():
    plain = Envelope(type="t", source="s", data={})
    assert "traceparent" not in plain.to_dict()
    assert Envelope.from_dict(plain.to_json()).traceparent is None
    traced = Envelope(type="t", source="s", data={}, traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01")
    assert Envelope.from_dict(traced.to_json()) == traced
    with pytest.raises(InvalidEnvelope, match="traceparent"):
        Envelope.from_dict({**plain.to_dict(), "traceparent": 7})


def test_events_recorded_in_a_span_continue_it_through_the_relay(outbox_db, source, amqp_uri, amqp, spans):
    engine, _ = outbox_db
    queue = amqp.bind_queue(amqp_uri, source)
    with telemetry.span("use case") as use_case, transaction(session_factory(engine)) as session:
        record_event(session, Envelope(type="lead_created", source=source, data={}))
    with transaction(session_factory(engine)) as session:  # outside any span: no traceparent
        record_event(session, Envelope(type="lead_created", source=source, data={}))
    before = sample("tandem_outbox_published_total", service=source, event_type="lead_created")

    relay = OutboxRelay(engine, source, amqp_uri)
    try:
        assert relay.publish_pending() == 2
    finally:
        relay._disconnect()

    (traced_props, traced_body), (plain_props, plain_body) = amqp.drain(amqp_uri, queue)
    trace_id, use_case_id = hex_ids(use_case.span)
    assert json.loads(traced_body)["traceparent"].split("-")[1:3] == [trace_id, use_case_id]
    assert "traceparent" not in json.loads(plain_body)
    publishes = [s for s in spans.get_finished_spans() if s.name == f"publish {source}.lead_created"]
    assert len(publishes) == 2 and publishes[0].kind.name == "PRODUCER"
    assert f"{publishes[0].parent.span_id:016x}" == use_case_id
    # The header names the publish span: the consumer's parent.
    assert traced_props.headers["traceparent"].split("-")[1:3] == list(hex_ids(publishes[0]))
    assert publishes[1].parent is None  # an event recorded outside a trace starts its own
    assert sample("tandem_outbox_published_total", service=source, event_type="lead_created") == before + 2


# -- metrics -----------------------------------------------------------------------
def test_grpc_calls_are_counted_by_method_and_code(ops):
    addr, servicer = ops
    stub = ops_pb2_grpc.OpsStub(channel(addr))
    ok, not_found = (sample("tandem_grpc_server_handled_total", grpc_method=STATUS, grpc_code=code)
                     for code in ("OK", "NOT_FOUND"))
    timed = sample("tandem_grpc_server_handling_seconds_count", grpc_method=STATUS)
    call("test", stub.Status, ops_pb2.StatusRequest())
    servicer.refuse_with = grpc.StatusCode.NOT_FOUND
    with pytest.raises(Failure):  # NOT_FOUND, as the caller sees it
        call("test", stub.Status, ops_pb2.StatusRequest())
    assert sample("tandem_grpc_server_handled_total", grpc_method=STATUS, grpc_code="OK") == ok + 1
    assert sample("tandem_grpc_server_handled_total", grpc_method=STATUS, grpc_code="NOT_FOUND") == not_found + 1
    assert sample("tandem_grpc_server_handling_seconds_count", grpc_method=STATUS) == timed + 2


def test_metrics_port_of_a_process(monkeypatch):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    assert metrics_port("leads", "events") is None
    monkeypatch.setenv("METRICS_PORT", "9100")
    assert metrics_port("leads", "events") == 9100
    monkeypatch.setenv("LEADS_EVENTS_METRICS_PORT", "9201")
    assert metrics_port("leads", "events") == 9201
    assert metrics_port("leads", "grpc") == 9100


def test_metrics_endpoint_serves_the_outbox_backlog(outbox_db, source, amqp_uri, monkeypatch):
    engine, _ = outbox_db
    with transaction(session_factory(engine)) as session:
        for _ in range(3):
            record_event(session, Envelope(type="lead_created", source=source, data={}))
    relay = OutboxRelay(engine, source, amqp_uri)
    relay.watch_backlog()
    port = free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    server = telemetry.serve_metrics(source, "relay")
    try:
        def scrape() -> dict[str, float]:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
            return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
                    if line.startswith("tandem_outbox_") and f'service="{source}"' in line}

        before = scrape()
        assert before[f'tandem_outbox_pending{{service="{source}"}}'] == 3
        assert before[f'tandem_outbox_oldest_pending_seconds{{service="{source}"}}'] >= 0
        try:
            relay.publish_pending()  # nothing bound: marked unroutable, no longer pending
        finally:
            relay._disconnect()
        after = scrape()
        assert after[f'tandem_outbox_pending{{service="{source}"}}'] == 0
        assert after[f'tandem_outbox_oldest_pending_seconds{{service="{source}"}}'] == 0
        assert after[f'tandem_outbox_unroutable_total{{event_type="lead_created",service="{source}"}}'] == 3
    finally:
        server.shutdown()
        telemetry._on_scrape.outboxes.pop(source, None)


def test_no_metrics_port_no_server(monkeypatch):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    assert telemetry.serve_metrics("leads", "grpc") is None


def test_traces_file_gets_one_json_line_per_span(tmp_path, monkeypatch):
    monkeypatch.setenv("OTEL_SERVICE_NAME", "tandem-leads")  # what the operator calls it in the backend
    path = tmp_path / "traces.jsonl"
    memory = InMemorySpanExporter()
    telemetry.configure_tracing("leads", "grpc", exporters=[telemetry.JsonLinesSpanExporter(str(path)), memory])
    try:
        with telemetry.span("outer") as outer, telemetry.span("inner", telemetry.SpanKind.CONSUMER):
            pass
    finally:
        telemetry.configure_tracing("leads", "grpc", exporters=[])
    inner, outer_line = [json.loads(line) for line in path.read_text().splitlines()]
    trace_id, outer_id = hex_ids(outer.span)
    assert (inner["name"], inner["kind"], inner["service"], inner["role"]) == ("inner", "CONSUMER", "leads", "grpc")
    assert inner["trace_id"] == outer_line["trace_id"] == trace_id
    assert inner["parent_span_id"] == outer_id and outer_line["parent_span_id"] is None
    assert memory.get_finished_spans()[0].resource.attributes["service.name"] == "tandem-leads"
