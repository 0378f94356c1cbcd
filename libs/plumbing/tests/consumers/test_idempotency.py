"""A redelivered event changes nothing: one effect and one inbox row per event id."""
import time

import eventlet

from tandem_plumbing.consumer import Database, handles


def make_service(name, db_url, effects_db, calls, in_flight, effect_pause=0.0):
    class Service:
        db = Database(db_url)

        @handles("testsrc", "thing_happened")
        def on_thing(self, event):
            calls.append(event.id)
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
            try:
                self.db.apply_once(event, self._effect, event.id)
            finally:
                in_flight["now"] -= 1

        def _effect(self, session, event_id):
            effects_db.record_effect(session, event_id)
            eventlet.sleep(effect_pause)  # hold the transaction: duplicates arrive meanwhile

    Service.name = name
    return Service


def test_same_envelope_three_times_has_one_effect(vhost_uri, effects_db, start_service, publisher_factory, tools,
                                                  capsys):
    calls, in_flight = [], {"now": 0, "max": 0}
    start_service(vhost_uri, make_service("idem", effects_db.url, effects_db, calls, in_flight))
    event = tools.envelope({"thing": 1})
    publisher = publisher_factory(vhost_uri)
    for _ in range(3):
        publisher.event(event)  # same id every time

    tools.wait_for(lambda: len(calls) == 3, what="three deliveries")
    eventlet.sleep(0.3)  # room for a (wrong) extra effect to land
    effects = effects_db.count(effects_db.effects, event_id=event.id)
    processed = effects_db.count(effects_db.processed, event_id=event.id)
    with capsys.disabled():
        print(f"\n[idempotency] deliveries={len(calls)} effects={effects} processed_events={processed}")
    assert len(calls) == 3
    assert effects == 1
    assert processed == 1
    assert publisher.queue_depth("evt-testsrc-thing_happened--idem.on_thing") == 0  # all acknowledged


def test_concurrent_duplicates_have_one_effect(vhost_uri, effects_db, start_service, publisher_factory, tools, capsys):
    """Two service instances x 10 workers take copies of the same events at once."""
    copies, distinct = 20, 3
    calls, in_flight = [], {"now": 0, "max": 0}
    service = make_service("idemc", effects_db.url, effects_db, calls, in_flight, effect_pause=0.3)
    start_service(vhost_uri, service, max_workers=10)
    start_service(vhost_uri, service, max_workers=10)  # a second instance on the same queue
    events = [tools.envelope({"thing": i}) for i in range(distinct)]
    publisher = publisher_factory(vhost_uri)
    started = time.monotonic()
    for event in events:
        for _ in range(copies):
            publisher.event(event)

    tools.wait_for(lambda: len(calls) == copies * distinct, what="every copy delivered")
    tools.wait_for(lambda: in_flight["now"] == 0, what="handlers to finish")
    elapsed = time.monotonic() - started
    effects = effects_db.count(effects_db.effects)
    processed = effects_db.count(effects_db.processed)
    with capsys.disabled():
        print(f"\n[idempotency, concurrent] deliveries={len(calls)} of {distinct} events, "
              f"max handlers in flight={in_flight['max']}, effects={effects}, processed_events={processed}, "
              f"{elapsed:.2f}s")
    assert in_flight["max"] > 1, "the duplicates were not handled concurrently"
    assert effects == distinct
    for event in events:
        assert effects_db.count(effects_db.effects, event_id=event.id) == 1
    assert processed == distinct
