"""The use cases on a real PostgreSQL database: what they write, what they refuse
(writing nothing), and how they behave under concurrency."""
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from tandem_plumbing.testing import ServiceDb

from tandem_service_desk import use_cases
from tandem_service_desk.domain.common import Actor, Failure
from tandem_service_desk.domain.sla import SlaPolicy

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
POLICY = SlaPolicy.default()
STAFF = Actor("admin-reader", "admin")  # reads every case (who reads what: test_record_access.py)
CASE = {"subject": "Cannot log in", "priority": "high", "origin": "email", "account_id": "acc-1",
        "contact": {"name": "Ada Lovelace", "email": "ada@acme.test", "phone": "+44 1", "company": "Acme"}}


@pytest.fixture
def agent(directory):
    return Actor(directory("service_agent"), "service_agent")


@pytest.fixture
def rep(directory):
    return Actor(directory("sales_rep"), "sales_rep")


def refused(db, kind, use_case, *args, **kwargs) -> Failure:
    """The use case refuses with `kind` and leaves every table as it was."""
    before = db.counts()
    with pytest.raises(Failure) as caught:
        db.run(use_case, *args, **kwargs)
    assert caught.value.kind == kind, caught.value.details
    assert db.counts() == before
    return caught.value


def create(db, actor, now=T0, **overrides):
    return db.run(use_cases.create_case, actor, {**CASE, **overrides}, now=now, policy=POLICY).case


def history(db, case_id):
    entries, _ = db.run(use_cases.list_history, STAFF, case_id, page_size=200)
    return [(e.actor_id, e.field, json.loads(e.from_json), json.loads(e.to_json)) for e in entries]


# -- creating --------------------------------------------------------------------------------
def test_an_agent_opens_a_case_numbered_owned_and_due(sd_db, agent):
    view = sd_db.run(use_cases.create_case, agent, CASE, now=T0, policy=POLICY)
    case = view.case
    assert (case.display_number, case.status, case.owner_id, case.created_by) == ("00000001", "new", agent.user_id,
                                                                                  agent.user_id)
    assert (case.first_response_due, case.resolution_due) == (T0 + 4 * H, T0 + 24 * H)
    assert view.referrals == [] and not view.sla.at_risk
    assert (None, "status", None, "new") not in history(sd_db, case.id)
    assert (agent.user_id, "status", None, "new") in history(sd_db, case.id)
    assert (agent.user_id, "owner_id", None, agent.user_id) in history(sd_db, case.id)
    assert create(sd_db, agent).display_number == "00000002"


def test_bad_input_names_each_field_and_writes_nothing(sd_db, agent):
    failure = refused(sd_db, "invalid", use_cases.create_case, agent,
                      {"subject": "", "priority": "p1", "origin": "email", "contact": {"name": "A", "email": "x"}},
                      now=T0, policy=POLICY)
    assert failure.details["fields"] == {"subject": "is required", "priority": "must be one of low, medium, high, "
                                         "urgent", "contact.email": "must be a valid email address"}
    assert create(sd_db, agent).display_number == "00000001"  # the refused one took no number


def test_only_service_agents_and_admins_open_cases(sd_db, rep, directory):
    failure = refused(sd_db, "forbidden", use_cases.create_case, rep, CASE, now=T0, policy=POLICY)
    assert failure.code == "forbidden"
    admin = Actor(directory("admin"), "admin")
    assert create(sd_db, admin).owner_id is None  # no service agent to rotate to: unassigned


def test_an_explicit_owner_must_be_an_active_agent_or_admin(sd_db, agent, rep, directory):
    inactive = directory("service_agent", active=False)
    for owner in (inactive, rep.user_id, "nobody"):
        failure = refused(sd_db, "rule", use_cases.create_case, agent, {**CASE, "owner_id": owner}, now=T0,
                          policy=POLICY)
        assert failure.code == "invalid_owner" and "owner_id" in failure.details["fields"]
    admin = directory("admin")
    assert create(sd_db, agent, owner_id=admin).owner_id == admin


def test_numbers_are_unique_under_twenty_concurrent_creations(sd_db, agent):
    barrier = threading.Barrier(20)

    def open_one(_):
        barrier.wait()
        return create(sd_db, agent).number

    with ThreadPoolExecutor(20) as pool:
        numbers = list(pool.map(open_one, range(20)))
    assert sorted(numbers) == list(range(1, 21))


