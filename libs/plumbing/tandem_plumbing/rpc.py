"""What travels with a gRPC call besides its request: who is calling, and, on the way
back, a failure the caller can turn into a precise answer.

Caller: the gateway puts the authenticated user's id and role, and the REST request
id, in the call's metadata (`caller_metadata`); a servicer reads them with
`caller_from(context)` and enforces record-level access itself.

Failures: a use case raises `RpcFailure(kind, code, message, details)`; the servicer
method, wrapped in `@rpc_method`, aborts with the matching gRPC status and the failure
as JSON in the trailing metadata; `grpc_client.call` raises the same `RpcFailure` on
the calling side, which the gateway maps to its HTTP status.
"""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import grpc

log = logging.getLogger(__name__)

USER_ID_KEY, ROLE_KEY, REQUEST_ID_KEY = "x-tandem-user-id", "x-tandem-user-role", "x-request-id"
ERROR_KEY = "x-tandem-error"

# kind -> (gRPC status, HTTP status)
KINDS = {
    "invalid": (grpc.StatusCode.INVALID_ARGUMENT, 400),  # details.fields names each bad field
    "unauthenticated": (grpc.StatusCode.UNAUTHENTICATED, 401),
    "forbidden": (grpc.StatusCode.PERMISSION_DENIED, 403),
    "not_found": (grpc.StatusCode.NOT_FOUND, 404),
    "conflict": (grpc.StatusCode.ALREADY_EXISTS, 409),
    "stale": (grpc.StatusCode.ABORTED, 412),  # the expected version is not the current one
    "rule": (grpc.StatusCode.FAILED_PRECONDITION, 422),  # a business rule said no
}
_KIND_OF_STATUS = {status: kind for kind, (status, _http) in KINDS.items()}


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    request_id: str = ""


def caller_metadata(caller: Caller) -> tuple[tuple[str, str], ...]:
    return ((USER_ID_KEY, caller.user_id), (ROLE_KEY, caller.role), (REQUEST_ID_KEY, caller.request_id))


def caller_from(context: grpc.ServicerContext) -> Caller:
    """The calling user; a call without one is refused (UNAUTHENTICATED)."""
    metadata = dict(context.invocation_metadata())
    user_id, role = metadata.get(USER_ID_KEY, ""), metadata.get(ROLE_KEY, "")
    if not user_id or not role:
        raise RpcFailure("unauthenticated", "unauthenticated", "the call names no user")
    return Caller(user_id=user_id, role=role, request_id=metadata.get(REQUEST_ID_KEY, ""))


@dataclass
class RpcFailure(Exception):
    kind: str  # a key of KINDS
    code: str  # snake_case, e.g. "duplicate_lead"
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown failure kind {self.kind!r}")
        super().__init__(self.message)

    @property
    def http_status(self) -> int:
        return KINDS[self.kind][1]

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "code": self.code, "message": self.message, "details": self.details})

    @classmethod
    def from_rpc_error(cls, exc: grpc.RpcError) -> "RpcFailure | None":
        """The failure a servicer raised, or None when the error is not one of ours."""
        kind = _KIND_OF_STATUS.get(exc.code())
        if kind is None:
            return None
        for key, value in exc.trailing_metadata() or ():
            if key == ERROR_KEY:
                try:
                    body = json.loads(value)
                    return cls(body["kind"], body["code"], body["message"], body.get("details") or {})
                except (ValueError, KeyError, TypeError):
                    break
        return cls(kind, kind, exc.details() or kind)


def rpc_method(method):
    """Wrap a servicer method: an `RpcFailure` becomes its gRPC status plus the JSON
    failure in trailing metadata; anything else is logged and becomes INTERNAL."""

    @functools.wraps(method)
    def wrapper(self, request, context):
        try:
            return method(self, request, context)
        except RpcFailure as failure:
            context.set_trailing_metadata(((ERROR_KEY, failure.to_json()),))
            context.abort(KINDS[failure.kind][0], failure.message)
        except Exception:
            log.exception("%s failed", method.__qualname__)
            context.abort(grpc.StatusCode.INTERNAL, "internal error (logged)")

    return wrapper
