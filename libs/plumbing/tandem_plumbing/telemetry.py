"""Metrics, JSON logs and traces: the mechanics every Tandem process shares.

    configure(service, role)   # logs (LOG_FORMAT) and traces (OTEL_EXPORTER_OTLP_ENDPOINT, TANDEM_TRACES_FILE)
    serve_metrics(service, role)  # /metrics on <SERVICE>_<ROLE>_METRICS_PORT or METRICS_PORT, when set

Traces follow one request across processes by W3C `traceparent`, carried by hand
(no auto-instrumentation): gRPC metadata (grpc_client / grpc_server), the event
envelope (outbox.record_event stamps it) and an AMQP header (relay -> consumer).
A process with tracing off still passes on the context it received, so one process
without an exporter does not cut a trace in two.

The correlation id (the REST request id: `x-request-id` metadata, the envelope's
`correlation_id`) lives in a context variable, per thread and per greenthread, and
every log line carries it.
"""
from __future__ import annotations

import json
import logging
import os
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator, Mapping, MutableMapping, Sequence

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

from .settings import env, metrics_port

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"  # the W3C header; the same key in gRPC metadata and AMQP headers

# -- the process and its correlation id ---------------------------------------------
_process = {"service": None, "role": None}
_correlation: ContextVar[str | None] = ContextVar("tandem_correlation_id", default=None)


def correlation_id() -> str | None:
    return _correlation.get()


@contextmanager
def correlation(value: str | None) -> Iterator[None]:
    """Log lines written inside carry `value` as their correlation id."""
    token = _correlation.set(value or None)
    try:
        yield
    finally:
        _correlation.reset(token)


def configure(service: str, role: str) -> None:
    """Logs and traces of one process (`role`: grpc, events, relay, serve, setup...)."""
    _process.update(service=service, role=role)
    configure_logs(service, role)
    configure_tracing(service, role)


# -- logs --------------------------------------------------------------------------
class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, role, logger, message,
    correlation_id, trace_id and span_id (when a span is current), exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "service": _process["service"],
            "role": _process["role"],
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None) or _correlation.get(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = trace.format_trace_id(span.trace_id)
            line["span_id"] = trace.format_span_id(span.span_id)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)

    def formatTime(self, record, datefmt=None) -> str:  # RFC 3339 UTC, milliseconds
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


def json_logs() -> bool:
    return (env("LOG_FORMAT", "text") or "").lower() == "json"


def configure_logs(service: str, role: str) -> None:
    """Human lines by default (make run); JSON lines with LOG_FORMAT=json."""
    handler = logging.StreamHandler()
    if json_logs():
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {service}.{role} %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((env("LOG_LEVEL", "INFO") or "INFO").upper())
    logging.captureWarnings(True)  # a library's warning is a log line too, in the same format


# -- traces ------------------------------------------------------------------------
_propagator = TraceContextTextMapPropagator()
_tracer: trace.Tracer | None = None  # None: tracing off (contexts still pass through)
_provider = None


def tracing_enabled() -> bool:
    return _tracer is not None


class JsonLinesSpanExporter:
    """Appends each finished span as one JSON line to a file; every process may share
    the file (O_APPEND, one write per batch). For tests and local debugging."""

    def __init__(self, path: str) -> None:
        self.path = path

    def export(self, spans: Sequence[Any]):
        from opentelemetry.sdk.trace.export import SpanExportResult

        lines = "".join(json.dumps(span_record(span), default=str) + "\n" for span in spans)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines.encode())
        finally:
            os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def span_record(span) -> dict[str, Any]:
    """A finished SDK span as plain JSON-able data."""
    context, parent = span.get_span_context(), span.parent
    return {
        "trace_id": trace.format_trace_id(context.trace_id),
        "span_id": trace.format_span_id(context.span_id),
        "parent_span_id": trace.format_span_id(parent.span_id) if parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get("tandem.service"),
        "role": span.resource.attributes.get("tandem.role"),
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
    }