def test_round_robin_is_fair_skips_the_inactive_and_holds_under_concurrency(sd_db, directory):
    team = [directory("service_agent") for _ in range(3)]
    directory("service_agent", active=False)
    directory("sales_rep")
    admin = Actor(directory("admin"), "admin")
    owners = [create(sd_db, admin).owner_id for _ in range(6)]
    assert owners == team + team  # in turn, one each per round

    barrier = threading.Barrier(12)

    def open_one(_):
        barrier.wait()
        return create(sd_db, admin).owner_id

    with ThreadPoolExecutor(12) as pool:
        assert Counter(pool.map(open_one, range(12))) == {agent_id: 4 for agent_id in team}


def test_a_deactivated_agent_drops_out_of_the_rotation(sd_db, directory):
    first, second = directory("service_agent"), directory("service_agent")
    admin = Actor(directory("admin"), "admin")
    assert create(sd_db, admin).owner_id == first
    directory("service_agent", active=False, user_id=second, version=2)
    assert [create(sd_db, admin).owner_id for _ in range(2)] == [first, first]


# -- reading -------------------------------------------------------------------------------
def test_an_unknown_case_is_not_found(sd_db, agent):
    for use_case, args in ((use_cases.get_case, ()), (use_cases.list_history, ()), (use_cases.list_referrals, ())):
        with pytest.raises(Failure) as caught, sd_db.sessions() as session:
            use_case(session, STAFF, "nope", *args, **({"now": T0, "policy": POLICY} if use_case is use_cases.get_case
                                                else {}))
        assert caught.value.kind == "not_found"
    refused(sd_db, "not_found", use_cases.update_case, agent, "nope", {"subject": "x"}, expected_version=None,
            now=T0, policy=POLICY)
    refused(sd_db, "not_found", use_cases.add_comment, agent, "nope", {"body": "hi"}, now=T0)


def test_list_filters_search_and_pages(sd_db, agent, directory):
    other = directory("service_agent")
    first = create(sd_db, agent, owner_id=agent.user_id, subject="VPN drops")
    second = create(sd_db, agent, owner_id=other, contact={"name": "Bo", "email": "bo@globex.test",
                                                            "company": "Globex"})
    third = create(sd_db, agent, owner_id=agent.user_id, account_id="acc-2")
    sd_db.run(use_cases.update_case, agent, third.id, {"status": "closed"}, expected_version=None, now=T0,
        policy=POLICY)

    def ids(**filters):
        with sd_db.sessions() as session:
            views, _ = use_cases.list_cases(session, STAFF, **filters, now=T0, policy=POLICY)
        return [view.case.id for view in views]

    assert ids() == [third.id, second.id, first.id]  # newest first
    assert ids(owner_id=agent.user_id) == [third.id, first.id]
    assert ids(status="closed") == [third.id]
    assert ids(account_id="acc-2") == [third.id]
    assert ids(q="vpn") == [first.id]
    assert ids(q="GLOBEX") == [second.id]
    assert ids(q="2") == [second.id]  # its number
    assert ids(q="100%") == []

    with sd_db.sessions() as session:
        page1, token = use_cases.list_cases(session, STAFF, page_size=2, now=T0, policy=POLICY)
        page2, last = use_cases.list_cases(session, STAFF, page_size=2, page_token=token, now=T0, policy=POLICY)
    assert [v.case.id for v in page1 + page2] == [third.id, second.id, first.id] and last == ""
    for bad in ({"status": "open"}, {"page_token": "garbage!"}, {"page_size": -1}):
        with pytest.raises(Failure) as caught, sd_db.sessions() as session:
            use_cases.list_cases(session, STAFF, **bad, now=T0, policy=POLICY)
        assert caught.value.kind == "invalid"


