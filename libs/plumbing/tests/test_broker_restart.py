"""The broker restarts in the middle of a stream: the relay reconnects and no event is lost.

Runs on a private RabbitMQ node (never the shared one): see private_rabbit.py.
"""
from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import pika
import pika.exceptions
from sqlalchemy import MetaData

from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.outbox import add_plumbing_tables, record_event

EVENTS = 2000
PER_TRANSACTION = 20
COMMIT_EVERY = 0.08  # seconds: the stream lasts ~8 s plus commit time, longer than the restart
RESTART_AFTER = 400  # events received by the consumer
DEADLINE = 90  # seconds for the whole stream to arrive


class ReconnectingConsumer(threading.Thread):
    """Counts message ids from a durable queue; reconnects whenever the broker goes away."""

    def __init__(self, amqp_uri: str, queue: str) -> None:
        super().__init__(daemon=True)
        self.params = pika.URLParameters(amqp_uri + "?connection_attempts=1&socket_timeout=2&heartbeat=5")
        self.queue = queue
        self.received: Counter[str] = Counter()
        self.reconnects = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                with pika.BlockingConnection(self.params) as conn:
                    channel = conn.channel()
                    channel.basic_qos(prefetch_count=500)
                    for method, props, _body in channel.consume(self.queue, inactivity_timeout=0.2):
                        if self.stopping.is_set():
                            break
                        if method is None:
                            continue
                        self.received[props.message_id] += 1  # counted, then acknowledged
                        channel.basic_ack(method.delivery_tag)
            except (pika.exceptions.AMQPError, OSError):
                self.reconnects += 1
                self.stopping.wait(0.3)


def test_relay_survives_a_broker_restart(private_rabbit, make_database, start_relay, source, amqp, capsys):
    url = make_database("restart")
    engine = make_engine(url)
    metadata = MetaData()
    add_plumbing_tables(metadata)
    metadata.create_all(engine)
    queue = amqp.bind_queue(private_rabbit.amqp_uri, source)  # durable: survives the restart
    relay = start_relay(url, source, private_rabbit.amqp_uri)
    consumer = ReconnectingConsumer(private_rabbit.amqp_uri, queue)
    consumer.start()

    committed: list[str] = []
    producer_error: list[BaseException] = []

    def produce() -> None:
        factory = session_factory(engine)
        try:
            while len(committed) < EVENTS:
                with transaction(factory) as session:
                    batch = [Envelope(type="thing_happened", source=source, data={"n": len(committed) + i})
                             for i in range(PER_TRANSACTION)]
                    for env in batch:
                        record_event(session, env)
                committed.extend(env.id for env in batch)
                time.sleep(COMMIT_EVERY)
        except BaseException as exc:  # reported by the test thread
            producer_error.append(exc)

    producer = threading.Thread(target=produce, daemon=True)
    started = time.monotonic()
    try:
        producer.start()
        while len(consumer.received) < RESTART_AFTER:
            assert time.monotonic() - started < 30, f"stream did not start:\n{start_relay.logs()}"
            time.sleep(0.02)
        at_restart = {"committed": len(committed), "received": len(consumer.received)}
        downtime = private_rabbit.restart()
        back_up = time.monotonic()
        received_when_back = len(consumer.received)
        at_back_up = {"committed": len(committed), "received": received_when_back}

        producer.join(DEADLINE)
        assert not producer_error, producer_error
        first_after_restart = None
        while len(consumer.received) < EVENTS and time.monotonic() - started < DEADLINE:
            if first_after_restart is None and len(consumer.received) > received_when_back:
                first_after_restart = time.monotonic() - back_up
            time.sleep(0.05)
        time.sleep(0.5)  # let late duplicates arrive so they are counted
    finally:
        consumer.stopping.set()
        consumer.join(10)
        relay.send_signal(signal.SIGTERM)
        relay.wait(15)
        engine.dispose()

    received = consumer.received
    missing = set(committed) - set(received)
    duplicates = sum(received.values()) - len(received)
    with capsys.disabled():
        print(
            f"\n[broker restart] events={len(committed)} at_restart={at_restart} at_back_up={at_back_up} "
            f"restart_downtime={downtime:.1f}s relay_resumed_after={first_after_restart or float('nan'):.1f}s "
            f"received_unique={len(received)} duplicates={duplicates} missing={len(missing)} "
            f"consumer_reconnects={consumer.reconnects} total={time.monotonic() - started:.1f}s"
        )
    assert len(committed) == EVENTS
    assert not missing, f"{len(missing)} of {EVENTS} events missing after {DEADLINE}s:\n{start_relay.logs()}"
    assert set(received) == set(committed)
    assert relay.returncode == 0, start_relay.logs()
