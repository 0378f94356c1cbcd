"""What travels with a gRPC call besides its request: who is calling, and, on the way
back, a failure the caller can turn into a precise answer.

Caller: the gateway puts the authenticated user's id and role, and the REST request
id, in the call's metadata (`caller_metadata`); a servicer reads them with
`caller_from(context)` and enforces record-level access itself.

Failures: a use case raises `failures.Failure(kind, code, message, details)` (known
here as `RpcFailure`); the servicer method, wrapped in `@rpc_method`, aborts with the
matching gRPC status and the failure as JSON in the trailing metadata; `grpc_client.call`
raises the same failure on the calling side, which the gateway maps to its HTTP status.
A servicer that itself calls a service that is down answers UNAVAILABLE (the caller
sees ServiceUnavailable, the gateway 503).
"""
from __future__ import annotations

import functools
import logging

import grpc

from .failures import Caller, ServiceUnavailable
from .failures import Failure as RpcFailure  # the name servicers and the gateway know it by

log = logging.getLogger(__name__)

USER_ID_KEY, ROLE_KEY, REQUEST_ID_KEY = "x-tandem-user-id", "x-tandem-user-role", "x-request-id"
ERROR_KEY = "x-tandem-error"

# failure kind -> gRPC status (failures.KIND_HTTP gives the HTTP one)
KINDS = {
    "invalid": grpc.StatusCode.INVALID_ARGUMENT,
    "unauthenticated": grpc.StatusCode.UNAUTHENTICATED,
    "forbidden": grpc.StatusCode.PERMISSION_DENIED,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "conflict": grpc.StatusCode.ALREADY_EXISTS,
    "stale": grpc.StatusCode.ABORTED,
    "rule": grpc.StatusCode.FAILED_PRECONDITION,
}
_KIND_OF_STATUS = {status: kind for kind, status in KINDS.items()}


def caller_metadata(caller: Caller) -> tuple[tuple[str, str], ...]:
    return ((USER_ID_KEY, caller.user_id), (ROLE_KEY, caller.role), (REQUEST_ID_KEY, caller.request_id))


def caller_from(context: grpc.ServicerContext) -> Caller:
    """The calling user; a call without one is refused (UNAUTHENTICATED)."""
    metadata = dict(context.invocation_metadata())
    user_id, role = metadata.get(USER_ID_KEY, ""), metadata.get(ROLE_KEY, "")
    if not user_id or not role:
        raise RpcFailure("unauthenticated", "unauthenticated", "the call names no user")
    return Caller(user_id=user_id, role=role, request_id=metadata.get(REQUEST_ID_KEY, ""))


def failure_from_rpc_error(exc: grpc.RpcError) -> RpcFailure | None:
    """The failure a servicer raised, or None when the error is not one of ours."""
    kind = _KIND_OF_STATUS.get(exc.code())
    if kind is None:
        return None
    for key, value in exc.trailing_metadata() or ():
        if key == ERROR_KEY:
            failure = RpcFailure.from_json(value)
            if failure is not None:
                return failure
    return RpcFailure(kind, kind, exc.details() or kind)


def rpc_method(method):
    """Wrap a servicer method: an `RpcFailure` becomes its gRPC status plus the JSON
    failure in trailing metadata; anything else is logged and becomes INTERNAL."""

    @functools.wraps(method)
    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except RpcFailure as failure:
            context.set_trailing_metadata(((ERROR_KEY, failure.to_json()),))
            context.abort(KINDS[failure.kind], failure.message)
        except ServiceUnavailable as exc:  # a service this call depends on is down: so is this call
            context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        except Exception:
            log.exception("%s failed", method.__qualname__)
            context.abort(grpc.StatusCode.INTERNAL, "internal error (logged)")

    return wrapper
