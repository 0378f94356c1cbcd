"""pytest plugin: real PostgreSQL and RabbitMQ for Tandem's tests, isolated per session.

Where a Docker engine answers, testcontainers starts PostgreSQL and RabbitMQ (with
management). Otherwise the local servers named by the environment are used:

| variable | default |
|---|---|
| `TEST_POSTGRES_URL` | `postgresql://postgres@127.0.0.1:5432/postgres` (a superuser) |
| `TEST_AMQP_URL` | `amqp://guest:guest@127.0.0.1:5672` (no vhost) |
| `TEST_RABBIT_MANAGEMENT_URL` | `http://guest:guest@127.0.0.1:15672` |
| `TANDEM_TEST_DOCKER` | `auto`; `0` never uses Docker, `1` requires it |

Each test session gets its own RabbitMQ vhost and its own databases, removed at the
end, so concurrent runs never see each other's messages or rows. Heavy imports
happen inside fixtures: eventlet-patched sessions import this plugin early.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import pytest


@dataclass(frozen=True)
class Infra:
    postgres_url: str  # a superuser URL to the maintenance database
    amqp_url: str  # amqp://user:pass@host:port, without vhost
    management_url: str  # http://user:pass@host:port


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _with_docker(stack) -> Infra:
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.community.rabbitmq import RabbitMqContainer

    pg = stack.enter_context(PostgresContainer("postgres:16-alpine", driver="psycopg", dbname="postgres"))
    rabbit = RabbitMqContainer("rabbitmq:3.13-management-alpine").with_exposed_ports(15672)
    rabbit = stack.enter_context(rabbit)
    host = rabbit.get_container_host_ip()
    return Infra(
        postgres_url=pg.get_connection_url(),
        amqp_url=f"amqp://guest:guest@{host}:{rabbit.get_exposed_port(5672)}",
        management_url=f"http://guest:guest@{host}:{rabbit.get_exposed_port(15672)}",
    )


def _local() -> Infra:
    return Infra(
        postgres_url=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        amqp_url=os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672").rstrip("/"),
        management_url=os.environ.get("TEST_RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672").rstrip("/"),
    )


@pytest.fixture(scope="session")
def tandem_infra() -> Iterator[Infra]:
    from contextlib import ExitStack

    mode = os.environ.get("TANDEM_TEST_DOCKER", "auto")
    use_docker = mode == "1" or (mode == "auto" and _docker_answers())
    with ExitStack() as stack:
        yield _with_docker(stack) if use_docker else _local()


@pytest.fixture(scope="session")
def test_session_id() -> str:
    return uuid.uuid4().hex[:10]


def management_request(infra: Infra, method: str, path: str, body: dict | None = None):
    """Call the RabbitMQ management HTTP API; returns the decoded JSON or None."""
    parsed = urllib.parse.urlsplit(infra.management_url)
    url = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}/api/{path}"
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    token = base64.b64encode(f"{parsed.username}:{parsed.password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
    except urllib.error.URLError as exc:
        raise RuntimeError(
            f"RabbitMQ management API at {url} did not answer ({exc}); "
            "enable it with: rabbitmq-plugins enable rabbitmq_management"
        ) from None
    return json.loads(raw) if raw else None


@pytest.fixture(scope="session")
def make_vhost(tandem_infra: Infra, test_session_id: str) -> Iterator[Callable[[str], str]]:
    """Create a private vhost (removed at session end); returns its AMQP URI."""
    created: dict[str, str] = {}

    def make(label: str) -> str:
        if label in created:
            return created[label]
        vhost = f"tandem-test-{test_session_id}-{label}"
        quoted = urllib.parse.quote(vhost, safe="")
        user = urllib.parse.urlsplit(tandem_infra.amqp_url).username
        management_request(tandem_infra, "PUT", f"vhosts/{quoted}")
        management_request(
            tandem_infra, "PUT", f"permissions/{quoted}/{user}", {"configure": ".*", "write": ".*", "read": ".*"}
        )
        created[label] = f"{tandem_infra.amqp_url}/{quoted}"
        return created[label]

    yield make
    for uri in created.values():
        management_request(tandem_infra, "DELETE", f"vhosts/{uri.rsplit('/', 1)[1]}")


@pytest.fixture(scope="session")
def amqp_uri(make_vhost) -> str:
    """The session's own vhost."""
    return make_vhost("main")


