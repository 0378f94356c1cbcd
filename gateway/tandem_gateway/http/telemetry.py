"""The gateway's edge of telemetry (the mechanics are tandem_plumbing.telemetry).

Per HTTP request: a server span (continuing a client's `traceparent`, if it sent one),
the request id as correlation id of its log lines and of the gRPC calls it makes, and
`tandem_http_requests_total{route,method,status}` and
`tandem_http_request_duration_seconds{route,method}`, by route template, never by raw path.

gunicorn's workers are processes: each writes its metrics to PROMETHEUS_MULTIPROC_DIR
(the gateway's CLI prepares it before prometheus_client is imported) and the arbiter
serves their sum on the metrics port; a worker's files are marked dead when it exits.
"""
from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any

from flask import Flask, g, request
from gunicorn import glogging
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess, start_http_server
from tandem_plumbing import telemetry
from tandem_plumbing.settings import env, metrics_port

HTTP_REQUESTS = Counter("tandem_http_requests", "HTTP requests answered, by route template, method and status",
                        ["route", "method", "status"])
HTTP_SECONDS = Histogram("tandem_http_request_duration_seconds", "Time to answer an HTTP request",
                         ["route", "method"], buckets=telemetry.LATENCY_BUCKETS)


def instrument(app: Flask) -> None:
    """Observe every request; register after the hook that assigns `g.request_id`."""

    @app.before_request
    def begin_observing():
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        observing = ExitStack()
        observing.enter_context(telemetry.correlation(g.get("request_id")))
        g.telemetry_span = observing.enter_context(telemetry.span(
            f"{request.method} {route}", telemetry.SpanKind.SERVER, telemetry.parent_context(request.headers),
            {"http.request.method": request.method, "http.route": route},
        ))
        g.telemetry = (observing, route, time.perf_counter())

    @app.after_request
    def note_status(response):
        g.telemetry_status = response.status_code
        return response

    @app.teardown_request
    def end_observing(exc: BaseException | None):
        observing, route, started = g.pop("telemetry", (None, None, None))
        if observing is None:
            return
        status = g.get("telemetry_status", 500)
        HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
        HTTP_SECONDS.labels(route, request.method).observe(time.perf_counter() - started)
        g.telemetry_span.set_attribute("http.response.status_code", status)
        if status >= 500:
            g.telemetry_span.fail()
        observing.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)


# -- gunicorn ----------------------------------------------------------------------
def _serve_workers_metrics(port: int):
    def when_ready(_arbiter) -> None:
        if not env("PROMETHEUS_MULTIPROC_DIR"):
            raise RuntimeError("a metrics port is set but PROMETHEUS_MULTIPROC_DIR is not (see tandem-gateway serve)")
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr=env("METRICS_ADDR", "0.0.0.0"), registry=registry)

    return when_ready


def _forget_worker(_arbiter, worker) -> None:
    multiprocess.mark_process_dead(worker.pid)


class JsonLogger(glogging.Logger):
    """gunicorn's error and access logs as JSON lines; an access line carries the
    request id as `correlation_id`."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(telemetry.JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(atoms),
                             extra={"correlation_id": atoms.get("{x-request-id}o")})


def gunicorn_options() -> dict[str, Any]:
    """The options telemetry adds: the arbiter's /metrics, and JSON logs with LOG_FORMAT=json."""
    options: dict[str, Any] = {}
    port = metrics_port("gateway", "serve")
    if port is not None:
        options.update(when_ready=_serve_workers_metrics(port), child_exit=_forget_worker)
    if telemetry.json_logs():
        options["logger_class"] = JsonLogger
    return options
