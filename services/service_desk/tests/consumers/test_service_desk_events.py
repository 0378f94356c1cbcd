"""The real service_desk consumer: referrals follow leads events (in any order, once
each), user events fill the agents directory, and the SLA timer escalates."""
from datetime import datetime, timedelta, timezone

import eventlet
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import Engine, select
from tandem_plumbing.db import transaction
from tandem_plumbing.envelope import Envelope

from tandem_service_desk import use_cases
from tandem_service_desk.domain.common import Actor
from tandem_service_desk.domain.sla import SlaPolicy

CASE = {"subject": "Cannot log in", "priority": "urgent", "origin": "email",
        "contact": {"name": "Ada", "email": "ada@acme.test", "company": "Acme"}}


AGENT = Actor("agent-1", "service_agent")


def open_case_with_referral(db, now):
    agent = AGENT
    with transaction(db.sessions) as session:
        case = use_cases.create_case(session, agent, CASE, now=now, policy=SlaPolicy.default()).case
    with transaction(db.sessions) as session:
        referral = use_cases.submit_referral(session, agent, case.id, {"kind": "upsell", "product_interest": "Seats"},
                                             now=now, correlation_id="req-1")
    return case, referral


def watch(db, case_id):
    """(the case's one referral now, how many events were applied)."""
    def referral_now():
        with db.sessions() as session:
            [found] = use_cases.list_referrals(session, AGENT, case_id)
        return found

    return referral_now, lambda: db.count("processed_events")


def lead_event(event_type, lead, **data):
    return Envelope(type=event_type, source="leads", data={"lead": lead, **data}, correlation_id=f"req-{event_type}")


def test_the_referral_follows_lead_events(sd_db, service_desk_events, publish, snapshot, wait_for, capsys):
    case, referral = open_case_with_referral(sd_db, datetime.now(timezone.utc))
    service_desk_events()
    referral_now, processed = watch(sd_db, case.id)

    attached = lead_event("lead_referral_attached", snapshot(1, [referral.id]), referral={}, merged=False)
    publish(attached)
    wait_for(lambda: referral_now().status == "lead_created", "lead_created")

    converted = lead_event("lead_status_changed", snapshot(3, [referral.id], status="converted", owner_id="rep-1"),
                           **{"from": "qualified", "to": "converted", "reason": None})
    assigned = lead_event("lead_assigned", snapshot(2, [referral.id], status="working", owner_id="rep-1"),
                          previous_owner_id=None, reason="rules")
    publish(converted)  # newer first ...
    wait_for(lambda: referral_now().status == "converted", "converted")
    publish(assigned)  # ... the older one arrives late
    publish(assigned)  # and twice
    publish(attached)  # and an old duplicate
    wait_for(lambda: processed() == 3, "every distinct event handled")
    eventlet.sleep(0.5)  # room for a (wrong) late effect
    final = referral_now()
    changes = sd_db.events("referral_status_changed")
    with capsys.disabled():
        print(f"\n[service_desk] attached v1, converted v3, assigned v2 x2, attached v1 again -> {final.status} "
              f"(lead v{final.lead_version}), status events {[e.data['referral']['status'] for e in changes]}")
    assert (final.status, final.lead_id, final.assignee_id, final.lead_version) == ("converted", "lead-1", "rep-1", 3)
    assert processed() == 3
    assert [(e.data["previous_status"], e.data["referral"]["status"], e.correlation_id) for e in changes] == [
        ("submitted", "lead_created", "req-lead_referral_attached"),
        ("lead_created", "converted", "req-lead_status_changed")]
    assert changes[-1].data["referral"]["company"] == "Acme"


def lead_made_from(referral_id, snapshot, version=1, **lead):
    """`lead_created` as leads publishes it for a lead a referral made: the one event of the
    new lead, its owner and the referral in its snapshot."""
    created = snapshot(version, [referral_id], **lead)
    data = {"referral": created["referrals"][0]}
    if created["owner_id"]:
        data["assignment"] = {"previous_owner_id": None, "reason": "rules"}
    return lead_event("lead_created", created, **data)


def handled(runner, count):
    """Wait (in a with block) until `on_lead_changed` handled `count` deliveries."""
    [container] = runner.containers
    results = []

    def enough(_worker_ctx, result, _exc_info):
        results.append(result)
        return len(results) == count

    return entrypoint_waiter(container, "on_lead_changed", callback=enough)


def test_lead_created_alone_assigns_the_referral_once_in_one_short_transaction(
        sd_db, service_desk_events, publish, snapshot, statements):
    case, referral = open_case_with_referral(sd_db, datetime.now(timezone.utc))
    created = lead_made_from(referral.id, snapshot, owner_id="rep-1")
    publish(created)  # before the consumer starts: `setup` declared the queue, nothing is unroutable
    runner = service_desk_events(running=False)
    referral_now, processed = watch(sd_db, case.id)
    with statements(Engine, per=eventlet.getcurrent) as by_worker:
        with handled(runner, 2):
            runner.start()
            publish(created)  # delivered again
    final = referral_now()
    assert (final.status, final.lead_id, final.assignee_id, final.lead_version, final.version) == (
        "assigned", "lead-1", "rep-1", 1, 2)
    [change] = sd_db.events("referral_status_changed")
    assert (change.data["previous_status"], change.data["referral"]["status"], change.data["referral"]["assignee_id"],
            change.correlation_id) == ("submitted", "assigned", "rep-1", "req-lead_created")
    assert processed() == 1
    deliveries = [seen for seen in by_worker.values() if seen[0] == "INSERT processed_events"]
    assert sorted(deliveries, key=len, reverse=True) == [
        ["INSERT processed_events", "SELECT referrals FOR UPDATE", "UPDATE referrals", "SELECT pg_advisory_xact_lock",
         "INSERT outbox"],
        ["INSERT processed_events"]]  # the second claim fails on the inbox's key: nothing else runs


