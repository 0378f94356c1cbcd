"""declare_queues() makes the queues nameko consumes from, so nothing published before
the consumer first starts is unroutable (and lost)."""
import collections
import urllib.parse

import pika.exceptions
import pytest

from tandem_plumbing.consumer import declare_queues, handles
from tandem_plumbing.testing import management_request


class Declared:
    name = "declsvc"
    seen = collections.Counter()

    @handles("testsrc", "thing_happened")
    @handles("testsrc", "thing_changed")  # two queues for one method, as the services do
    def on_thing(self, event):
        Declared.seen[event.id] += 1

    @handles("othersrc", "other_happened")
    def on_other(self, event):
        Declared.seen[event.id] += 1


def queues_in(infra, uri):
    vhost = urllib.parse.quote(urllib.parse.unquote(urllib.parse.urlsplit(uri).path.lstrip("/")), safe="")
    return {q["name"]: q for q in management_request(infra, "GET", f"queues/{vhost}")}


def test_event_published_before_first_start_is_handled(vhost_uri, tandem_infra, start_service, publisher_factory,
                                                        tools, capsys):
    publisher = publisher_factory(vhost_uri)
    publisher.declare_exchange("testsrc")
    early = tools.envelope({"early": True})
    with pytest.raises(pika.exceptions.UnroutableError):  # why declaring matters
        publisher.event(early)

    names = declare_queues(Declared, vhost_uri)
    assert names == [
        "evt-othersrc-other_happened--declsvc.on_other",
        "evt-testsrc-thing_changed--declsvc.on_thing",
        "evt-testsrc-thing_happened--declsvc.on_thing",
    ]
    events = [early, tools.envelope({"early": True}, type_="thing_changed"),
              tools.envelope({"early": True}, source="othersrc", type_="other_happened")]
    for event in events:
        publisher.event(event)  # mandatory: raises if unroutable
    declared = queues_in(tandem_infra, vhost_uri)

    # nameko declares the same queues when it starts: any difference in arguments
    # would close its channel with PRECONDITION_FAILED and nothing would be consumed.
    runner = start_service(vhost_uri, Declared)
    tools.wait_for(lambda: all(Declared.seen[e.id] == 1 for e in events), what="the events published before start")
    declare_queues(Declared, vhost_uri)  # re-running set-up on a live system is harmless
    after = queues_in(tandem_infra, vhost_uri)
    with capsys.disabled():
        print(f"\n[declare_queues] declared {sorted(declared)}; handled before-start events: "
              f"{sum(Declared.seen[e.id] for e in events)}/{len(events)}")
    assert set(after) == set(declared), "nameko consumed from a queue declare_queues did not make"
    for name in names:
        assert declared[name]["arguments"] == {} and declared[name]["durable"] is True
        assert not declared[name]["auto_delete"] and not declared[name]["exclusive"]
        assert declared[f"{name}.retry"]["arguments"] == {"x-dead-letter-exchange": "",
                                                          "x-dead-letter-routing-key": name}
    assert "parked.declsvc" in declared
    assert all(not container._died.ready() for container in runner.containers)
