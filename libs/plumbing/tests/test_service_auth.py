"""Service-to-service trust (SERVICE_TOKEN), on real gRPC servers built by build_server."""
from __future__ import annotations

import logging

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tandem.common.v1 import ops_pb2, ops_pb2_grpc

from tandem_plumbing.grpc_client import ServiceUnavailable, call, channel, check_health
from tandem_plumbing.grpc_server import build_server
from tandem_plumbing.service_auth import TOKEN_KEY
from tandem_plumbing.testing import free_port

TOKEN = "t" * 40
OPS = ops_pb2.DESCRIPTOR.services_by_name["Ops"].full_name
STREAM = "/test.Echo/Repeat"  # a server-streaming method, so both handler kinds are covered


class Ops(ops_pb2_grpc.OpsServicer):
    def Status(self, request, context):
        return ops_pb2.StatusReply(service="test")


def _repeat(request: bytes, context):
    yield request
    yield request


def register(server):
    ops_pb2_grpc.add_OpsServicer_to_server(Ops(), server)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", {
        "Repeat": grpc.unary_stream_rpc_method_handler(_repeat),
    }),))
    return [OPS]


@pytest.fixture
def start(monkeypatch):
    """start(token) -> address of a server built with SERVICE_TOKEN=token (None: unset)."""
    servers = []

    def start_with(token: str | None) -> str:
        if token is None:
            monkeypatch.delenv("SERVICE_TOKEN", raising=False)
        else:
            monkeypatch.setenv("SERVICE_TOKEN", token)
        addr = f"127.0.0.1:{free_port()}"
        server, _health = build_server(addr, register)
        servers.append(server)
        return addr

    yield start_with
    for server in servers:
        server.stop(0).wait()


def raw_status(addr: str, metadata=()):
    """Ops.Status on a plain channel: nothing added, the metadata exactly as given."""
    with grpc.insecure_channel(addr) as raw:
        return ops_pb2_grpc.OpsStub(raw).Status(ops_pb2.StatusRequest(), timeout=2, metadata=metadata)


def raw_repeat(addr: str, metadata=()) -> list[bytes]:
    with grpc.insecure_channel(addr) as raw:
        repeat = raw.unary_stream(STREAM)
        return list(repeat(b"hi", timeout=2, metadata=metadata))


def test_without_the_token_a_call_is_unauthenticated(start):
    addr = start(TOKEN)
    for attempt in (lambda: raw_status(addr), lambda: raw_repeat(addr)):
        with pytest.raises(grpc.RpcError) as refused:
            attempt()
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_with_a_wrong_token_a_call_is_unauthenticated(start):
    addr = start(TOKEN)
    for wrong in ("x" * 40, TOKEN[:-1], TOKEN + "t", ""):
        with pytest.raises(grpc.RpcError) as refused:
            raw_status(addr, ((TOKEN_KEY, wrong),))
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as refused:
            raw_repeat(addr, ((TOKEN_KEY, wrong),))
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_with_the_token_a_call_is_answered(start):
    addr = start(TOKEN)
    assert raw_status(addr, ((TOKEN_KEY, TOKEN),)).service == "test"
    assert raw_repeat(addr, ((TOKEN_KEY, TOKEN),)) == [b"hi", b"hi"]


def test_channel_and_call_send_the_token_from_the_environment(start):
    addr = start(TOKEN)  # the same process: its environment holds the server's token
    assert call("test", ops_pb2_grpc.OpsStub(channel(addr)).Status, ops_pb2.StatusRequest()).service == "test"
    assert list(channel(addr).unary_stream(STREAM)(b"hi")) == [b"hi", b"hi"]


def test_health_answers_without_the_token(start):
    addr = start(TOKEN)
    with grpc.insecure_channel(addr) as raw:
        stub = health_pb2_grpc.HealthStub(raw)
        for service in ("", OPS):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_refused_token_is_service_unavailable_not_a_user_failure(start, monkeypatch):
    addr = start(TOKEN)
    monkeypatch.setenv("SERVICE_TOKEN", "o" * 40)  # this process now holds another installation's token
    with pytest.raises(ServiceUnavailable, match="SERVICE_TOKEN"):
        call("test", ops_pb2_grpc.OpsStub(channel(addr)).Status, ops_pb2.StatusRequest())
    assert check_health(addr)  # health still answers: the server is up, only the token differs


def test_unset_nothing_is_checked_and_the_server_warns(start, caplog):
    with caplog.at_level(logging.WARNING, logger="tandem_plumbing.service_auth"):
        addr = start(None)
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "SERVICE_TOKEN is not set" in caplog.records[0].getMessage()
    assert raw_status(addr).service == "test"
    assert raw_status(addr, ((TOKEN_KEY, "anything"),)).service == "test"
    assert raw_repeat(addr) == [b"hi", b"hi"]


def test_a_short_token_stops_the_server_from_starting(monkeypatch):
    monkeypatch.setenv("SERVICE_TOKEN", "s" * 31)
    with pytest.raises(ValueError, match="at least 32"):
        build_server(f"127.0.0.1:{free_port()}", register)