def configure_tracing(service: str, role: str, exporters: Sequence[Any] | None = None) -> None:
    """Record spans when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) or
    TANDEM_TRACES_FILE is set, or `exporters` are given (tests); otherwise leave tracing off.

    OTLP goes through a BatchSpanProcessor (its thread is a greenthread in an eventlet
    process, and it restarts after gunicorn forks); the file exporter writes at once."""
    global _tracer, _provider
    from_env = []
    if env("TANDEM_TRACES_FILE"):
        from_env.append(("simple", JsonLinesSpanExporter(env("TANDEM_TRACES_FILE"))))
    if env("OTEL_EXPORTER_OTLP_ENDPOINT") or env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        from_env.append(("batch", OTLPSpanExporter()))  # reads the OTEL_EXPORTER_OTLP_* variables
    chosen = [("simple", exporter) for exporter in exporters] if exporters is not None else from_env
    if _provider is not None:
        _provider.shutdown()
    if not chosen:
        _tracer = _provider = None
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    attributes = {"service.namespace": "tandem", "tandem.service": service, "tandem.role": role}
    if not env("OTEL_SERVICE_NAME"):  # an operator's name for it wins
        attributes["service.name"] = service
    resource = Resource.create(attributes)
    _provider = TracerProvider(resource=resource)
    for how, exporter in chosen:
        _provider.add_span_processor(SimpleSpanProcessor(exporter) if how == "simple" else BatchSpanProcessor(exporter))
    _tracer = _provider.get_tracer("tandem")


def traceparent() -> str | None:
    """The current span's context as a W3C traceparent, or None."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


def inject(carrier: MutableMapping[str, str]) -> None:
    """Add the current `traceparent` (if any) to headers or metadata."""
    _propagator.inject(carrier)


def parent_context(carrier: Mapping[str, Any] | None):
    """The context a `traceparent` in `carrier` names, or None."""
    value = (carrier or {}).get(TRACEPARENT)
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if not isinstance(value, str) or not value:
        return None
    ctx = _propagator.extract({TRACEPARENT: value})
    return ctx if trace.get_current_span(ctx).get_span_context().is_valid else None


class SpanHandle:
    """The span a block or a pair of hooks runs in (a no-op one when tracing is off)."""

    def __init__(self, span, token) -> None:
        self.span, self._token = span, token

    def set_attribute(self, key: str, value: Any) -> None:
        if self.span is not None:
            self.span.set_attribute(key, value)

    def fail(self, exc: BaseException | None = None) -> None:
        if self.span is not None:
            if exc is not None:
                self.span.record_exception(exc)
            self.span.set_status(Status(StatusCode.ERROR))

    def end(self) -> None:
        if self.span is not None:
            self.span.end()
        if self._token is not None:
            otel_context.detach(self._token)


def start_span(name: str, kind: SpanKind, parent=None, attributes: Mapping[str, Any] | None = None) -> SpanHandle:
    """Begin a span and make it current, as a child of `parent` (a context from
    `parent_context`) or of the current span. Tracing off: only `parent` becomes current,
    so that what this process passes on still belongs to the caller's trace."""
    if _tracer is None:
        return SpanHandle(None, otel_context.attach(parent) if parent is not None else None)
    span = _tracer.start_span(name, context=parent, kind=kind, attributes=attributes)
    return SpanHandle(span, otel_context.attach(trace.set_span_in_context(span, parent)))


@contextmanager
def span(name: str, kind: SpanKind = SpanKind.INTERNAL, parent=None,
         attributes: Mapping[str, Any] | None = None) -> Iterator[SpanHandle]:
    """`start_span` as a block; an exception escaping it marks the span as failed."""
    handle = start_span(name, kind, parent, attributes)
    try:
        yield handle
    except BaseException as exc:
        handle.fail(exc)
        raise
    finally:
        handle.end()