# -- changing ------------------------------------------------------------------------------
def test_a_change_checks_the_version_and_records_history(sd_db, agent, directory):
    case = create(sd_db, agent)
    failure = refused(sd_db, "stale", use_cases.update_case, agent, case.id, {"status": "working"},
                      expected_version=7, now=T0, policy=POLICY)
    assert failure.details == {"current_version": 1}
    other = directory("service_agent")
    changed = sd_db.run(use_cases.update_case, agent, case.id,
                  {"status": "closed", "owner_id": other, "priority": "urgent", "description": None},
                  expected_version=1, now=T0 + H, policy=POLICY).case
    assert (changed.version, changed.status, changed.owner_id, changed.resolved_at) == (2, "closed", other, T0 + H)
    assert changed.resolution_due == T0 + 4 * H
    recorded = history(sd_db, case.id)
    assert (agent.user_id, "status", "new", "closed") in recorded
    assert (agent.user_id, "resolved_at", None, "2026-11-02T10:00:00.000Z") in recorded
    assert (agent.user_id, "resolution_due", "2026-11-03T09:00:00.000Z", "2026-11-02T13:00:00.000Z") in recorded
    same = sd_db.run(use_cases.update_case, agent, case.id, {"status": "closed"}, expected_version=2, now=T0,
               policy=POLICY).case
    assert same.version == 2 and len(history(sd_db, case.id)) == len(recorded)


def test_changes_are_refused_to_others_and_to_bad_owners(sd_db, agent, rep):
    case = create(sd_db, agent)
    refused(sd_db, "forbidden", use_cases.update_case, rep, case.id, {"subject": "x"}, expected_version=None,
            now=T0, policy=POLICY)
    failure = refused(sd_db, "rule", use_cases.update_case, agent, case.id, {"owner_id": rep.user_id},
                      expected_version=None, now=T0, policy=POLICY)
    assert failure.code == "invalid_owner"
    refused(sd_db, "invalid", use_cases.update_case, agent, case.id, {"subject": None, "priority": "p0"},
            expected_version=None, now=T0, policy=POLICY)


# -- comments --------------------------------------------------------------------------------
def test_the_first_public_comment_is_the_first_response(sd_db, agent, rep):
    case = create(sd_db, agent)
    sd_db.run(use_cases.add_comment, agent, case.id, {"body": "checking logs", "internal": True}, now=T0 + H)
    with sd_db.sessions() as session:
        assert use_cases.get_case(session, STAFF, case.id, now=T0, policy=POLICY).case.first_responded_at is None
    sd_db.run(use_cases.add_comment, agent, case.id, {"body": "We are on it"}, now=T0 + 2 * H)
    sd_db.run(use_cases.add_comment, agent, case.id, {"body": "Fixed?"}, now=T0 + 3 * H)
    with sd_db.sessions() as session:
        view = use_cases.get_case(session, STAFF, case.id, now=T0 + 30 * H, policy=POLICY)
    assert (view.case.first_responded_at, view.case.status) == (T0 + 2 * H, "working")
    assert not view.sla.first_response_breached and view.sla.resolution_breached
    assert (agent.user_id, "first_responded_at", None, "2026-11-02T11:00:00.000Z") in history(sd_db, case.id)

    refused(sd_db, "forbidden", use_cases.add_comment, rep, case.id, {"body": "hi"}, now=T0)
    refused(sd_db, "invalid", use_cases.add_comment, agent, case.id, {"body": " "}, now=T0)

    def bodies(actor, **page):
        with sd_db.sessions() as session:
            comments, token = use_cases.list_comments(session, actor, case.id, **page)
        return [c.body for c in comments], token

    assert bodies(agent)[0] == ["checking logs", "We are on it", "Fixed?"]
    assert bodies(rep)[0] == ["We are on it", "Fixed?"]  # internal comments are for the service team
    first_page, token = bodies(agent, page_size=2)
    assert first_page == ["checking logs", "We are on it"]
    assert bodies(agent, page_size=2, page_token=token) == (["Fixed?"], "")


