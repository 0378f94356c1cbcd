"""Event consumers for nameko services: envelope in, bounded retries, parking, once-only effects.

    class EventsService:
        name = "leads"
        db = Database()  # $LEADS_DATABASE_URL, read when the service starts

        @handles("gateway", "user_changed")
        def on_user_changed(self, event: Envelope):
            self.db.apply_once(event, directory.record_user, event.data)

`handles` consumes from the same durable queue nameko's `event_handler` would
(`evt-<source>-<type>--<service>.<method>`). A failing handler's message is
re-published to `<queue>.retry` with an attempt count and a per-message TTL of
`TANDEM_RETRY_DELAY_MS` (default 1000), after which it dead-letters back to its queue;
the original is acknowledged only once the broker confirmed the copy. After
`TANDEM_MAX_ATTEMPTS` attempts (default 5) it is parked in `parked.<service>` with the
error, and the messages behind it keep flowing. A message that is not a valid
envelope (or cannot even be decoded) is parked at once. See `parking.py` to list and
replay parked messages.

`Database.apply_once` runs the effect and records the event id in
`processed_events` in one transaction, so a redelivered event changes nothing.

Telemetry: each handler runs in a consumer span that continues the message's
`traceparent` header (the relay's publish span) or else the envelope's, with the
envelope's correlation id on its log lines; so the events it records continue the
trace. Counted: messages by outcome (handled, retried, parked, invalid), handler
failures and handler time; `watch_parked` reports the depth of `parked.<service>`.
"""
from __future__ import annotations

import dataclasses
import inspect
import logging
import time
import traceback
from functools import partial, wraps
from typing import Any, Callable

import eventlet
from kombu import Connection, Queue
from nameko.events import SERVICE_POOL, EventHandler
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from nameko.standalone.events import get_event_exchange
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from . import parking, telemetry
from .db import make_engine, session_factory
from .envelope import Envelope, InvalidEnvelope
from .outbox import record_processed
from .parking import ATTEMPTS_HEADER
from .settings import database_url, env_int

log = logging.getLogger(__name__)

# Headers the broker adds when it dead-letters; a republished copy must not carry them.
_BROKER_HEADERS = ("x-death", "x-first-death-", "x-last-death-")
# When re-routing a failed message fails (broker trouble), wait this long before
# handing it back to its queue, so that a lasting problem does not spin.
REQUEUE_PAUSE_S = 1.0


def max_attempts() -> int:
    return env_int("TANDEM_MAX_ATTEMPTS", 5)


def retry_delay_ms() -> int:
    return env_int("TANDEM_RETRY_DELAY_MS", 1000)


def event_queue_name(source: str, event_type: str, service: str, method: str) -> str:
    """The name nameko gives a SERVICE_POOL event handler's queue."""
    return f"evt-{source}-{event_type}--{service}.{method}"


def retry_queue(queue_name: str) -> Queue:
    """Failed messages wait here, then dead-letter back to their queue.

    The delay is a per-message TTL, not a queue argument: the queue's arguments never
    change, so a new TANDEM_RETRY_DELAY_MS can never make its re-declaration fail.
    """
    return Queue(
        f"{queue_name}.retry",
        durable=True,
        queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name},
    )


def _attempts(message) -> int:
    try:
        return int(message.headers.get(ATTEMPTS_HEADER, 0))
    except (TypeError, ValueError):
        return 0


class TandemQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but a message that cannot be decoded (not JSON under
    `application/json`, a content type not accepted) is parked; kombu's ConsumerMixin
    would only log it and acknowledge it: an event lost."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._on_decode_error, provider)
        return consumers

    def _on_decode_error(self, provider, message, exc) -> None:
        self.container.spawn_managed_thread(
            partial(provider.handle_undecodable, message, exc), identifier=f"{provider.queue.name}.undecodable"
        )


