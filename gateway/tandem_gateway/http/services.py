"""Asking a service behind the gateway, as the user making the request: the caller's
id, role and request id travel in the call's metadata (tandem_plumbing.rpc), and the
service enforces record-level access itself. Failures reach the client through the
error handlers: RpcFailure -> its HTTP status, ServiceUnavailable -> 503."""
from __future__ import annotations

from typing import Any

from flask import g
from tandem_plumbing.grpc_client import ServiceUnavailable, call, channel
from tandem_plumbing.rpc import Caller, RpcFailure, caller_metadata

from .context import gateway
from .errors import validation_failed


def current_caller() -> Caller:
    return Caller(user_id=g.user.id, role=g.user.role, request_id=g.get("request_id", ""))


def ask(service: str, stub_class: type, method: str, request: Any, *, timeout: float | None = None,
        caller: Caller | None = None) -> Any:
    """As the user making the request, unless `caller` names a system caller (the public web form)."""
    return ask_as(caller or current_caller(), gateway().config.service_addrs[service], service, stub_class, method,
                  request, timeout=timeout)


def ask_as(caller: Caller, addr: str, service: str, stub_class: type, method: str, request: Any, *,
           timeout: float | None = None) -> Any:
    """`ask` without Flask's request context (e.g. from a worker thread): caller and address given."""
    stub = stub_class(channel(addr))
    return call(service, getattr(stub, method), request, timeout=timeout, metadata=caller_metadata(caller))


def ask_or_report(service: str, stub_class: type, method: str, message: Any, problems: dict[str, str], *,
                  caller: Caller | None = None) -> Any:
    """Ask the service; with shape problems found by the gateway, have it only validate
    (`validate_only`) and answer 400 with its problems and ours together."""
    if not problems:
        return ask(service, stub_class, method, message, caller=caller)
    message.validate_only = True
    try:
        ask(service, stub_class, method, message, caller=caller)
    except RpcFailure as failure:
        if failure.kind == "invalid":
            problems = {**failure.details.get("fields", {}), **problems}
    except ServiceUnavailable:
        pass  # the shape problems alone are still worth a clear answer
    raise validation_failed(problems)