# -- SLA -----------------------------------------------------------------------------------
def test_breach_and_risk_are_visible_and_overdue_cases_escalate_once(sd_db, agent):
    urgent = create(sd_db, agent, priority="urgent")  # 1 h / 4 h
    low = create(sd_db, agent, priority="low")
    with sd_db.sessions() as session:
        risky = use_cases.get_case(session, STAFF, urgent.id, now=T0 + 50 * timedelta(minutes=1), policy=POLICY)
    assert (risky.sla.at_risk, risky.sla.first_response_breached) == (True, False)

    assert sd_db.run(use_cases.escalate_overdue_cases, now=T0 + 30 * timedelta(minutes=1)) == []
    escalated = sd_db.run(use_cases.escalate_overdue_cases, now=T0 + 2 * H)
    assert [(c.id, c.status, c.escalated_for) for c in escalated] == [(urgent.id, "escalated", "first_response")]
    assert sd_db.run(use_cases.escalate_overdue_cases, now=T0 + 2 * H) == []  # idempotent
    assert (None, "status", "new", "escalated") in history(sd_db, urgent.id)
    assert (None, "escalated_for", None, "first_response") in history(sd_db, urgent.id)

    [event] = sd_db.events("case_escalated")
    assert (event.source, event.correlation_id) == ("service_desk", None)
    assert event.data["case"]["id"] == urgent.id and event.data["breach"] == "first_response"
    assert event.data["previous_status"] == "new"

    sd_db.run(use_cases.update_case, agent, urgent.id, {"status": "working"}, expected_version=None,
        now=T0 + 3 * H, policy=POLICY)
    assert sd_db.run(use_cases.escalate_overdue_cases, now=T0 + 3 * H) == []  # not again for the same breach
    later = sd_db.run(use_cases.escalate_overdue_cases, now=T0 + 5 * H)
    assert [(c.id, c.escalated_for) for c in later] == [(urgent.id, "resolution")]
    with sd_db.sessions() as session:
        view = use_cases.get_case(session, STAFF, low.id, now=T0 + 5 * H, policy=POLICY)
    assert view.case.status == "new" and not view.sla.first_response_breached


def test_a_closed_case_is_never_escalated(sd_db, agent):
    case = create(sd_db, agent, priority="urgent")
    sd_db.run(use_cases.update_case, agent, case.id, {"status": "closed"}, expected_version=None, now=T0,
        policy=POLICY)
    assert sd_db.run(use_cases.escalate_overdue_cases, now=T0 + 100 * H) == []


# -- referrals -----------------------------------------------------------------------------
REFERRAL = {"kind": "upsell", "product_interest": "200 more seats", "notes": "they are hiring",
            "estimated_value": {"amount": "48000.00", "currency": "USD"}}


def refer(db, actor, case_id, **overrides):
    return db.run(use_cases.submit_referral, actor, case_id, {**REFERRAL, **overrides}, now=T0 + H,
               correlation_id="req-42")


def test_a_referral_and_its_event_are_written_together(sd_db, agent):
    case = create(sd_db, agent)
    referral = refer(sd_db, agent, case.id)
    assert (referral.status, referral.agent_id, referral.case_id, referral.version) == ("submitted", agent.user_id,
                                                                                        case.id, 1)
    [event] = sd_db.events("referral_submitted")
    assert (event.source, event.correlation_id) == ("service_desk", "req-42")
    assert event.data["referral"]["id"] == referral.id
    assert event.data["referral"]["estimated_value"] == {"amount": "48000.00", "currency": "USD"}
    assert event.data["case"] == {"id": case.id, "number": "00000001", "subject": "Cannot log in",
                                  "account_id": "acc-1", "priority": "high"}
    assert event.data["contact"] == CASE["contact"]
    with sd_db.sessions() as session:
        assert [r.id for r in use_cases.list_referrals(session, STAFF, case.id)] == [referral.id]
        assert [r.id for r in use_cases.get_case(session, STAFF, case.id, now=T0, policy=POLICY).referrals] == [referral.id]


def test_bad_referrals_write_nothing(sd_db, agent, rep):
    case = create(sd_db, agent)
    assert refused(sd_db, "forbidden", use_cases.submit_referral, rep, case.id, REFERRAL, now=T0,
                   correlation_id=None).code == "forbidden"
    failure = refused(sd_db, "invalid", use_cases.submit_referral, agent, case.id,
                      {"kind": "resell", "product_interest": "", "estimated_value": {"amount": "-3", "currency": "$"}},
                      now=T0, correlation_id=None)
    assert set(failure.details["fields"]) == {"kind", "product_interest", "estimated_value.amount",
                                              "estimated_value.currency"}
    refused(sd_db, "not_found", use_cases.submit_referral, agent, "no-such-case", REFERRAL, now=T0,
            correlation_id=None)
    bare = create(sd_db, agent, contact=None)
    assert refused(sd_db, "rule", use_cases.submit_referral, agent, bare.id, REFERRAL, now=T0,
                   correlation_id=None).code == "case_has_no_contact"


