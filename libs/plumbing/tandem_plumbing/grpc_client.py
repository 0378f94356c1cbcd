"""Calling another service over gRPC: a deadline on every call, and a service that
is down becomes a clear `ServiceUnavailable` instead of a hang or a raw RpcError.
Every call carries the current trace context (`traceparent` metadata, telemetry.py)."""
from __future__ import annotations

import threading
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from . import telemetry
from .failures import ServiceUnavailable
from .rpc import failure_from_rpc_error
from .service_auth import is_refusal, with_token
from .settings import env_float

# A server that is shutting down answers calls arriving at that moment with
# CANCELLED, sometimes instead of UNAVAILABLE: from the caller's side it is down too.
UNAVAILABLE_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


def default_deadline() -> float:
    return env_float("GRPC_DEADLINE_SECONDS", 5.0)


class _CallDefaults(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Give every call a deadline when the caller did not set one, this process's
    service token (service_auth.py) when it has one, and the current `traceparent`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def _complete(self, details):
        if details.timeout is None:
            details = details._replace(timeout=self.seconds)
        metadata = with_token(details.metadata)
        current = telemetry.traceparent()
        if current is not None:
            metadata = (*(metadata or ()), (telemetry.TRACEPARENT, current))
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._complete(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._complete(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._complete(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._complete(client_call_details), request_iterator)


_channels: dict[tuple[str, float], grpc.Channel] = {}
_lock = threading.Lock()


# gRPC's default reconnect backoff grows to 120 s: a service that was down for a while
# would look unavailable long after it is back. Retry at most every 2 s instead.
_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


def channel(addr: str, deadline: float | None = None) -> grpc.Channel:
    """One shared channel per address and default deadline (channels are thread-safe and reconnect)."""
    seconds = deadline or default_deadline()
    with _lock:
        if (addr, seconds) not in _channels:
            raw = grpc.insecure_channel(addr, options=_RECONNECT)
            _channels[addr, seconds] = grpc.intercept_channel(raw, _CallDefaults(seconds))
        return _channels[addr, seconds]


def close_channels() -> None:
    """Close and forget every cached channel. A channel to an address that was down keeps
    failing fast until its reconnect backoff ends (up to 2 s): tests that reuse a port
    number close them between tests."""
    with _lock:
        for cached in _channels.values():
            cached.close()
        _channels.clear()


def call(service: str, method, request: Any, *, timeout: float | None = None, metadata=()) -> Any:
    """Call `method(request)`; UNAVAILABLE or a missed deadline -> ServiceUnavailable;
    a server that refused this process's service token -> ServiceUnavailable too (the
    installation is misconfigured; not the user's fault, so never a 401);
    a failure the servicer raised (see rpc.py) -> the same RpcFailure."""
    try:
        return method(request, timeout=timeout or default_deadline(), metadata=metadata)
    except grpc.RpcError as exc:
        if exc.code() in UNAVAILABLE_CODES:
            raise ServiceUnavailable(service, exc.details() or exc.code().name) from None
        if is_refusal(exc):
            raise ServiceUnavailable(service, "it refused this process's SERVICE_TOKEN") from None
        failure = failure_from_rpc_error(exc)
        if failure is not None:
            raise failure from None
        raise


def check_health(addr: str, timeout: float = 1.0, service_name: str = "") -> bool:
    """True when the server at `addr` answers SERVING within `timeout`."""
    stub = health_pb2_grpc.HealthStub(channel(addr))
    try:
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service_name), timeout=timeout)
    except grpc.RpcError:
        return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING
