"""Poison messages are retried a bounded number of times, then parked; the queue keeps
flowing; `tandem-parked` lists and replays them."""
import collections
import time

import pytest

from tandem_plumbing.consumer import Database, handles

SERVICE = "poisonsvc"
QUEUE = f"evt-testsrc-thing_happened--{SERVICE}.on_thing"
PARKED = f"parked.{SERVICE}"


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setenv("TANDEM_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("TANDEM_RETRY_DELAY_MS", "100")


def make_service(effects_db, attempts, state):
    class Service:
        name = SERVICE
        db = Database(effects_db.url)

        @handles("testsrc", "thing_happened")
        def on_thing(self, event):
            attempts[event.id] += 1
            if event.data.get("flaky") and attempts[event.id] == 1:
                raise RuntimeError("flaky: fails the first time only")
            if event.data.get("poison") and not state["healed"]:
                raise RuntimeError(f"boom: cannot handle {event.id}")
            self.db.apply_once(event, effects_db.record_effect, event.id)
            state["handled_at"][event.id] = time.monotonic()

    return Service


def peek_headers(uri, queue):
    """Headers of the messages in a queue, left where they are."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        headers = []
        while True:
            method, properties, _body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                return headers
            headers.append(properties.headers or {})
    finally:
        connection.close()


def test_poison_is_parked_after_max_attempts_and_replayed(fast_retries, vhost_uri, effects_db, start_service,
                                                          publisher_factory, tools, capsys):
    good_count = 50
    attempts = collections.Counter()
    state = {"healed": False, "handled_at": {}}
    start_service(vhost_uri, make_service(effects_db, attempts, state))
    publisher = publisher_factory(vhost_uri)
    poison = tools.envelope({"poison": True})
    good = [tools.envelope({"n": i}) for i in range(good_count)]
    started = time.monotonic()
    publisher.event(poison)  # first in the queue
    for event in good:
        publisher.event(event)

    tools.wait_for(lambda: publisher.queue_depth(PARKED) == 1, what="the poison message to be parked")
    parked_after = time.monotonic() - started
    tools.wait_for(lambda: effects_db.count(effects_db.effects) == good_count, what="every good message")
    good_done_after = max(state["handled_at"].values()) - started
    parked_headers = peek_headers(vhost_uri, PARKED)
    listed = tools.parked_json(vhost_uri, SERVICE)
    human = tools.parked_cli("--amqp-uri", vhost_uri, "list", SERVICE)
    with capsys.disabled():
        print(f"\n[parking] poison attempts={attempts[poison.id]} (max 3), parked={len(listed)} after "
              f"{parked_after:.2f}s; good handled={effects_db.count(effects_db.effects)}/{good_count} "
              f"(last after {good_done_after:.2f}s)")
        print("[parking] tandem-parked list:", human.stdout.strip(), "|", human.stderr.strip())

    assert attempts[poison.id] == 3
    assert effects_db.count(effects_db.effects, event_id=poison.id) == 0
    assert all(attempts[event.id] == 1 for event in good)
    assert len(listed) == 1
    item = listed[0]
    assert item["event_id"] == poison.id and item["type"] == "thing_happened" and item["queue"] == QUEUE
    assert item["attempts"] == 3
    assert "RuntimeError: boom: cannot handle" in item["error"]
    assert poison.id in human.stdout and "attempts=3" in human.stdout and "boom" in human.stdout
    assert not any(key.startswith("x-death") for key in parked_headers[0]), "broker headers were carried along"
    assert publisher.queue_depth(QUEUE) == 0 and publisher.queue_depth(f"{QUEUE}.retry") == 0
    assert publisher.queue_depth(PARKED) == 1, "list must leave the parked messages in place"

    # Replay: an id filter that matches nothing moves nothing.
    out = tools.parked_cli("--amqp-uri", vhost_uri, "replay", SERVICE, "--event-id", "no-such-event").stdout
    assert "replayed 0" in out
    assert publisher.queue_depth(PARKED) == 1

    state["healed"] = True  # e.g. the bug was fixed and the service redeployed
    out = tools.parked_cli("--amqp-uri", vhost_uri, "replay", SERVICE, "--event-id", poison.id).stdout
    assert "replayed 1" in out
    tools.wait_for(lambda: effects_db.count(effects_db.effects, event_id=poison.id) == 1, what="the replayed event")
    after = tools.parked_json(vhost_uri, SERVICE)
    with capsys.disabled():
        print(f"[parking] after replay: poison attempts={attempts[poison.id]}, "
              f"effects={effects_db.count(effects_db.effects, event_id=poison.id)}, parked={len(after)}")
    assert attempts[poison.id] == 4
    assert after == []
    assert effects_db.count(effects_db.processed) == good_count + 1


def test_invalid_envelopes_are_parked_at_once(fast_retries, vhost_uri, effects_db, start_service, publisher_factory,
                                              tools, capsys):
    attempts = collections.Counter()
    state = {"healed": False, "handled_at": {}}
    runner = start_service(vhost_uri, make_service(effects_db, attempts, state))
    publisher = publisher_factory(vhost_uri)
    exchange, key = "testsrc.events", "thing_happened"
    publisher.raw(exchange, key, b"{not json")  # undecodable under application/json
    publisher.raw(exchange, key, b'{"id": "x1", "type": "thing_happened"}')  # fields missing
    publisher.raw(exchange, key, b"[1, 2, 3]")  # not an object
    publisher.raw(exchange, key, b"plain words", content_type="text/plain")  # a content type not accepted
    raw_ok = tools.envelope({"raw": True})
    publisher.raw(exchange, key, raw_ok.to_json().encode(), content_type=None)  # no content type: a raw string
    raw_flaky = tools.envelope({"flaky": True})  # raw, and retried once: the copy must keep its bytes
    publisher.raw(exchange, key, raw_flaky.to_json().encode(), content_type=None)
    good = tools.envelope({"n": 1})
    publisher.event(good)

    tools.wait_for(lambda: publisher.queue_depth(PARKED) == 4, what="four invalid messages parked")
    tools.wait_for(lambda: effects_db.count(effects_db.effects) == 3, what="the three valid events")
    listed = tools.parked_json(vhost_uri, SERVICE)
    with capsys.disabled():
        print(f"\n[parking, invalid] parked={len(listed)}: "
              + "; ".join(f"attempts={item['attempts']} {item['error'][:60]}" for item in listed))
    assert all(item["attempts"] == 0 and item["queue"] == QUEUE for item in listed)
    assert all(item["error"].startswith("invalid envelope") for item in listed)
    assert attempts[raw_flaky.id] == 2
    assert sum(attempts.values()) == 4, "an invalid envelope must never reach the handler"
    assert all(not container._died.ready() for container in runner.containers), "the service died"

    # Replaying a message that can never be handled parks it again, at once: no loop.
    out = tools.parked_cli("--amqp-uri", vhost_uri, "replay", SERVICE).stdout
    assert "replayed 4" in out
    tools.wait_for(lambda: publisher.queue_depth(PARKED) == 4 and publisher.queue_depth(QUEUE) == 0,
                   what="the invalid messages to be parked again")
    assert len(tools.parked_json(vhost_uri, SERVICE)) == 4


def test_message_survives_when_rerouting_fails(fast_retries, vhost_uri, effects_db, start_service, publisher_factory,
                                               tools, capsys):
    """A failed message is acknowledged only once its retry copy is confirmed: while the
    broker refuses the copy (here: a retry queue someone declared with other arguments)
    the message goes back to its queue, the service keeps running, nothing is lost."""
    attempts = collections.Counter()
    state = {"healed": False, "handled_at": {}}
    publisher = publisher_factory(vhost_uri)
    publisher.channel.queue_declare(f"{QUEUE}.retry", durable=True, arguments={"x-message-ttl": 60_000})
    runner = start_service(vhost_uri, make_service(effects_db, attempts, state))
    poison, good = tools.envelope({"poison": True}), tools.envelope({"n": 1})
    publisher.event(poison)
    publisher.event(good)
    tools.wait_for(lambda: attempts[poison.id] >= 2, what="the message to come back after a refused retry copy")
    blocked_attempts = attempts[poison.id]
    alive = all(not container._died.ready() for container in runner.containers)
    good_handled = effects_db.count(effects_db.effects, event_id=good.id)
    publisher.channel.queue_delete(f"{QUEUE}.retry")  # the operator removes the odd queue
    tools.wait_for(lambda: publisher.queue_depth(PARKED) == 1, what="the poison message to be parked")
    listed = tools.parked_json(vhost_uri, SERVICE)
    with capsys.disabled():
        print(f"\n[parking, broker refuses copy] deliveries while refused={blocked_attempts}, service alive={alive}, "
              f"good handled={good_handled}; then parked={len(listed)} with attempts={listed[0]['attempts']}")
    assert alive and good_handled == 1
    assert len(listed) == 1 and listed[0]["event_id"] == poison.id and listed[0]["attempts"] == 3