@pytest.fixture(scope="session")
def make_database(tandem_infra: Infra, test_session_id: str) -> Iterator[Callable[[str], str]]:
    """Create a private PostgreSQL database (dropped at session end); returns its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(tandem_infra.postgres_url).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    created = []
    counter = iter(range(1_000_000))

    def make(label: str) -> str:
        name = f"tandem_t{test_session_id}_{label}_{next(counter)}"
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return admin.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)

    yield make
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')



def free_ports(n: int) -> list[int]:
    """`n` distinct TCP ports on 127.0.0.1 that nothing listens on (when asked). They are
    held all at once while chosen: asked one by one, the OS may hand out the same port
    twice (seen: two services of one end-to-end system given one port)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (when asked)."""
    return free_ports(1)[0]


@pytest.fixture(name="free_port", scope="session")
def free_port_fixture() -> Callable[[], int]:
    """free_port() -> a port on 127.0.0.1 that nothing listens on."""
    return free_port


@pytest.fixture
def serve_grpc() -> Iterator[Callable]:
    """serve_grpc(register) -> (address, server): a real gRPC server (`build_server`, with
    health) on a free port, `register(server)` adding its servicers; stopped after the test."""
    from .grpc_server import build_server

    started = []

    def serve(register):
        address = f"127.0.0.1:{free_port()}"
        server, _health = build_server(address, register)
        started.append(server)
        return address, server

    yield serve
    for server in started:
        server.stop(0)


class ServiceDb:
    """A service's database migrated to head, and what its tests do on it: run a use
    case in a transaction, put users in its directory copy, read its outbox and count
    rows. `package` is the service's ("tandem_sales"); its `adapters.models` module
    holds `metadata`, `outbox` and the directory copy's table, named by `directory`;
    `records` names the tables `counts()` reports."""

    def __init__(self, package: str, url: str, *, directory: str, records: tuple[str, ...] = ()) -> None:
        import importlib
        import itertools
        from importlib.resources import files

        from .db import make_engine, session_factory
        from .migrations import upgrade

        upgrade(files(package) / "migrations", url)
        self.url = url
        self.models = importlib.import_module(f"{package}.adapters.models")
        self.engine = make_engine(url)
        self.sessions = session_factory(self.engine)
        self._directory = getattr(self.models, directory)
        self._records = records
        self._versions = itertools.count(1)

    def run(self, use_case, *args, **kwargs):
        """Run a use case in one transaction, as the gRPC servicer does."""
        from .db import transaction

        with transaction(self.sessions) as session:
            return use_case(session, *args, **kwargs)

    def user(self, user_id: str, role: str = "sales_rep", manager_id: str | None = None, active: bool = True,
             version: int | None = None):
        """Put a user in the directory copy (what a user event does); returns a Caller for
        them. Without a `version`, each call is newer than the last."""
        from .directory import record_user
        from .failures import Caller

        user = {"id": user_id, "email": f"{user_id}@example.com", "name": user_id.title(), "role": role,
                "manager_id": manager_id, "active": active,
                "version": next(self._versions) if version is None else version}
        self.run(record_user, self._directory, user)
        return Caller(user_id=user_id, role=role, request_id=f"req-{user_id}")

    def events(self, event_type: str | None = None) -> list:
        """The outbox's envelopes (of one type, if given), oldest first."""
        from sqlalchemy import select

        from .envelope import Envelope

        outbox = self.models.outbox
        with self.sessions() as session:
            bodies = session.execute(select(outbox.c.body).order_by(outbox.c.seq)).scalars().all()
        found = [Envelope.from_dict(body) for body in bodies]
        return [e for e in found if event_type is None or e.type == event_type]

    def count(self, table_name: str) -> int:
        from sqlalchemy import func, select

        with self.engine.connect() as conn:
            table = self.models.metadata.tables[table_name]
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    def counts(self) -> dict[str, int]:
        """Rows in each of the `records` tables."""
        return {name: self.count(name) for name in self._records}

    def dispose(self) -> None:
        self.engine.dispose()


# -- record-level access: each service's test_record_access.py --------------------------
NO_IDENTITY = "no identity"