def test_a_closed_case_may_still_be_referred(sd_db, agent):
    case = create(sd_db, agent)
    sd_db.run(use_cases.update_case, agent, case.id, {"status": "closed"}, expected_version=None, now=T0,
        policy=POLICY)
    assert refer(sd_db, agent, case.id).status == "submitted"


def test_the_referral_follows_lead_snapshots_in_any_order(sd_db, agent, snapshot):
    case = create(sd_db, agent)
    referral = refer(sd_db, agent, case.id)
    other = refer(sd_db, agent, case.id, kind="cross_sell")

    def follow(lead):
        return [(r.id, r.status) for r in sd_db.run(use_cases.follow_lead, lead, now=T0 + 2 * H,
                                              correlation_id="req-lead")]

    def statuses():
        with sd_db.sessions() as session:
            return {r.id: (r.status, r.lead_id, r.assignee_id, r.reason) for r in
                    use_cases.list_referrals(session, STAFF, case.id)}

    assert follow(snapshot(3, [referral.id], owner_id="rep-9", status="working")) == [(referral.id, "assigned")]
    assert follow(snapshot(1, [referral.id])) == []  # older, late
    assert follow(snapshot(3, [referral.id], owner_id="rep-9", status="working")) == []  # again
    assert statuses()[referral.id] == ("assigned", "lead-1", "rep-9", None)
    assert statuses()[other.id] == ("submitted", None, None, None)
    assert follow(snapshot(4, [referral.id, other.id, "not-ours"], owner_id="rep-9", status="unqualified",
                           reason="no budget")) == [(referral.id, "rejected"), (other.id, "rejected")]
    assert statuses()[other.id] == ("rejected", "lead-1", "rep-9", "no budget")

    changes = sd_db.events("referral_status_changed")
    assert [(e.data["referral"]["id"], e.data["previous_status"], e.data["referral"]["status"]) for e in changes] == [
        (referral.id, "submitted", "assigned"), (referral.id, "assigned", "rejected"),
        (other.id, "submitted", "rejected")]
    first = changes[0]
    assert first.correlation_id == "req-lead"
    assert first.data["referral"] == {
        "id": referral.id, "case_id": case.id, "case_number": "00000001", "agent_id": agent.user_id, "kind": "upsell",
        "product_interest": "200 more seats", "status": "assigned", "lead_id": "lead-1", "assignee_id": "rep-9",
        "reason": None, "company": "Acme", "opportunity_id": None, "outcome_amount": None}


def test_a_converted_lead_converts_the_referral(sd_db, agent, snapshot):
    case = create(sd_db, agent)
    referral = refer(sd_db, agent, case.id)
    sd_db.run(use_cases.follow_lead, snapshot(1, [referral.id]), now=T0, correlation_id=None)
    sd_db.run(use_cases.follow_lead, snapshot(5, [referral.id], status="converted", owner_id="rep-1"), now=T0,
        correlation_id=None)
    with sd_db.sessions() as session:
        [stored] = use_cases.list_referrals(session, STAFF, case.id)
    assert (stored.status, stored.lead_version, stored.version) == ("converted", 5, 3)
    assert [e.data["referral"]["status"] for e in sd_db.events("referral_status_changed")] == ["lead_created",
                                                                                              "converted"]


READ = "SELECT referrals FOR UPDATE"  # the listed referrals with their cases, one statement
TELL = ["SELECT pg_advisory_xact_lock", "INSERT outbox"]  # an event in the outbox (the lock: once per transaction)


