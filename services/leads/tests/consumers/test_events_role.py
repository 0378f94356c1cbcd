"""Leads' events role for real: the consumer class against a migrated database keeps the
newest copy of a user whatever the order of delivery, and `tandem-leads events` (cli ->
nameko_runner) as its own process consumes and stops cleanly on SIGTERM.

(These lived in plumbing's tests, which made plumbing's test suite need leads installed.)"""
import importlib
import os
import signal
import sys
import time
from importlib.resources import files

import eventlet
from eventlet.green import subprocess
from sqlalchemy import func, select, text
from tandem_plumbing.consumer import declare_queues
from tandem_plumbing.db import make_engine
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.migrations import upgrade
from tandem_plumbing.testing import EventPublisher as Publisher
from tandem_plumbing.testing import wait_for


def user_event(type_: str, version: int, name: str, role: str = "rep") -> Envelope:
    user = {"id": "u-42", "email": "ada@example.com", "name": name, "role": role, "manager_id": None,
            "active": True, "version": version}
    return Envelope(type=type_, source="gateway", data={"user": user}, correlation_id="req-test")


def test_stale_user_changed_does_not_overwrite(vhost_uri, make_database, monkeypatch, runner_factory, capsys):
    url = make_database("leads")
    upgrade(files("tandem_leads") / "migrations", url)
    # LeadsEvents reads LEADS_DATABASE_URL when its class is defined: set it, then (re)import.
    monkeypatch.setenv("LEADS_DATABASE_URL", url)
    module = sys.modules.get("tandem_leads.adapters.events")
    module = importlib.reload(module) if module else importlib.import_module("tandem_leads.adapters.events")
    from tandem_leads.adapters.models import processed_events, reps

    declare_queues(module.LeadsEvents, vhost_uri)  # what `tandem-leads setup` does
    publisher = Publisher(vhost_uri)
    created = user_event("user_created", 2, "Ada Lovelace", role="manager")
    stale = user_event("user_changed", 1, "Ada Byron")
    engine = make_engine(url)
    try:
        def processed():
            with engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(processed_events)).scalar_one()

        publisher.event(created)  # before the consumer ever ran: kept by the declared queue
        runner_factory({"AMQP_URI": vhost_uri, "max_workers": 10}, module.LeadsEvents).start()
        wait_for(lambda: processed() == 1, what="user_created applied")
        publisher.event(stale)  # older version, arriving later
        publisher.event(created)  # and a duplicate delivery
        wait_for(lambda: processed() == 2, what="user_changed handled")
        wait_for(lambda: publisher.queue_depth("evt-gateway-user_created--leads.on_user_changed") == 0,
                 what="the duplicate delivered")
        eventlet.sleep(0.3)  # room for the duplicate's (wrong) effect to land
        with engine.connect() as conn:
            rows = [dict(row) for row in conn.execute(select(reps)).mappings()]
        count = processed()
    finally:
        engine.dispose()
        publisher.close()
    with capsys.disabled():
        print(f"\n[leads] v2 user_created, then v1 user_changed, then v2 again -> processed_events={count}, reps={rows}")
    assert count == 2
    assert len(rows) == 1
    assert rows[0]["version"] == 2 and rows[0]["name"] == "Ada Lovelace" and rows[0]["role"] == "manager"


def test_events_process_consumes_and_stops_on_sigterm(vhost_uri, make_database, tmp_path, capsys):
    url = make_database("leads_proc")
    upgrade(files("tandem_leads") / "migrations", url)
    from tandem_leads.adapters.events import LeadsEvents

    declare_queues(LeadsEvents, vhost_uri)
    env = {**os.environ, "AMQP_URI": vhost_uri, "LEADS_DATABASE_URL": url, "LOG_LEVEL": "INFO"}
    env.pop("PSYCOPG_WAIT_FUNC", None)  # the events role must set it itself
    log = open(tmp_path / "events.log", "w+")
    exe = os.path.join(os.path.dirname(sys.executable), "tandem-leads")
    proc = subprocess.Popen([exe, "events"], env=env, stdout=log, stderr=subprocess.STDOUT)
    engine = make_engine(url)
    publisher = Publisher(vhost_uri)
    try:
        publisher.event(user_event("user_created", 1, "A"))

        def applied():
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM reps")).scalar_one()

        wait_for(lambda: applied() == 1 or proc.poll() is not None, what="the events process to apply it")
        assert proc.poll() is None, "the events process exited"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        stopped_in = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        engine.dispose()
        publisher.close()
        log.seek(0)
        output = log.read()
        log.close()
    with capsys.disabled():
        print(f"\n[events process] applied=1, SIGTERM -> exit code {rc} in {stopped_in:.2f}s")
    assert rc == 0, output
    assert "consuming events as leads" in output