class TandemEventHandler(EventHandler):
    """nameko's reliable SERVICE_POOL event handler, with envelopes, retries and parking."""

    queue_consumer = TandemQueueConsumer()

    def __init__(self, source_service: str, event_type: str, **kwargs: Any) -> None:
        if kwargs.get("handler_type", SERVICE_POOL) != SERVICE_POOL or not kwargs.get("reliable_delivery", True):
            raise ValueError("handles() supports only reliable SERVICE_POOL handlers")
        kwargs["requeue_on_error"] = False  # failures go through the retry queue instead
        super().__init__(source_service, event_type, **kwargs)

    def handle_message(self, body: Any, message) -> None:
        try:
            envelope = Envelope.from_dict(body)
        except InvalidEnvelope as exc:
            self._park_and_ack(message, f"invalid envelope: {exc}")
            return
        # The relay's publish span, when it traced one, is the closer parent.
        header = (message.headers or {}).get(telemetry.TRACEPARENT)
        if isinstance(header, str) and header:
            envelope = dataclasses.replace(envelope, traceparent=header)
        super().handle_message(envelope, message)

    def handle_undecodable(self, message, exc: Exception) -> None:
        self._park_and_ack(message, f"invalid envelope: cannot decode: {exc!r}")

    def _park_and_ack(self, message, error: str) -> None:
        if self._reroute(message, lambda: self._park(message, error, attempts=0)):
            self.queue_consumer.ack_message(message)
            self._count("invalid")

    def _count(self, outcome: str) -> None:
        telemetry.EVENTS_CONSUMED.labels(self.container.service_name, self.source_service, self.event_type,
                                         outcome).inc()

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        outcome = "handled"
        if exc_info is not None:
            telemetry.HANDLER_FAILURES.labels(self.container.service_name, self.source_service, self.event_type).inc()
            attempts = _attempts(message) + 1
            if attempts >= max_attempts():
                error = "".join(traceback.format_exception(*exc_info))[-4000:]
                reroute, outcome = partial(self._park, message, error, attempts), "parked"
            else:
                log.warning("%s failed (attempt %d), retrying: %r", self.queue.name, attempts, exc_info[1])
                reroute = partial(
                    self._republish, message, retry_queue(self.queue.name), {ATTEMPTS_HEADER: attempts},
                    expiration=retry_delay_ms() / 1000,
                )
                outcome = "retried"
            if not self._reroute(message, reroute):
                return result, exc_info
        # Acknowledged only after the copy was confirmed: at least once, never lost.
        handled = super().handle_result(message, worker_ctx, result, exc_info)
        self._count(outcome)
        return handled

    def _reroute(self, message, publish: Callable[[], None]) -> bool:
        """Publish a copy; if that fails, give the message back to its queue (False)."""
        try:
            publish()
            return True
        except Exception:
            log.exception("%s: could not re-route a message; it goes back to the queue", self.queue.name)
            eventlet.sleep(REQUEUE_PAUSE_S)
            self.queue_consumer.requeue_message(message)
            return False

    def _park(self, message, error: str, attempts: int) -> None:
        log.error("%s: parking message after %d attempt(s): %s", self.queue.name, attempts, error.splitlines()[-1:])
        headers = parking.parked_headers(self.queue.name, error, attempts)
        self._republish(message, parking.parked_queue(self.container.service_name), headers)

    def _republish(self, message, queue: Queue, headers: dict[str, Any], expiration: float | None = None) -> None:
        kept = {k: v for k, v in message.headers.items() if not k.startswith(_BROKER_HEADERS)}
        amqp_uri = self.container.config["AMQP_URI"]
        with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
            conn.Producer().publish(
                message.body,
                exchange="",
                routing_key=queue.name,
                headers={**kept, **headers},
                # A raw body keeps its bytes: "application/data" is never re-serialised.
                content_type=message.content_type or "application/data",
                content_encoding=message.content_encoding or "binary",
                delivery_mode=2,
                expiration=expiration,
                declare=[queue],
                retry=True,
                retry_policy={"max_retries": 3},
            )


def handles(source_service: str, event_type: str, **kwargs: Any):
    """`@handles(source, type)`: the method consumes that event (TandemEventHandler), in a
    span and with the event's correlation id (see the module's docstring)."""

    def register(method):
        observed = method if getattr(method, "_tandem_observed", False) else _observed(method)
        return TandemEventHandler.decorator(source_service, event_type, **kwargs)(observed)

    return register