def test_following_a_lead_reads_its_referrals_once_and_writes_only_what_changed(sd_db, agent, snapshot,
                                                                                 statements):
    case = create(sd_db, agent)
    referral, other = refer(sd_db, agent, case.id), refer(sd_db, agent, case.id, kind="cross_sell")

    def follow(lead):
        with statements(sd_db.engine) as seen:
            sd_db.run(use_cases.follow_lead, lead, now=T0 + 2 * H, correlation_id=None)
        return seen

    assert follow(snapshot(1, [], lead_id="web-lead", owner_id="rep-1")) == []  # no referral made it
    assert follow(snapshot(1, [referral.id], owner_id="rep-1")) == [READ, "UPDATE referrals", *TELL]
    assert follow(snapshot(1, [referral.id], owner_id="rep-1")) == [READ]  # not newer
    # Newer, but nothing the agent sees changed: only the version it saw is kept.
    assert follow(snapshot(2, [referral.id], owner_id="rep-1", status="working")) == [READ, "UPDATE referrals"]
    assert follow(snapshot(3, [other.id, "not-ours", referral.id], owner_id="rep-1", status="unqualified",
                           reason="no budget")) == [READ, "UPDATE referrals", "UPDATE referrals", *TELL,
                                                    "INSERT outbox"]
    changes = sd_db.events("referral_status_changed")
    assert [(e.data["referral"]["id"], e.data["previous_status"], e.data["referral"]["status"]) for e in changes] == [
        (referral.id, "submitted", "assigned"), (other.id, "submitted", "rejected"),
        (referral.id, "assigned", "rejected")]  # in the snapshot's order
    assert {e.data["referral"]["case_number"] for e in changes} == {"00000001"}
    assert {r.id: (r.status, r.lead_version) for r in referrals_now(sd_db, case.id)} == {
        referral.id: ("rejected", 3), other.id: ("rejected", 3)}


def test_a_referral_is_one_read_of_the_case_one_insert_and_its_event(sd_db, agent, statements):
    case = create(sd_db, agent)
    with statements(sd_db.engine) as seen:
        refer(sd_db, agent, case.id)
    assert seen == ["SELECT cases", "INSERT referrals", *TELL]


def referrals_now(db, case_id):
    with db.sessions() as session:
        return use_cases.list_referrals(session, STAFF, case_id)


def test_the_opportunity_converts_and_its_closing_wins_with_the_amount(sd_db, agent, snapshot, opportunity, closed):
    case = create(sd_db, agent)
    referral, other = refer(sd_db, agent, case.id), refer(sd_db, agent, case.id)
    sd_db.run(use_cases.follow_lead, snapshot(2, [referral.id], owner_id="rep-1"), now=T0, correlation_id=None)
    follow = sd_db.run(use_cases.follow_opportunity, opportunity(1, [referral.id, "not-ours"]), now=T0 + H,
                 correlation_id="req-convert")
    assert [(r.status, r.opportunity_id) for r in follow] == [("converted", "opp-1")]
    # The lead's own converted snapshot, arriving after, changes nothing the agent sees.
    sd_db.run(use_cases.follow_lead, snapshot(3, [referral.id], status="converted", owner_id="rep-1"), now=T0,
        correlation_id=None)
    won = sd_db.run(use_cases.opportunity_closed, closed(5, [referral.id]), now=T0 + 2 * H, correlation_id="req-won")
    assert [(r.status, r.outcome_amount.to_dict()) for r in won] == [("won", {"amount": "12000.00", "currency": "USD"})]
    events = sd_db.events("referral_status_changed")
    assert [(e.data["previous_status"], e.data["referral"]["status"]) for e in events] == [
        ("submitted", "assigned"), ("assigned", "converted"), ("converted", "won")]
    assert events[-1].correlation_id == "req-won"
    assert (events[-1].data["referral"]["opportunity_id"], events[-1].data["referral"]["outcome_amount"]) == (
        "opp-1", {"amount": "12000.00", "currency": "USD"})
    # Final: a repeated closing, a late created event or lead snapshot change nothing.
    assert sd_db.run(use_cases.opportunity_closed, closed(6, [referral.id], won=False), now=T0,
               correlation_id=None) == []
    sd_db.run(use_cases.follow_opportunity, opportunity(1, [referral.id]), now=T0, correlation_id=None)
    sd_db.run(use_cases.follow_lead, snapshot(9, [referral.id], status="working", owner_id="rep-2"), now=T0,
        correlation_id=None)
    stored = {r.id: r for r in referrals_now(sd_db, case.id)}
    assert (stored[referral.id].status, stored[referral.id].assignee_id, stored[referral.id].lead_id) == (
        "won", "rep-1", "lead-1")
    assert stored[other.id].status == "submitted"
    assert len(sd_db.events("referral_status_changed")) == 3


