"""The real leads consumer against a migrated database: an older user_changed that
arrives after a newer user_created does not win."""
import importlib
import sys
from importlib.resources import files

import eventlet
from sqlalchemy import func, select

from tandem_plumbing.consumer import declare_queues
from tandem_plumbing.db import make_engine
from tandem_plumbing.migrations import upgrade


def user(version, name, role="rep"):
    return {"user": {"id": "u-42", "email": "ada@example.com", "name": name, "role": role, "manager_id": None,
                     "active": True, "version": version}}


def test_stale_user_changed_does_not_overwrite(vhost_uri, make_database, monkeypatch, start_service, publisher_factory,
                                               tools, capsys):
    url = make_database("leads")
    upgrade(files("tandem_leads") / "migrations", url)
    # LeadsEvents reads LEADS_DATABASE_URL when its class is defined: set it, then (re)import.
    monkeypatch.setenv("LEADS_DATABASE_URL", url)
    module = sys.modules.get("tandem_leads.adapters.events")
    module = importlib.reload(module) if module else importlib.import_module("tandem_leads.adapters.events")
    from tandem_leads.adapters.models import processed_events, reps

    declare_queues(module.LeadsEvents, vhost_uri)  # what `tandem-leads setup` does
    publisher = publisher_factory(vhost_uri)
    created = tools.envelope(user(2, "Ada Lovelace", role="manager"), source="gateway", type_="user_created")
    stale = tools.envelope(user(1, "Ada Byron"), source="gateway", type_="user_changed")
    engine = make_engine(url)
    try:
        def processed():
            with engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(processed_events)).scalar_one()

        def ordered_reps():
            with engine.connect() as conn:
                return [dict(row) for row in conn.execute(select(reps)).mappings()]

        publisher.event(created)  # before the consumer ever ran: kept by the declared queue
        start_service(vhost_uri, module.LeadsEvents)
        tools.wait_for(lambda: processed() == 1, what="user_created applied")
        publisher.event(stale)  # older version, arriving later
        publisher.event(created)  # and a duplicate delivery
        tools.wait_for(lambda: processed() == 2, what="user_changed handled")
        tools.wait_for(lambda: publisher.queue_depth("evt-gateway-user_created--leads.on_user_changed") == 0,
                       what="the duplicate delivered")
        eventlet.sleep(0.3)  # room for the duplicate's (wrong) effect to land
        rows, count = ordered_reps(), processed()
    finally:
        engine.dispose()
    with capsys.disabled():
        print(f"\n[leads] v2 user_created, then v1 user_changed, then v2 again -> processed_events={count}, reps={rows}")
    assert count == 2
    assert len(rows) == 1
    assert rows[0]["version"] == 2 and rows[0]["name"] == "Ada Lovelace" and rows[0]["role"] == "manager"
