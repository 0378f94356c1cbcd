"""The service desk's rules, without I/O."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tandem_service_desk.domain import cases, referrals, sla
from tandem_service_desk.domain.cases import Contact
from tandem_service_desk.domain.common import Failure

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
POLICY = sla.SlaPolicy.default()
H = timedelta(hours=1)


def new_case(**overrides):
    values = {"subject": "Printer on fire", "priority": "high", "origin": "email",
              "contact": {"name": "Ada", "email": "ada@acme.test", "company": "Acme"}, **overrides}
    return cases.open_case(cases.parse_new_case(values), case_id="c1", number=1042, owner_id="a1",
                           created_by="a1", now=T0, policy=POLICY)


def fails(kind, call, *args, **kwargs) -> Failure:
    with pytest.raises(Failure) as caught:
        call(*args, **kwargs)
    assert caught.value.kind == kind
    return caught.value


# -- SLA policy ----------------------------------------------------------------------------
@pytest.mark.parametrize("priority, first, resolution", [("urgent", 1, 4), ("high", 4, 24), ("medium", 8, 72),
                                                         ("low", 24, 120)])
def test_default_due_times_by_priority(priority, first, resolution):
    assert POLICY.due(priority, T0) == (T0 + first * H, T0 + resolution * H)


def test_policy_from_environment():
    policy = sla.SlaPolicy.from_env({"SLA_URGENT_HOURS": "0.5/2", "SLA_AT_RISK_FRACTION": "0.1"})
    assert policy.due("urgent", T0) == (T0 + H / 2, T0 + 2 * H)
    assert policy.due("low", T0) == (T0 + 24 * H, T0 + 120 * H)  # untouched default
    assert policy.at_risk_fraction == 0.1


@pytest.mark.parametrize("env", [{"SLA_HIGH_HOURS": "4"}, {"SLA_HIGH_HOURS": "x/y"}, {"SLA_HIGH_HOURS": "8/4"},
                                 {"SLA_HIGH_HOURS": "0/4"}, {"SLA_AT_RISK_FRACTION": "1.5"},
                                 {"SLA_AT_RISK_FRACTION": "lots"}])
def test_a_bad_setting_is_refused_by_name(env):
    with pytest.raises(ValueError, match=next(iter(env))):
        sla.SlaPolicy.from_env(env)


# -- SLA state -----------------------------------------------------------------------------
def state(case, at):
    return sla.sla_state(case.clocks, at, POLICY.at_risk_fraction)


def test_a_fresh_case_is_neither_breached_nor_at_risk():
    assert state(new_case(), T0 + H) == sla.SlaState(False, False, False)


def test_first_response_at_risk_then_breached():
    case = new_case()  # high: first response due in 4 h, at risk in the last hour
    assert state(case, T0 + 3 * H - timedelta(seconds=1)).at_risk is False
    assert state(case, T0 + 3 * H + timedelta(seconds=1)) == sla.SlaState(False, False, True)
    assert state(case, T0 + 4 * H + timedelta(seconds=1)) == sla.SlaState(True, False, False)


def test_a_response_in_time_stops_the_first_clock():
    case = cases.respond(new_case(), T0 + 2 * H)
    assert state(case, T0 + 10 * H) == sla.SlaState(False, False, False)
    # resolution (24 h) is at risk in its last 6 h
    assert state(case, T0 + 19 * H) == sla.SlaState(False, False, True)
    assert state(case, T0 + 25 * H) == sla.SlaState(False, True, False)


def test_a_late_response_stays_breached():
    case = cases.respond(new_case(), T0 + 5 * H)
    assert state(case, T0 + 6 * H).first_response_breached is True


def test_closing_stops_both_clocks():
    closed = cases.change_case(new_case(), {"status": "closed"}, T0 + 2 * H, POLICY)
    assert closed.resolved_at == T0 + 2 * H
    assert state(closed, T0 + 500 * H) == sla.SlaState(False, False, False)
    closed_late = cases.change_case(new_case(), {"status": "closed"}, T0 + 30 * H, POLICY)
    assert state(closed_late, T0 + 500 * H) == sla.SlaState(True, True, False)


# -- escalation ----------------------------------------------------------------------------
def test_escalated_once_for_the_first_response_then_once_for_the_resolution():
    case = new_case()
    assert cases.escalation(case, T0 + 4 * H) is case  # due, not yet past due
    first = cases.escalation(case, T0 + 5 * H)
    assert (first.status, first.escalated_for, first.version) == ("escalated", "first_response", 2)
    assert cases.escalation(first, T0 + 6 * H) is first  # idempotent
    worked = cases.change_case(first, {"status": "working"}, T0 + 7 * H, POLICY)
    assert cases.escalation(worked, T0 + 8 * H) is worked  # not again for the same breach
    second = cases.escalation(worked, T0 + 25 * H)
    assert (second.status, second.escalated_for) == ("escalated", "resolution")
    assert cases.escalation(second, T0 + 26 * H) is second


def test_straight_to_resolution_when_both_are_overdue():
    assert cases.escalation(new_case(), T0 + 30 * H).escalated_for == "resolution"


def test_a_responded_or_closed_case_is_not_escalated_for_what_stopped():
    responded = cases.respond(new_case(), T0 + 5 * H)  # late, but the clock stopped
    assert cases.escalation(responded, T0 + 6 * H) is responded
    closed = cases.change_case(new_case(), {"status": "closed"}, T0 + H, POLICY)
    assert cases.escalation(closed, T0 + 100 * H) is closed


# -- cases ---------------------------------------------------------------------------------
def test_a_new_case():
    case = new_case(subject="  Printer on fire ", description=" ")
    assert (case.subject, case.description, case.status, case.display_number) == ("Printer on fire", None, "new",
                                                                                   "00001042")
    assert case.contact == Contact("Ada", "ada@acme.test", None, "Acme")
    assert (case.first_response_due, case.resolution_due) == (T0 + 4 * H, T0 + 24 * H)


def test_every_bad_field_is_named():
    failure = fails("invalid", cases.parse_new_case, {
        "subject": " ", "priority": "asap", "origin": "fax", "account_id": "x" * 65,
        "contact": {"email": "not-an-email", "phone": "1" * 51},
    })
    assert failure.details["fields"] == {
        "subject": "is required",
        "priority": "must be one of low, medium, high, urgent",
        "origin": "must be one of email, phone, web, chat",
        "account_id": "must be at most 64 characters",
        "contact.name": "is required",
        "contact.email": "must be a valid email address",
        "contact.phone": "must be at most 50 characters",
    }


def test_a_patch_is_checked_field_by_field():
    failure = fails("invalid", cases.parse_case_patch,
                    {"subject": None, "status": "done", "number": "1", "contact": "Ada", "owner_id": None})
    assert failure.details["fields"] == {"subject": "cannot be null", "status": "must be one of new, working, "
                                         "escalated, closed", "number": "unknown field", "contact": "must be an object"}
    assert cases.parse_case_patch({"description": None, "owner_id": None, "contact": None}) == {
        "description": None, "owner_id": None, "contact": None}


def test_closing_and_reopening():
    closed = cases.change_case(new_case(), {"status": "closed"}, T0 + H, POLICY)
    reopened = cases.change_case(closed, {"status": "working"}, T0 + 2 * H, POLICY)
    assert (reopened.resolved_at, reopened.version) == (None, 3)
    failure = fails("rule", cases.change_case, reopened, {"status": "new"}, T0 + 3 * H, POLICY)
    assert failure.code == "invalid_status_change"


def test_a_new_priority_recomputes_the_due_times_from_creation():
    urgent = cases.change_case(new_case(), {"priority": "urgent"}, T0 + 2 * H, POLICY)
    assert (urgent.first_response_due, urgent.resolution_due) == (T0 + H, T0 + 4 * H)


def test_asking_for_what_is_changes_nothing():
    case = new_case()
    assert cases.change_case(case, {"subject": "Printer on fire", "status": "new"}, T0 + H, POLICY) is case


def test_the_first_public_comment_is_the_first_response():
    responded = cases.respond(new_case(), T0 + H)
    assert (responded.first_responded_at, responded.status) == (T0 + H, "working")
    assert cases.respond(responded, T0 + 2 * H) is responded
    escalated = replace(new_case(), status="escalated")
    assert cases.respond(escalated, T0 + H).status == "escalated"


def test_a_comment_needs_a_body():
    assert fails("invalid", cases.parse_comment, {"body": "", "internal": "yes"}).details["fields"] == {
        "body": "is required", "internal": "must be true or false"}


def test_history_records_each_change():
    case = new_case()
    changed = cases.change_case(case, {"status": "closed", "contact": None}, T0 + H, POLICY)
    assert cases.changes_between(case, changed) == [
        ("status", "new", "closed"),
        ("contact", {"name": "Ada", "email": "ada@acme.test", "phone": None, "company": "Acme"}, None),
        ("resolved_at", None, "2026-11-02T10:00:00.000Z"),
    ]
    assert ("status", None, "new") in cases.changes_between(None, case)


@pytest.mark.parametrize("agents, last, expected", [
    (["b", "a", "c"], None, "a"),
    (["a", "b", "c"], "a", "b"),
    (["a", "b", "c"], "c", "a"),  # wraps around
    (["a", "c"], "b", "c"),  # b left: the turn goes on from where it was
    ([], "a", None),
])
def test_round_robin(agents, last, expected):
    assert cases.next_in_rotation(agents, last) == expected


def test_round_robin_is_fair():
    agents, last, served = ["a1", "a2", "a3"], None, []
    for _ in range(9):
        last = cases.next_in_rotation(agents, last)
        served.append(last)
    assert served == ["a1", "a2", "a3"] * 3


def test_only_active_agents_and_admins_own_cases():
    assert cases.may_own_cases("service_agent", True) and cases.may_own_cases("admin", True)
    assert not cases.may_own_cases("service_agent", False) and not cases.may_own_cases("sales_rep", True)


# -- referrals -----------------------------------------------------------------------------
def test_a_referral_is_checked_field_by_field():
    failure = fails("invalid", referrals.parse_referral,
                    {"kind": "resell", "product_interest": " ", "estimated_value": {"amount": 12.5, "currency": "usd"}})
    assert failure.details["fields"] == {
        "kind": "must be one of upsell, cross_sell",
        "product_interest": "is required",
        "estimated_value.amount": 'must be a positive decimal string with at most two decimals, e.g. "1234.50"',
        "estimated_value.currency": "must be an ISO 4217 code, e.g. USD",
    }


@pytest.mark.parametrize("amount", ["-1", "0", "1.234", "abc", "NaN", "Infinity", "1e20", ""])
def test_bad_amounts(amount):
    failure = fails("invalid", referrals.parse_referral, {"kind": "upsell", "product_interest": "Seats",
                                                          "estimated_value": {"amount": amount, "currency": "EUR"}})
    assert list(failure.details["fields"]) == ["estimated_value.amount"]


def test_money_keeps_cents_exactly():
    new = referrals.parse_referral({"kind": "upsell", "product_interest": "Seats",
                                    "estimated_value": {"amount": "1234.5", "currency": "EUR"}})
    assert new.estimated_value.to_dict() == {"amount": "1234.50", "currency": "EUR"}
    assert new.estimated_value.minor_units == 123450
    assert referrals.Money.from_minor_units(123450, "EUR").amount == Decimal("1234.5")


def referral(case=None):
    new = referrals.parse_referral({"kind": "upsell", "product_interest": "50 more seats", "notes": "renewal in May",
                                    "estimated_value": {"amount": "12000.00", "currency": "USD"}})
    return referrals.submit(new, referral_id="r1", case=case or new_case(), agent_id="a1", now=T0)


def test_a_referral_needs_a_contact_on_the_case():
    failure = fails("rule", referral, replace(new_case(), contact=None))
    assert failure.code == "case_has_no_contact"


def lead(version, status="new", owner_id=None, reason=None, lead_id="L1"):
    return {"id": lead_id, "version": version, "status": status, "status_reason": reason, "owner_id": owner_id,
            "referrals": [{"referral_id": "r1"}]}


def test_the_referrals_a_snapshot_lists_once_each_in_its_order():
    listed = {"id": "L1", "referrals": [{"referral_id": "r2"}, {"referral_id": "r1"}, {"referral_id": "r2"}]}
    assert referrals.listed_in(listed) == ["r2", "r1"]
    assert referrals.listed_in({"id": "L2", "referrals": []}) == referrals.listed_in({"id": "L3"}) == []


def test_the_referral_follows_its_lead():
    r = referral()
    assert r.status == "submitted"
    r = referrals.follow_lead(r, lead(1), T0)
    assert (r.status, r.lead_id, r.version) == ("lead_created", "L1", 2)
    r = referrals.follow_lead(r, lead(2, "working", owner_id="rep1"), T0)
    assert (r.status, r.assignee_id, r.version) == ("assigned", "rep1", 3)
    r = referrals.follow_lead(r, lead(3, "converted", owner_id="rep1"), T0)
    assert r.status == "converted"


def test_a_disqualified_lead_rejects_the_referral_with_the_reason():
    r = referrals.follow_lead(referral(), lead(4, "unqualified", owner_id="rep1", reason="no budget"), T0)
    assert (r.status, r.reason, r.assignee_id) == ("rejected", "no budget", "rep1")


def test_older_and_repeated_snapshots_change_nothing():
    r = referrals.follow_lead(referral(), lead(3, "working", owner_id="rep1"), T0)
    assert referrals.follow_lead(r, lead(2), T0) is r
    assert referrals.follow_lead(r, lead(3, "working", owner_id="rep1"), T0) is r


def test_a_newer_snapshot_with_nothing_new_only_moves_the_lead_version():
    r = referrals.follow_lead(referral(), lead(3, "working", owner_id="rep1"), T0)
    same = referrals.follow_lead(r, lead(5, "qualified", owner_id="rep1"), T0 + H)
    assert (same.status, same.version, same.lead_version, same.updated_at) == ("assigned", r.version, 5, r.updated_at)


def test_won_and_lost_are_final_and_another_lead_is_ignored():
    won = replace(referrals.follow_lead(referral(), lead(1), T0), status="won")
    assert referrals.follow_lead(won, lead(9, "unqualified"), T0) is won
    attached = referrals.follow_lead(referral(), lead(1), T0)
    assert referrals.follow_lead(attached, lead(7, "working", "rep2", lead_id="L2"), T0) is attached


def test_the_events_carry_what_their_consumers_need():
    case = new_case(account_id="acc1")
    r = referral(case)
    submitted = referrals.submitted_event(r, case)
    assert submitted == {
        "referral": {"id": "r1", "case_id": "c1", "case_number": "00001042", "case_subject": "Printer on fire",
                     "kind": "upsell", "product_interest": "50 more seats", "notes": "renewal in May",
                     "estimated_value": {"amount": "12000.00", "currency": "USD"}, "agent_id": "a1",
                     "submitted_at": "2026-11-02T09:00:00.000Z"},
        "case": {"id": "c1", "number": "00001042", "subject": "Printer on fire", "account_id": "acc1",
                 "priority": "high"},
        "contact": {"name": "Ada", "email": "ada@acme.test", "phone": None, "company": "Acme"},
    }
    assigned = referrals.follow_lead(r, lead(2, "working", owner_id="rep1"), T0)
    assert referrals.status_changed_event(assigned, case, "submitted") == {
        "referral": {"id": "r1", "case_id": "c1", "case_number": "00001042", "agent_id": "a1", "kind": "upsell",
                     "product_interest": "50 more seats", "status": "assigned", "lead_id": "L1",
                     "assignee_id": "rep1", "reason": None, "company": "Acme", "opportunity_id": None,
                     "outcome_amount": None},
        "previous_status": "submitted",
    }


def test_the_opportunity_converts_and_its_closing_is_final():
    opportunity = {"id": "O1", "lead_id": "L1"}
    converted = referrals.follow_opportunity(referral(), opportunity, T0)
    assert (converted.status, converted.opportunity_id, converted.lead_id, converted.version) == (
        "converted", "O1", "L1", 2)
    assert referrals.follow_opportunity(converted, opportunity, T0) is converted
    amount = referrals.event_money({"amount": "12000.5", "currency": "USD"})
    won = referrals.close_with_opportunity(converted, opportunity, True, amount, T0)
    assert (won.status, won.outcome_amount.to_dict(), won.version) == (
        "won", {"amount": "12000.50", "currency": "USD"}, 3)
    for late in (referrals.close_with_opportunity(won, opportunity, False, None, T0),
                 referrals.follow_opportunity(won, opportunity, T0),
                 referrals.follow_lead(won, lead(9, "working", owner_id="rep2"), T0)):
        assert late is won
    elsewhere = referrals.close_with_opportunity(converted, {"id": "O2", "lead_id": "L1"}, True, amount, T0)
    assert elsewhere is converted  # a referral stays with its first opportunity


def test_event_money_is_exact_or_nothing():
    assert referrals.event_money({"amount": "0.10", "currency": "EUR"}).to_dict() == {"amount": "0.10",
                                                                                       "currency": "EUR"}
    for bad in (None, {"amount": None, "currency": "USD"}, {"amount": "lots", "currency": "USD"},
                {"amount": "NaN", "currency": "USD"}, {"amount": "-5", "currency": "USD"}, {"amount": "5"}):
        assert referrals.event_money(bad) is None
