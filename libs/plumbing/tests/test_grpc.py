"""gRPC server and client helpers, with real servers (in process and as a subprocess)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tandem.common.v1 import ops_pb2, ops_pb2_grpc

from tandem_plumbing.grpc_client import ServiceUnavailable, call, channel, check_health
from tandem_plumbing.grpc_server import PortInUse, build_server
from tandem_plumbing.testing import free_port

OPS = ops_pb2.DESCRIPTOR.services_by_name["Ops"].full_name


class FakeOps(ops_pb2_grpc.OpsServicer):
    """Answers after `delay` seconds and remembers the deadline it was given."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.time_remaining: list[float | None] = []

    def Status(self, request, context):
        self.time_remaining.append(context.time_remaining())
        time.sleep(self.delay)
        return ops_pb2.StatusReply(service="test")


@pytest.fixture
def ops_server():
    """start(delay) -> (address, servicer) of a started server; stopped at teardown."""
    servers = []

    def start(delay: float = 0.0):
        servicer = FakeOps(delay)

        def register(server):
            ops_pb2_grpc.add_OpsServicer_to_server(servicer, server)
            return [OPS]

        addr = f"127.0.0.1:{free_port()}"
        server, _health = build_server(addr, register)
        servers.append(server)
        return addr, servicer

    yield start
    for server in servers:
        server.stop(0).wait()


def health_status(addr: str, service: str = "") -> int:
    stub = health_pb2_grpc.HealthStub(channel(addr))
    return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2).status


def test_build_server_reports_serving_for_server_and_services(ops_server):
    addr, _ = ops_server()
    assert health_status(addr) == health_pb2.HealthCheckResponse.SERVING
    assert health_status(addr, OPS) == health_pb2.HealthCheckResponse.SERVING
    assert check_health(addr) and check_health(addr, service_name=OPS)
    assert call("test", ops_pb2_grpc.OpsStub(channel(addr)).Status, ops_pb2.StatusRequest()).service == "test"


def test_second_server_on_the_same_port_fails_fast(ops_server):
    addr, _ = ops_server()
    started = time.monotonic()
    with pytest.raises(PortInUse, match=addr):
        build_server(addr, lambda server: [])
    assert time.monotonic() - started < 2
    assert check_health(addr)  # the first one is untouched


def test_call_to_nothing_listening_is_unavailable_quickly():
    addr = f"127.0.0.1:{free_port()}"
    stub = ops_pb2_grpc.OpsStub(channel(addr))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as err:
        call("leads", stub.Status, ops_pb2.StatusRequest(), timeout=5)
    assert time.monotonic() - started < 1.0, "waited for the deadline instead of failing fast"
    assert err.value.service == "leads" and "leads is unavailable" in str(err.value)
    assert not check_health(addr)


def test_slow_method_deadline_exceeded_becomes_service_unavailable(ops_server):
    addr, _ = ops_server(delay=2.0)
    stub = ops_pb2_grpc.OpsStub(channel(addr))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="(?i)deadline"):
        call("sales", stub.Status, ops_pb2.StatusRequest(), timeout=0.3)
    assert 0.25 < time.monotonic() - started < 1.0


def test_channel_puts_a_deadline_on_calls_made_without_timeout(ops_server):
    addr, servicer = ops_server(delay=2.0)
    assert check_health(addr)  # the address already has a channel with the default deadline
    stub = ops_pb2_grpc.OpsStub(channel(addr, deadline=0.3))
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as err:
        stub.Status(ops_pb2.StatusRequest())  # no timeout given
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 1.0
    assert servicer.time_remaining[0] is not None and servicer.time_remaining[0] <= 0.35


def test_channel_deadline_applies_to_streams_too(ops_server):
    addr, _ = ops_server()
    watch = health_pb2_grpc.HealthStub(channel(addr, deadline=0.5)).Watch(health_pb2.HealthCheckRequest())
    started = time.monotonic()
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as err:
        next(watch)  # no more updates: ends at the deadline instead of hanging
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 2


SERVE_SCRIPT = """
import sys, time
from tandem.common.v1 import ops_pb2, ops_pb2_grpc
from tandem_plumbing.grpc_server import serve

class Slow(ops_pb2_grpc.OpsServicer):
    def Status(self, request, context):
        time.sleep(float(sys.argv[2]))
        return ops_pb2.StatusReply(service="slow")

def register(server):
    ops_pb2_grpc.add_OpsServicer_to_server(Slow(), server)
    return [ops_pb2.DESCRIPTOR.services_by_name["Ops"].full_name]

serve(sys.argv[1], register, grace=float(sys.argv[3]))
"""


def test_serve_drains_on_sigterm_and_exits_0():
    addr = f"127.0.0.1:{free_port()}"
    call_seconds, grace = 1.5, 5.0
    proc = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, addr, str(call_seconds), str(grace)],
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while not check_health(addr):
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "server did not become healthy"
            time.sleep(0.1)
        # A health watcher (what a load balancer holds) and a slow call, both in flight.
        watch = health_pb2_grpc.HealthStub(channel(addr)).Watch(health_pb2.HealthCheckRequest(), timeout=20)
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        result: dict = {}

        def slow_call():
            try:
                result["reply"] = call("slow", ops_pb2_grpc.OpsStub(channel(addr)).Status,
                                       ops_pb2.StatusRequest(), timeout=10)
            except Exception as exc:
                result["error"] = exc

        caller = threading.Thread(target=slow_call)
        caller.start()
        time.sleep(0.3)  # the call is in the server now
        sigterm_at = time.monotonic()
        proc.send_signal(signal.SIGTERM)

        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        watch.cancel()  # as a watcher would on NOT_SERVING; otherwise it is cut at the grace
        # No new calls once draining. NOT_SERVING is announced just before the server stops
        # taking calls (so that balancers move away first): a call that races into that
        # moment is served in full, never cut; the next ones are refused.
        refused = False
        while not refused and time.monotonic() - sigterm_at < grace:
            try:
                reply = call("slow", ops_pb2_grpc.OpsStub(channel(addr)).Status, ops_pb2.StatusRequest(), timeout=3)
                assert reply.service == "slow"
            except ServiceUnavailable:
                refused = True
        assert refused, "the draining server kept taking new calls"
        caller.join(10)
        assert "reply" in result and result["reply"].service == "slow", result
        assert proc.wait(grace + 5) == 0, proc.stdout.read().decode()
        exited_after = time.monotonic() - sigterm_at
        assert exited_after < grace, f"exit took {exited_after:.1f}s: drained in-flight calls should not wait the grace"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
