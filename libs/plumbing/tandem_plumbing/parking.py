"""Parked messages: events a consumer could not handle, kept where an operator sees them.

Each service has one durable queue, `parked.<service>`. A parked message keeps its
body and headers, plus where it came from and why it was parked.

    tandem-parked list leads              # what is parked, oldest first
    tandem-parked replay leads            # send every parked message back to its queue
    tandem-parked replay leads --event-id ID [--event-id ID ...]

`AMQP_URI` says which broker and vhost. Replayed messages start again with a fresh
attempt count; the consumer's inbox keeps a replay from applying an event twice.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pika
import pika.exceptions

from .envelope import utcnow_rfc3339
from .settings import amqp_uri

ORIGIN_HEADER = "x-tandem-original-queue"
ERROR_HEADER = "x-tandem-error"
PARKED_AT_HEADER = "x-tandem-parked-at"
ATTEMPTS_HEADER = "x-tandem-attempts"
_DROPPED_ON_REPLAY = ("x-tandem-", "x-death", "x-first-death-", "x-last-death-")


def parked_queue_name(service: str) -> str:
    return f"parked.{service}"


def parked_queue(service: str):
    from kombu import Queue  # kombu is only needed in consumer processes

    return Queue(parked_queue_name(service), durable=True)


def parked_headers(origin_queue: str, error: str, attempts: int) -> dict[str, Any]:
    return {ORIGIN_HEADER: origin_queue, ERROR_HEADER: error, PARKED_AT_HEADER: utcnow_rfc3339(), ATTEMPTS_HEADER: attempts}


def _read_all(channel, queue: str) -> list[tuple[Any, Any, bytes]]:
    """Take every message off the queue without acknowledging it yet."""
    messages = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            return messages
        messages.append((method, properties, body))


def _describe(properties, body: bytes) -> dict[str, Any]:
    headers = properties.headers or {}
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    error = headers.get(ERROR_HEADER, "")
    if isinstance(error, bytes):
        error = error.decode(errors="replace")
    return {
        "event_id": event.get("id") if isinstance(event, dict) else None,
        "type": event.get("type") if isinstance(event, dict) else None,
        "queue": _text(headers.get(ORIGIN_HEADER)),
        "attempts": headers.get(ATTEMPTS_HEADER),
        "parked_at": _text(headers.get(PARKED_AT_HEADER)),
        "error": (error.strip().splitlines() or [""])[-1],
    }


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def list_parked(service: str, uri: str) -> list[dict[str, Any]]:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        channel.queue_declare(parked_queue_name(service), durable=True)
        messages = _read_all(channel, parked_queue_name(service))
        # Closing without acknowledging returns every message to the queue, in order.
        return [_describe(properties, body) for _method, properties, body in messages]
    finally:
        connection.close()


def replay_parked(service: str, uri: str, event_ids: set[str] | None = None) -> int:
    """Send parked messages back to the queues they came from; return how many.

    A message whose queue no longer exists stays parked (and is reported)."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    replayed = 0
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.queue_declare(parked_queue_name(service), durable=True)
        for method, properties, body in _read_all(channel, parked_queue_name(service)):
            info = _describe(properties, body)
            if event_ids is not None and info["event_id"] not in event_ids:
                continue
            # A fresh start: no attempt count, error or dead-letter history.
            properties.headers = {
                k: v for k, v in (properties.headers or {}).items() if not k.startswith(_DROPPED_ON_REPLAY)
            }
            try:
                if not info["queue"]:
                    raise pika.exceptions.UnroutableError([])
                channel.basic_publish("", info["queue"], body, properties, mandatory=True)
            except pika.exceptions.UnroutableError:
                print(f"not replayed: queue {info['queue']!r} of event {info['event_id']} does not exist",
                      file=sys.stderr)
                continue
            channel.basic_ack(method.delivery_tag)  # only after the broker confirmed the copy
            replayed += 1
    finally:
        connection.close()  # what was not replayed goes back to the parked queue
    return replayed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tandem-parked", description="List and replay parked event messages.")
    parser.add_argument("--amqp-uri", default=None, help="broker URI with vhost (default: $AMQP_URI)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="show parked messages, oldest first")
    p_list.add_argument("service")
    p_list.add_argument("--json", action="store_true", help="one JSON object per line")
    p_replay = sub.add_parser("replay", help="send parked messages back to their queues")
    p_replay.add_argument("service")
    p_replay.add_argument("--event-id", action="append", help="only this event (repeatable)")
    args = parser.parse_args(argv)
    uri = args.amqp_uri or amqp_uri()
    if args.command == "list":
        parked = list_parked(args.service, uri)
        for item in parked:
            if args.json:
                print(json.dumps(item))
            else:
                print(f"{item['parked_at']}  {item['event_id']}  {item['type']}  {item['queue']}  "
                      f"attempts={item['attempts']}  {item['error']}")
        print(f"{len(parked)} parked message(s) in {parked_queue_name(args.service)}", file=sys.stderr)
    else:
        ids = set(args.event_id) if args.event_id else None
        count = replay_parked(args.service, uri, ids)
        print(f"replayed {count} message(s) from {parked_queue_name(args.service)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