def _observed(method):
    """Run the handler inside the trace and under the correlation id its event carries;
    time it. Applied once per method, however many events it handles."""

    @wraps(method)
    def handler(self, event: Envelope, *args: Any, **kwargs: Any):
        started = time.perf_counter()
        attributes = {"messaging.system": "rabbitmq", "messaging.operation": "process",
                      "messaging.message.id": event.id, "tandem.handler": f"{self.name}.{method.__name__}"}
        try:
            with telemetry.correlation(event.correlation_id), telemetry.span(
                f"handle {event.source}.{event.type}", telemetry.SpanKind.CONSUMER,
                telemetry.parent_context({telemetry.TRACEPARENT: event.traceparent}), attributes,
            ):
                return method(self, event, *args, **kwargs)
        finally:
            telemetry.HANDLER_SECONDS.labels(self.name, event.source, event.type).observe(time.perf_counter() - started)

    handler._tandem_observed = True
    return handler


def watch_parked(service: str, amqp_uri: str) -> None:
    """Report how many messages wait in `parked.<service>` on /metrics, read at each scrape."""

    def read() -> int:
        with Connection(amqp_uri, connect_timeout=2) as conn:
            return conn.default_channel.queue_declare(parking.parked_queue_name(service), passive=True).message_count

    telemetry.watch_parked(service, read)


class _Store:
    """What a worker gets: a session factory and once-only application of events."""

    def __init__(self, factory, consumer: str) -> None:
        self.session = factory
        self.consumer = consumer

    def apply_once(self, event: Envelope, effect: Callable[..., Any], *args: Any) -> bool:
        """Run `effect(session, *args)` and record the event, in one transaction.

        Returns False (and changes nothing) when this consumer already applied it.
        """
        claimed = False
        with self.session() as session:
            try:
                with session.begin():
                    # A concurrent duplicate waits here on the primary key until the
                    # first commits, then fails: only one of them runs the effect.
                    record_processed(session, self.consumer, event.id)
                    claimed = True
                    effect(session, *args)
            except IntegrityError:
                if claimed:  # the effect's own error, not a duplicate
                    raise
                log.info("%s: event %s already applied; skipped", self.consumer, event.id)
                return False
        return True


class Database(DependencyProvider):
    """The service's own database, opened once per process.

    Without a URL, `<SERVICE>_DATABASE_URL` (see settings.py) is read when the
    service starts, not when its class is defined.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = url

    def setup(self) -> None:
        url = self.url or database_url(self.container.service_name)
        # As many pooled connections as workers: with fewer, a busy consumer closed and
        # reopened connections (a new PostgreSQL session each) on every burst.
        pool = {"pool_size": self.container.max_workers} if make_url(url).get_backend_name() != "sqlite" else {}
        self.engine = make_engine(url, **pool)
        self.factory = session_factory(self.engine)

    def stop(self) -> None:
        self._dispose()

    def kill(self) -> None:  # a killed container must not leave its connections open
        self._dispose()

    def _dispose(self) -> None:
        engine = getattr(self, "engine", None)  # None when the container died before setup
        if engine is not None:
            engine.dispose()

    def get_dependency(self, worker_ctx) -> _Store:
        return _Store(self.factory, f"{worker_ctx.service_name}.{worker_ctx.entrypoint.method_name}")


def handler_queues(service_cls) -> list[Queue]:
    """The durable queues that nameko will consume from for `service_cls`'s handlers:
    the same names, exchange and arguments as `nameko.events.EventHandler.setup`."""
    queues = []
    for method_name, method in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, TandemEventHandler):
                source, event_type = entrypoint.source_service, entrypoint.event_type
                name = event_queue_name(source, event_type, service_cls.name, method_name)
                exchange = get_event_exchange(source, {})
                queues.append(Queue(name, exchange=exchange, routing_key=event_type, durable=True))
    return sorted(queues, key=lambda q: q.name)


def declare_queues(service_cls, amqp_uri: str) -> list[str]:
    """Declare the handler queues (and their retry and parked queues) before any
    process starts, so no event is unroutable while the consumer is down or not yet
    started (run at set-up / deploy time)."""
    queues = handler_queues(service_cls)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for queue in queues:
            queue(channel).declare()
            retry_queue(queue.name)(channel).declare()
        parking.parked_queue(service_cls.name)(channel).declare()
    return [q.name for q in queues]