def test_a_lead_no_referral_made_costs_no_transaction(sd_db, service_desk_events, publish, snapshot, statements):
    runner = service_desk_events()
    before = sd_db.counts()
    web_lead = snapshot(1, [], owner_id="rep-1", lead_id="web-lead")
    with statements(Engine, per=eventlet.getcurrent) as by_worker:
        with handled(runner, 2):
            publish(lead_event("lead_created", web_lead, assignment={"previous_owner_id": None, "reason": "rules"}))
            publish(lead_event("lead_status_changed", dict(web_lead, version=2, status="working"),
                               **{"from": "new", "to": "working", "reason": None}))
    assert sd_db.counts() == before
    assert sd_db.count("processed_events") == 0
    assert [seen for seen in by_worker.values() if "INSERT processed_events" in seen] == []


def test_an_old_leads_three_events_move_the_referral_once_per_status(sd_db, service_desk_events, publish, snapshot):
    """A lead made by a leads process from before the one-event change: lead_created (no
    `assignment`, no `referral`), lead_referral_attached with the same snapshot, then
    lead_assigned."""
    case, referral = open_case_with_referral(sd_db, datetime.now(timezone.utc))
    runner = service_desk_events()
    referral_now, processed = watch(sd_db, case.id)
    unowned = snapshot(1, [referral.id])
    for event in (lead_event("lead_created", unowned),
                  lead_event("lead_referral_attached", unowned, referral=unowned["referrals"][0], merged=False),
                  lead_event("lead_assigned", snapshot(2, [referral.id], owner_id="rep-1"), previous_owner_id=None,
                             reason="rules")):
        with handled(runner, 1):
            publish(event)
    final = referral_now()
    assert (final.status, final.lead_id, final.assignee_id, final.lead_version) == ("assigned", "lead-1", "rep-1", 2)
    assert processed() == 3
    assert [(e.data["previous_status"], e.data["referral"]["status"], e.correlation_id)
            for e in sd_db.events("referral_status_changed")] == [
        ("submitted", "lead_created", "req-lead_created"), ("lead_created", "assigned", "req-lead_assigned")]


def test_the_referral_ends_won_with_the_amount_whatever_the_order(sd_db, service_desk_events, publish, snapshot,
                                                                   opportunity, closed, wait_for, capsys):
    case, referral = open_case_with_referral(sd_db, datetime.now(timezone.utc))
    service_desk_events()
    referral_now, processed = watch(sd_db, case.id)

    won = Envelope(type="opportunity_closed", source="sales", data=closed(4, [referral.id]), correlation_id="req-won")
    created = Envelope(type="opportunity_created", source="sales", data={"opportunity": opportunity(1, [referral.id])})
    converted = lead_event("lead_status_changed", snapshot(3, [referral.id], status="converted", owner_id="rep-1"),
                           **{"from": "qualified", "to": "converted", "reason": None})
    publish(won)  # the deal closes before anything else about it arrives ...
    wait_for(lambda: referral_now().status == "won", "won")
    publish(won)  # ... twice
    publish(created)  # then the older news, late
    publish(converted)
    wait_for(lambda: processed() == 3, "every distinct event handled")
    eventlet.sleep(0.5)  # room for a (wrong) late effect
    final = referral_now()
    changes = sd_db.events("referral_status_changed")
    with capsys.disabled():
        print(f"\n[service_desk] closed (won) x2, created, lead converted -> {final.status} "
              f"{final.outcome_amount.to_dict()}, status events {[e.data['referral']['status'] for e in changes]}")
    assert (final.status, final.opportunity_id, final.outcome_amount.to_dict()) == (
        "won", "opp-1", {"amount": "12000.00", "currency": "USD"})
    [event] = changes
    assert (event.data["previous_status"], event.correlation_id) == ("submitted", "req-won")
    assert event.data["referral"]["outcome_amount"] == {"amount": "12000.00", "currency": "USD"}


def test_user_events_fill_the_agents_directory(sd_db, service_desk_events, publish, wait_for):
    service_desk_events()
    user = {"id": "u-7", "email": "sam@example.com", "name": "Sam", "role": "service_agent", "manager_id": None,
            "active": True, "version": 1}
    publish(Envelope(type="user_created", source="gateway", data={"user": user, "changed": []}))
    agents = sd_db.models.agents

    def roles():
        with sd_db.engine.connect() as conn:
            return conn.execute(select(agents.c.id, agents.c.role)).all()

    assert wait_for(roles, "the agent recorded") == [("u-7", "service_agent")]


def test_the_timer_escalates_overdue_cases_once(sd_db, service_desk_events, wait_for):
    overdue, _ = open_case_with_referral(sd_db, datetime.now(timezone.utc) - timedelta(hours=2))  # urgent: 1 h
    fresh, _ = open_case_with_referral(sd_db, datetime.now(timezone.utc))
    service_desk_events()

    def status(case_id):
        with sd_db.sessions() as session:
            return use_cases.get_case(session, AGENT, case_id, now=datetime.now(timezone.utc),
                                             policy=SlaPolicy.default()).case.status

    wait_for(lambda: status(overdue.id) == "escalated", "the overdue case escalated")
    eventlet.sleep(1.0)  # several more checks
    assert status(fresh.id) == "new"
    [event] = sd_db.events("case_escalated")
    assert (event.data["case"]["id"], event.data["breach"]) == (overdue.id, "first_response")
