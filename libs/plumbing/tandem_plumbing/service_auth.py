"""Service-to-service trust: a shared secret in every call's metadata.

`SERVICE_TOKEN` (at least 32 characters) is the same in every process of one
installation. When it is set, a server built by `grpc_server.build_server` refuses any
call whose `x-tandem-service-token` metadata differs (UNAUTHENTICATED, marked so the
caller can tell it from a refused user), except the standard health service, which
probes and load balancers call without credentials. Every channel made by
`grpc_client.channel` sends the token, read from the environment on each call, so
callers need no code for it. Unset: nothing is checked (tests, library users) and the
server warns once at start. TLS with client certificates is the production option
documented in docs/operations.md.
"""
from __future__ import annotations

import hmac
import logging

import grpc

from .settings import env

log = logging.getLogger(__name__)

TOKEN_KEY = "x-tandem-service-token"
# Trailing metadata on a refusal: the caller's side turns it into ServiceUnavailable
# (a misconfigured installation, answered 503), never into a user's 401.
REFUSED_KEY = "x-tandem-service-auth"
MIN_LENGTH = 32
_HEALTH_PREFIX = "/grpc.health.v1.Health/"


def service_token() -> str | None:
    """The installation's shared secret, or None; a short one is refused outright."""
    token = env("SERVICE_TOKEN")
    if token is not None and len(token) < MIN_LENGTH:
        raise ValueError(f"SERVICE_TOKEN must be at least {MIN_LENGTH} characters long")
    return token


def is_refusal(exc: grpc.RpcError) -> bool:
    """Whether a call failed because the server did not accept this process's token."""
    return exc.code() == grpc.StatusCode.UNAUTHENTICATED and any(
        key == REFUSED_KEY for key, _value in exc.trailing_metadata() or ()
    )


def _refuse(request_or_iterator, context: grpc.ServicerContext):
    context.set_trailing_metadata(((REFUSED_KEY, "refused"),))
    context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong service token")


# The refusing handler must be of the same kind (unary/stream) as the one it replaces.
_REFUSERS = {
    (False, False): lambda h: grpc.unary_unary_rpc_method_handler(
        _refuse, h.request_deserializer, h.response_serializer),
    (False, True): lambda h: grpc.unary_stream_rpc_method_handler(
        _refuse, h.request_deserializer, h.response_serializer),
    (True, False): lambda h: grpc.stream_unary_rpc_method_handler(
        _refuse, h.request_deserializer, h.response_serializer),
    (True, True): lambda h: grpc.stream_stream_rpc_method_handler(
        _refuse, h.request_deserializer, h.response_serializer),
}


class RequireServiceToken(grpc.ServerInterceptor):
    """Refuse calls that do not carry `token` (constant-time compare), health excepted."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(_HEALTH_PREFIX):
            return handler
        presented = dict(handler_call_details.invocation_metadata or ()).get(TOKEN_KEY, "")
        if hmac.compare_digest(presented.encode(), self._token):
            return handler
        return _REFUSERS[handler.request_streaming, handler.response_streaming](handler)


def server_interceptors() -> list[grpc.ServerInterceptor]:
    """What build_server installs: the token check, or nothing (with a warning) when unset."""
    token = service_token()
    if token is None:
        log.warning("SERVICE_TOKEN is not set: this gRPC server accepts calls from anyone who can reach it")
        return []
    return [RequireServiceToken(token)]


def with_token(metadata):
    """`metadata` plus this process's token, when it has one."""
    token = env("SERVICE_TOKEN")
    if token is None:
        return metadata
    return (*(metadata or ()), (TOKEN_KEY, token))
