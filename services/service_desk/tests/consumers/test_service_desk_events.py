"""The real service_desk consumer: referrals follow leads events (in any order, once
each), user events fill the agents directory, and the SLA timer escalates."""
from datetime import datetime, timedelta, timezone

import eventlet
from sqlalchemy import select
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