@dataclass(frozen=True)
class Probe:
    """One row of an access table: `rpc` called with what `request()` builds (at call
    time, so a call that changes a record can get a fresh one), and what each caller must
    get: "OK", a gRPC status name ("NOT_FOUND", "PERMISSION_DENIED", ...), or the set of
    ids a list shows (read from the reply by `listed`)."""

    rpc: str
    label: str
    request: Callable[[], Any]
    expect: Mapping[str, Any]
    listed: Callable[[Any], set] | None = None


def uncovered_rpcs(service_descriptor, probes) -> set[str]:
    """The methods of a gRPC service that no probe calls: each must get a row."""
    return {method.name for method in service_descriptor.methods} - {probe.rpc for probe in probes}


def access_problems(stub, probes, callers: Mapping[str, Any]) -> list[str]:
    """Call every probe as every caller (name -> Caller, sent as call metadata) and with
    no identity at all, which must answer UNAUTHENTICATED; one line per difference from
    the table (empty: all as expected)."""
    import grpc

    from .rpc import caller_metadata

    problems = []
    for probe in probes:
        if set(probe.expect) != set(callers):
            problems.append(f"{probe.rpc} ({probe.label}): say what each of {sorted(callers)} gets")
            continue
        for who in (*callers, NO_IDENTITY):
            want = probe.expect.get(who, "UNAUTHENTICATED")
            metadata = caller_metadata(callers[who]) if who in callers else ()
            try:
                reply = getattr(stub, probe.rpc)(probe.request(), metadata=metadata, timeout=20)
                got = probe.listed(reply) if isinstance(want, (set, frozenset)) else "OK"
            except grpc.RpcError as exc:
                got = exc.code().name
            if got != want:
                problems.append(f"{probe.rpc} ({probe.label}) as {who}: got {got}, expected {want}")
    return problems


# -- consumer tests (an eventlet-patched pytest process) ------------------------------
STEP_TIMEOUT_S = 20


def make_process_green() -> None:
    """The first lines of a consumer tests' conftest: monkey-patch eventlet and make
    psycopg wait with select() before anything imports socket users or psycopg. In a
    process that runs several folders' consumer tests, a later conftest finds it done."""
    import sys

    import eventlet

    eventlet.monkey_patch()
    os.environ["PSYCOPG_WAIT_FUNC"] = "wait_select"
    waiting = sys.modules.get("psycopg.waiting")
    if waiting is not None and waiting.wait is not waiting.wait_select:
        raise RuntimeError("psycopg was imported before the consumer tests' conftest could make it green")


def wait_for(condition, timeout: float = STEP_TIMEOUT_S, what: str = "condition"):
    """Poll until condition() is truthy and return it; fail clearly on timeout. (Under
    eventlet time.sleep is green, so the service under test keeps running.)"""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class EventPublisher:
    """Publishes the way an outbox relay does: pika, confirms, mandatory, persistent, JSON."""

    def __init__(self, uri: str) -> None:
        import pika

        self._pika = pika
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def declare_exchange(self, source: str) -> None:
        self.channel.exchange_declare(f"{source}.events", exchange_type="topic", durable=True)

    def raw(self, exchange: str, routing_key: str, body: bytes, content_type="application/json", mandatory=True):
        props = self._pika.BasicProperties(content_type=content_type, delivery_mode=2)
        self.channel.basic_publish(exchange, routing_key, body, props, mandatory=mandatory)

    def event(self, envelope, mandatory: bool = True) -> None:
        self.raw(f"{envelope.source}.events", envelope.type, envelope.to_json().encode(), mandatory=mandatory)

    def queue_depth(self, name: str) -> int:
        """Messages ready in a queue; 0 when it does not exist (yet)."""
        channel = self.connection.channel()
        try:
            return channel.queue_declare(name, passive=True).method.message_count
        except self._pika.exceptions.ChannelClosedByBroker as exc:
            if exc.reply_code == 404:
                return 0
            raise
        finally:
            if channel.is_open:
                channel.close()

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


@pytest.fixture
def vhost_uri(make_vhost, request) -> str:
    """A vhost of this test's own: no queue, argument or message from another test."""
    return make_vhost(f"{request.node.name[:40]}-{uuid.uuid4().hex[:6]}")
