"""Event consumers for nameko services: envelope in, bounded retries, parking, once-only effects.

    class EventsService:
        name = "leads"
        db = Database(Settings.from_env("leads").database_url)

        @handles("gateway", "user_changed")
        def on_user_changed(self, event: Envelope):
            self.db.apply_once(event, directory.record_user, event.data)

`handles` consumes from the same durable queue nameko's `event_handler` would
(`evt-<source>-<type>--<service>.<method>`). A failing handler's message is
acknowledged and re-queued through `<queue>.retry` (a TTL queue that dead-letters
back) with an attempt count; after `TANDEM_MAX_ATTEMPTS` attempts (default 5) it is
parked in `parked.<service>` with the error, and the messages behind it keep
flowing. A message that is not a valid envelope is parked at once. See `parking.py`
to list and replay parked messages.

`Database.apply_once` runs the effect and records the event id in
`processed_events` in one transaction, so a redelivered event changes nothing.
"""
from __future__ import annotations

import logging
import traceback
from typing import Any, Callable

from kombu import Connection, Exchange, Queue
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from sqlalchemy.exc import IntegrityError

from . import parking
from .parking import ATTEMPTS_HEADER
from .db import make_engine, session_factory
from .envelope import Envelope, InvalidEnvelope
from .outbox import record_processed
from .settings import env_int

log = logging.getLogger(__name__)




def max_attempts() -> int:
    return env_int("TANDEM_MAX_ATTEMPTS", 5)


def retry_delay_ms() -> int:
    return env_int("TANDEM_RETRY_DELAY_MS", 1000)


def event_queue_name(source: str, event_type: str, service: str, method: str) -> str:
    """The name nameko gives a SERVICE_POOL event handler's queue."""
    return f"evt-{source}-{event_type}--{service}.{method}"


def retry_queue(queue_name: str) -> Queue:
    """Messages wait here for the retry delay, then dead-letter back to their queue."""
    return Queue(
        f"{queue_name}.retry",
        durable=True,
        queue_arguments={
            "x-message-ttl": retry_delay_ms(),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        },
    )


class TandemEventHandler(EventHandler):
    """nameko's reliable SERVICE_POOL event handler, with envelopes, retries and parking."""

    def __init__(self, source_service: str, event_type: str, **kwargs: Any) -> None:
        kwargs.setdefault("requeue_on_error", False)
        super().__init__(source_service, event_type, **kwargs)

    def handle_message(self, body: Any, message) -> None:
        try:
            envelope = Envelope.from_dict(body)
        except InvalidEnvelope as exc:
            self._park(message, f"invalid envelope: {exc}", attempts=0)
            self.queue_consumer.ack_message(message)
            return
        super().handle_message(envelope, message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is not None:
            attempts = int((message.headers or {}).get(ATTEMPTS_HEADER, 0)) + 1
            error = "".join(traceback.format_exception(*exc_info))[-4000:]
            if attempts >= max_attempts():
                self._park(message, error, attempts)
            else:
                log.warning("%s failed (attempt %d), retrying: %s", self.queue.name, attempts, exc_info[1])
                self._republish(message, retry_queue(self.queue.name), {ATTEMPTS_HEADER: attempts})
        # Acknowledged only after the copy was confirmed: at least once, never lost.
        return super().handle_result(message, worker_ctx, result, exc_info)

    def _park(self, message, error: str, attempts: int) -> None:
        log.error("%s: parking message after %d attempt(s): %s", self.queue.name, attempts, error.splitlines()[-1:])
        headers = parking.parked_headers(self.queue.name, error, attempts)
        self._republish(message, parking.parked_queue(self.container.service_name), headers)

    def _republish(self, message, queue: Queue, headers: dict[str, Any]) -> None:
        amqp_uri = self.container.config["AMQP_URI"]
        with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
            conn.Producer().publish(
                message.body,
                exchange="",
                routing_key=queue.name,
                headers={**(message.headers or {}), **headers},
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=2,
                declare=[queue],
                retry=True,
                retry_policy={"max_retries": 5},
            )


handles = TandemEventHandler.decorator


class _Store:
    """What a worker gets: a session factory and once-only application of events."""

    def __init__(self, factory, consumer: str) -> None:
        self.session = factory
        self.consumer = consumer

    def apply_once(self, event: Envelope, effect: Callable[..., Any], *args: Any) -> bool:
        """Run `effect(session, *args)` and record the event, in one transaction.

        Returns False (and changes nothing) when this consumer already applied it.
        """
        with self.session() as session:
            try:
                with session.begin():
                    record_processed(session, self.consumer, event.id)
                    effect(session, *args)
            except IntegrityError as exc:
                if not _is_duplicate_processed(exc):
                    raise
                log.info("%s: event %s already applied; skipped", self.consumer, event.id)
                return False
        return True


def _is_duplicate_processed(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "processed_events" in text or "processed_events_pkey" in text


class Database(DependencyProvider):
    """The service's own database, opened once per process."""

    def __init__(self, url: str) -> None:
        self.url = url

    def setup(self) -> None:
        self.engine = make_engine(self.url)
        self.factory = session_factory(self.engine)

    def stop(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx) -> _Store:
        return _Store(self.factory, f"{worker_ctx.service_name}.{worker_ctx.entrypoint.method_name}")


def handler_queues(service_cls) -> list[Queue]:
    """The durable queues that nameko will consume from for `service_cls`'s handlers."""
    queues = []
    for attr in vars(service_cls).values():
        for entrypoint in getattr(attr, "nameko_entrypoints", ()):
            if isinstance(entrypoint, TandemEventHandler):
                source, event_type = entrypoint.source_service, entrypoint.event_type
                exchange = Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=2)
                name = event_queue_name(source, event_type, service_cls.name, attr.__name__)
                queues.append(Queue(name, exchange=exchange, routing_key=event_type, durable=True))
    return queues


def declare_queues(service_cls, amqp_uri: str) -> list[str]:
    """Declare the handler queues before any process starts, so no event is unroutable
    while the consumer is down or not yet started (run at set-up / deploy time)."""
    queues = handler_queues(service_cls)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for queue in queues:
            queue(channel).declare()
        parking.parked_queue(service_cls.name)(channel).declare()
    return [q.name for q in queues]
