"""Asking the services behind the gateway how they are: over gRPC, all at once, and
never for longer than a bound, so a dead service cannot stall a probe."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from importlib.metadata import version as package_version
from typing import Any, Callable, Mapping

import grpc
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from tandem.common.v1 import ops_pb2, ops_pb2_grpc
from tandem_plumbing.grpc_client import ServiceUnavailable, call, channel, check_health
from tandem_plumbing.migrations import current_revision
from tandem_plumbing.outbox import PENDING, UNROUTABLE, backlog

from .models import outbox


def in_parallel(tasks: Mapping[str, Callable[[], Any]], timeout: float) -> dict[str, Any]:
    """Run every task at once; a task that raised or did not finish within `timeout`
    maps to its exception (TimeoutError for the late ones)."""
    executor = ThreadPoolExecutor(max_workers=max(len(tasks), 1), thread_name_prefix="probe")
    futures = {name: executor.submit(task) for name, task in tasks.items()}
    wait(futures.values(), timeout=timeout)
    executor.shutdown(wait=False)  # don't wait for late tasks; their own deadlines end them
    results: dict[str, Any] = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = TimeoutError(f"no answer within {timeout:.1f}s")
        else:
            results[name] = future.exception() or future.result()
    return results


def database_answers(engine: Engine) -> bool:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return True


def readiness(engine: Engine, service_addrs: Mapping[str, str], timeout: float) -> dict[str, bool]:
    """Whether the gateway's database and each service's gRPC health answer."""
    tasks: dict[str, Callable[[], Any]] = {"database": lambda: database_answers(engine)}
    for name, addr in service_addrs.items():
        tasks[name] = lambda addr=addr: check_health(addr, timeout)
    return {name: result is True for name, result in in_parallel(tasks, timeout + 0.2).items()}


def service_status(name: str, addr: str, timeout: float) -> dict[str, Any]:
    reply = call(name, ops_pb2_grpc.OpsStub(channel(addr)).Status, ops_pb2.StatusRequest(), timeout=timeout)
    return {
        "available": True,
        "version": reply.version,
        "schema_revision": reply.schema_revision,
        "outbox_pending": reply.outbox_pending,
        "outbox_unroutable": reply.outbox_unroutable,
        "started_at": reply.started_at,
    }


def gateway_status(engine: Engine) -> dict[str, Any]:
    """The same report as a service's Ops.Status, for the gateway itself."""
    with Session(engine) as session:
        counts = backlog(session, outbox)
    return {
        "available": True,
        "version": package_version("tandem-gateway"),
        "schema_revision": current_revision(engine),
        "outbox_pending": counts[PENDING],
        "outbox_unroutable": counts[UNROUTABLE],
    }


def system_status(engine: Engine, service_addrs: Mapping[str, str], timeout: float) -> dict[str, dict[str, Any]]:
    """Every service's status; one that does not answer is reported, not raised."""
    tasks: dict[str, Callable[[], Any]] = {"gateway": lambda: gateway_status(engine)}
    for name, addr in service_addrs.items():
        tasks[name] = lambda name=name, addr=addr: service_status(name, addr, timeout)
    return {name: _report(result) for name, result in in_parallel(tasks, timeout + 0.2).items()}


def _report(result: Any) -> dict[str, Any]:
    if isinstance(result, ServiceUnavailable):
        return {"available": False, "error": result.detail}
    if isinstance(result, grpc.RpcError):
        return {"available": False, "error": f"{result.code().name}: {result.details()}"}
    if isinstance(result, BaseException):
        return {"available": False, "error": str(result) or type(result).__name__}
    return result