def test_a_closing_before_any_lead_news_still_ends_the_referral(sd_db, agent, snapshot, closed):
    case = create(sd_db, agent)
    referral = refer(sd_db, agent, case.id)
    lost = sd_db.run(use_cases.opportunity_closed, closed(3, [referral.id], won=False, amount=None), now=T0,
               correlation_id=None)
    assert [(r.status, r.outcome_amount, r.lead_id, r.opportunity_id) for r in lost] == [
        ("lost", None, "lead-1", "opp-1")]
    sd_db.run(use_cases.follow_lead, snapshot(4, [referral.id], status="converted", owner_id="rep-1"), now=T0,
        correlation_id=None)
    [stored] = referrals_now(sd_db, case.id)
    assert stored.status == "lost"
    [event] = sd_db.events("referral_status_changed")
    assert (event.data["previous_status"], event.data["referral"]["outcome_amount"]) == ("submitted", None)


def test_an_older_lead_snapshot_does_not_undo_the_conversion(sd_db, agent, snapshot, opportunity):
    case = create(sd_db, agent)
    referral = refer(sd_db, agent, case.id)
    sd_db.run(use_cases.follow_opportunity, opportunity(1, [referral.id]), now=T0, correlation_id=None)
    sd_db.run(use_cases.follow_lead, snapshot(2, [referral.id], status="working", owner_id="rep-1"), now=T0,
        correlation_id=None)
    [stored] = referrals_now(sd_db, case.id)
    assert (stored.status, stored.assignee_id) == ("converted", "rep-1")


def test_row_values_survive_the_round_trip(sd_db, agent):
    case = create(sd_db, agent)
    refer(sd_db, agent, case.id)
    with sd_db.engine.connect() as conn:
        row = conn.execute(select(sd_db.models.referrals)).one()
    assert (row.estimated_value_minor, row.estimated_value_currency) == (4_800_000, "USD")


def test_the_embedded_sqlite_database_behaves_the_same(tmp_path, snapshot):
    """`make run`'s default: numbering, rotation, escalation, search, pages and referrals."""
    url = f"sqlite:///{tmp_path / 'service_desk.db'}"
    db = ServiceDb("tandem_service_desk", url, directory="agents")
    try:
        for user_id in ("a1", "a2"):
            db.user(user_id, "service_agent")
        agent = Actor("a1", "service_agent")
        first, second = create(db, agent, priority="urgent"), create(db, agent, subject="Billing question")
        assert [(c.display_number, c.owner_id) for c in (first, second)] == [("00000001", "a1"), ("00000002", "a2")]
        for body in ("one", "two", "three"):
            db.run(use_cases.add_comment, agent, second.id, {"body": body}, now=T0)
        with db.sessions() as session:
            page, token = use_cases.list_comments(session, agent, second.id, page_size=2)
            rest, _ = use_cases.list_comments(session, agent, second.id, page_size=2, page_token=token)
            found, _ = use_cases.list_cases(session, STAFF, q="billing", now=T0, policy=POLICY)
        assert [c.body for c in page + rest] == ["one", "two", "three"]
        assert [view.case.id for view in found] == [second.id]
        assert [c.id for c in db.run(use_cases.escalate_overdue_cases, now=T0 + 2 * H)] == [first.id]
        assert db.run(use_cases.escalate_overdue_cases, now=T0 + 2 * H) == []
        referral = refer(db, agent, first.id)
        db.run(use_cases.follow_lead, snapshot(2, [referral.id], owner_id="rep-1"), now=T0, correlation_id=None)
        db.run(use_cases.follow_lead, snapshot(1, [referral.id]), now=T0, correlation_id=None)
        with db.sessions() as session:
            [stored] = use_cases.list_referrals(session, STAFF, first.id)
        assert (stored.status, stored.assignee_id, stored.estimated_value.to_dict()["amount"]) == ("assigned", "rep-1",
                                                                                                   "48000.00")
    finally:
        db.dispose()
