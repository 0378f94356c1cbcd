"""Caller identity and typed failures across a real gRPC call."""
from __future__ import annotations

import grpc
import pytest
from tandem.common.v1 import ops_pb2, ops_pb2_grpc

from tandem_plumbing.grpc_client import ServiceUnavailable, call, channel
from tandem_plumbing.rpc import Caller, RpcFailure, caller_from, caller_metadata, rpc_method


class _Servicer(ops_pb2_grpc.OpsServicer):
    """Answers with the caller it saw, or fails the way the caller's role asks."""

    @rpc_method
    def Status(self, request, context):
        caller = caller_from(context)
        if caller.role == "fail":
            raise RpcFailure("rule", "stage_requirements_unmet", "needs a line item", {"missing": ["line_items"]})
        if caller.role == "crash":
            raise KeyError("a bug")
        if caller.role == "lonely":  # a service this call needs did not answer
            raise ServiceUnavailable("sales", "connection refused")
        return ops_pb2.StatusReply(service=f"{caller.user_id}/{caller.role}/{caller.request_id}")


def test_caller_reaches_the_servicer_and_failures_come_back_typed(serve_grpc):
    address, _server = serve_grpc(lambda s: ops_pb2_grpc.add_OpsServicer_to_server(_Servicer(), s) or [])
    stub = ops_pb2_grpc.OpsStub(channel(address))
    reply = call("t", stub.Status, ops_pb2.StatusRequest(), metadata=caller_metadata(Caller("u1", "sales_rep", "req-9")))
    assert reply.service == "u1/sales_rep/req-9"

    with pytest.raises(RpcFailure) as failed:
        call("t", stub.Status, ops_pb2.StatusRequest(), metadata=caller_metadata(Caller("u1", "fail")))
    assert (failed.value.kind, failed.value.code, failed.value.http_status) == ("rule", "stage_requirements_unmet", 422)
    assert failed.value.details == {"missing": ["line_items"]}

    with pytest.raises(RpcFailure) as anonymous:
        call("t", stub.Status, ops_pb2.StatusRequest())
    assert anonymous.value.http_status == 401

    with pytest.raises(grpc.RpcError) as crashed:  # a bug is INTERNAL, never a typed failure
        call("t", stub.Status, ops_pb2.StatusRequest(), metadata=caller_metadata(Caller("u1", "crash")))
    assert crashed.value.code() == grpc.StatusCode.INTERNAL
    assert "a bug" not in (crashed.value.details() or "")

    with pytest.raises(ServiceUnavailable) as down:  # ... so this call is unavailable too
        call("t", stub.Status, ops_pb2.StatusRequest(), metadata=caller_metadata(Caller("u1", "lonely")))
    assert (down.value.service, down.value.detail) == ("t", "sales is unavailable: connection refused")


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        RpcFailure("teapot", "x", "y")
