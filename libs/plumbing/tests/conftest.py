"""Fixtures for the plumbing tests: outbox databases, relay subprocesses, a private broker.

This conftest also applies to `consumers/` (an eventlet-patched pytest process):
module level imports stay stdlib-only and cheap; the rest is imported in fixtures.
"""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).parent

# A relay process exactly as a service runs one: `run_relay` until SIGTERM.
RELAY_SCRIPT = """
import logging, sys
logging.basicConfig(level=logging.INFO, format="%(asctime)s relay[%(process)d] %(levelname)s %(message)s")
logging.getLogger("pika").setLevel(logging.CRITICAL)  # its reconnect chatter buries the relay's lines
from tandem_plumbing.db import make_engine
from tandem_plumbing.relay import run_relay
run_relay(make_engine(sys.argv[1]), sys.argv[2], sys.argv[3])
"""


def load_private_rabbit():
    """The `private_rabbit` helper module (tests are imported with importlib mode,
    so sibling modules are loaded by path)."""
    name = "tandem_plumbing_tests_private_rabbit"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "private_rabbit.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def private_rabbit(tmp_path):
    """A started private RabbitMQ node (see private_rabbit.py), always stopped afterwards."""
    module = load_private_rabbit()
    if module.rabbitmq_server_path() is None:
        pytest.skip("rabbitmq-server is not installed: cannot start a private broker")
    node = module.PrivateRabbit(tmp_path / "rabbit")
    try:
        node.start()
        yield node
    finally:
        node.stop()


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request, make_database, tmp_path) -> str:
    """An empty database of each kind a service may own."""
    if request.param == "postgresql":
        return make_database("plumbing")
    return f"sqlite:///{tmp_path / 'service.db'}"


@pytest.fixture
def outbox_db(db_url):
    """(engine, outbox table) with the plumbing tables created."""
    from sqlalchemy import MetaData

    from tandem_plumbing.db import make_engine
    from tandem_plumbing.outbox import add_plumbing_tables

    engine = make_engine(db_url)
    metadata = MetaData()
    outbox, _ = add_plumbing_tables(metadata)
    metadata.create_all(engine)
    yield engine, outbox
    engine.dispose()


@pytest.fixture
def source() -> str:
    """A source service name of the test's own, so exchanges never collide."""
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def start_relay(tmp_path):
    """start_relay(db_url, source, amqp_uri) -> Popen of a relay process; killed at teardown."""
    procs: list[subprocess.Popen] = []

    def start(db_url: str, source: str, amqp_uri: str) -> subprocess.Popen:
        log = open(tmp_path / f"relay-{len(procs)}.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-c", RELAY_SCRIPT, db_url, source, amqp_uri],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        proc.log_path = log.name
        procs.append(proc)
        return proc

    start.logs = lambda: "\n".join(  # for failure messages
        Path(p.log_path).read_text(errors="replace")[-3000:] for p in procs
    )
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)


class Amqp:
    """pika helpers for tests: a durable queue bound before publishing, and draining it."""

    @staticmethod
    def bind_queue(amqp_uri: str, source: str, routing_key: str = "#") -> str:
        import pika

        queue = f"test-{source}-{uuid.uuid4().hex[:6]}"
        with pika.BlockingConnection(pika.URLParameters(amqp_uri)) as conn:
            ch = conn.channel()
            ch.exchange_declare(f"{source}.events", exchange_type="topic", durable=True)
            ch.queue_declare(queue, durable=True)
            ch.queue_bind(queue, f"{source}.events", routing_key=routing_key)
        return queue

    @staticmethod
    def drain(amqp_uri: str, queue: str, idle: float = 0.5) -> list:
        """Every message in `queue` as (properties, body), until none came for `idle` s."""
        import pika

        got = []
        with pika.BlockingConnection(pika.URLParameters(amqp_uri)) as conn:
            ch = conn.channel()
            for method, props, body in ch.consume(queue, inactivity_timeout=idle):
                if method is None:
                    break
                got.append((props, body))
                ch.basic_ack(method.delivery_tag)
            ch.cancel()
        return got


@pytest.fixture
def amqp() -> type[Amqp]:
    return Amqp
