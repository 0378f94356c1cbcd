"""Asking a service behind the gateway, as the user making the request: the caller's
id, role and request id travel in the call's metadata (tandem_plumbing.rpc), and the
service enforces record-level access itself. Failures reach the client through the
error handlers: RpcFailure -> its HTTP status, ServiceUnavailable -> 503."""
from __future__ import annotations

from typing import Any

from flask import g
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import Caller, caller_metadata

from .context import gateway


def ask(service: str, stub_class: type, method: str, request: Any, *, timeout: float | None = None) -> Any:
    stub = stub_class(channel(gateway().config.service_addrs[service]))
    caller = Caller(user_id=g.user.id, role=g.user.role, request_id=g.get("request_id", ""))
    return call(service, getattr(stub, method), request, timeout=timeout, metadata=caller_metadata(caller))