def add_event(name: str, attributes: Mapping[str, Any] | None = None) -> None:
    """Note something on the current span (no-op when none records)."""
    current = trace.get_current_span()
    if current.is_recording():
        current.add_event(name, attributes or {})


# -- metrics -----------------------------------------------------------------------
# Seconds: from a cached read (1 ms) to a slow handler or report (10 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRPC_HANDLED = Counter("tandem_grpc_server_handled", "gRPC calls served, by method and status code",
                       ["grpc_method", "grpc_code"])
GRPC_SECONDS = Histogram("tandem_grpc_server_handling_seconds", "Time to serve a gRPC call", ["grpc_method"],
                         buckets=LATENCY_BUCKETS)
OUTBOX_PUBLISHED = Counter("tandem_outbox_published", "Events the relay published (confirmed by the broker)",
                           ["service", "event_type"])
OUTBOX_UNROUTABLE = Counter("tandem_outbox_unroutable", "Events no queue was bound for (marked unroutable)",
                            ["service", "event_type"])
OUTBOX_FAILURES = Counter("tandem_outbox_publish_failures",
                          "Relay passes that failed on the broker (the rows stay pending and are retried)",
                          ["service"])
EVENTS_CONSUMED = Counter("tandem_events_consumed",
                          "Event messages a consumer finished with, by outcome: handled, retried, parked, invalid",
                          ["service", "source", "event_type", "outcome"])
HANDLER_FAILURES = Counter("tandem_event_handler_failures", "Handler runs that raised", ["service", "source", "event_type"])
HANDLER_SECONDS = Histogram("tandem_event_handler_seconds", "Time a handler took, successful or not",
                            ["service", "source", "event_type"], buckets=LATENCY_BUCKETS)


class _ReadOnScrape:
    """Gauges read when Prometheus scrapes: the outbox backlog (a query on the service's
    database) and the parked messages (a passive declare of `parked.<service>`)."""

    def __init__(self) -> None:
        self.outboxes: dict[str, Callable[[], tuple[int, float]]] = {}
        self.parked: dict[str, Callable[[], int]] = {}

    def _families(self):
        return (
            GaugeMetricFamily("tandem_outbox_pending", "Outbox rows not yet published", labels=["service"]),
            GaugeMetricFamily("tandem_outbox_oldest_pending_seconds", "Age of the oldest unpublished outbox row "
                              "(0 when none)", labels=["service"]),
            GaugeMetricFamily("tandem_parked_messages", "Messages waiting in parked.<service>", labels=["service"]),
        )

    def describe(self):
        return self._families()

    def collect(self):
        pending, oldest, parked = self._families()
        for service, read in list(self.outboxes.items()):
            try:
                count, age = read()
            except Exception as exc:  # a scrape must still answer when the database does not
                log.warning("metrics: outbox backlog of %s unreadable: %r", service, exc)
                continue
            pending.add_metric([service], count)
            oldest.add_metric([service], age)
        for service, read in list(self.parked.items()):
            try:
                parked.add_metric([service], read())
            except Exception as exc:
                log.warning("metrics: parked messages of %s unreadable: %r", service, exc)
        return pending, oldest, parked


_on_scrape = _ReadOnScrape()
REGISTRY.register(_on_scrape)


def watch_outbox(service: str, read: Callable[[], tuple[int, float]]) -> None:
    """Report `read()` -> (pending rows, age in seconds of the oldest) at each scrape."""
    _on_scrape.outboxes[service] = read


def watch_parked(service: str, read: Callable[[], int]) -> None:
    """Report `read()` -> messages in `parked.<service>` at each scrape."""
    _on_scrape.parked[service] = read


def serve_metrics(service: str, role: str, registry=REGISTRY):
    """Serve /metrics on this process's metrics port (a daemon thread); None when unset."""
    port = metrics_port(service, role)
    if port is None:
        return None
    server, _thread = start_http_server(port, addr=env("METRICS_ADDR", "0.0.0.0"), registry=registry)
    log.info("metrics on :%d/metrics", port)
    return server
