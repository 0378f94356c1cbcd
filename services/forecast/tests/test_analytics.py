"""Pipeline analytics on PostgreSQL and SQLite, every figure checked against values worked
out by hand below; access as for forecasts."""
import pytest
from tandem_plumbing.failures import Failure

from tandem_forecast.use_cases import analytics, feed, settings

from .conftest import lead_snapshot

Q4 = "2026-Q4"  # 1 Oct - 31 Dec 2026 (the fiscal year starts in January)


def referral(agent_id):
    return [{"referral_id": f"ref-{agent_id}", "case_id": "case-1", "agent_id": agent_id}]


@pytest.fixture
def db(forecast_db):
    return forecast_db


@pytest.fixture
def deals(db, team):
    db.user("desk_lead", "service_agent")
    db.user("agent2", "service_agent", manager_id="desk_lead")
    db.run(settings.put_settings, team["admin"], {"currency": "USD", "rates": {"EUR": "1.10"}})
    db.opportunity("d1", owner_id="rep1", stage="Prospecting", probability=10, amount="1000.00",
                   close_date="2026-10-10", created_at="2026-10-01T00:00:00Z")
    db.opportunity("d2", owner_id="rep1", stage="Negotiation", probability=70, forecast_category="commit",
                   amount="2000.00", close_date="2026-11-10", created_at="2026-09-01T00:00:00Z",
                   referrals=referral("agent2"))
    db.opportunity("d3", owner_id="rep2", stage="Closed Won", probability=100, forecast_category="closed",
                   is_closed=True, is_won=True, amount="3000.00", close_date="2026-11-20",
                   created_at="2026-10-05T10:00:00Z", closed_at="2026-11-20T09:00:00Z", referrals=referral("agent"))
    db.opportunity("d4", owner_id="rep2", stage="Closed Won", probability=100, forecast_category="closed",
                   is_closed=True, is_won=True, amount="1000.00", currency="EUR", close_date="2026-12-01",
                   created_at="2026-11-01T08:00:00Z", closed_at="2026-12-01T20:00:00Z", lead_id="l2")
    db.opportunity("d5", owner_id="rep1", stage="Closed Lost", probability=0, forecast_category="omitted",
                   is_closed=True, amount="500.00", close_date="2026-10-20", created_at="2026-10-02T00:00:00Z",
                   closed_at="2026-10-20T00:00:00Z", referrals=referral("agent2"))
    db.opportunity("d6", owner_id="rep3", stage="Negotiation", probability=70, amount="800.00", currency="GBP",
                   close_date="2026-12-15", created_at="2026-10-03T00:00:00Z", referrals=referral("agent"))
    db.opportunity("d7", owner_id="rep1", stage="Prospecting", probability=10, amount="9999.00",
                   close_date="2027-01-05", created_at="2026-12-01T00:00:00Z")
    db.opportunity("d8", owner_id="rep2", stage="Negotiation", probability=60, forecast_category="best_case",
                   amount=None, close_date="2026-12-20", created_at="2026-08-01T00:00:00Z")
    db.opportunity("d9", owner_id="rep2", stage="Prospecting", probability=10, forecast_category="omitted",
                   amount="50.00", close_date="2026-12-20", created_at="2026-08-01T00:00:00Z",
                   referrals=referral("agent2"))
    for lead_id, owner_id, status, at, conversion in (
        ("l1", "rep1", "new", "2026-10-02T00:00:00Z", None),
        ("l2", "rep2", "converted", "2026-10-15T00:00:00Z",
         {"converted_at": "2026-11-01T08:00:00+00:00", "opportunity_id": "d4"}),
        ("l3", "rep1", "working", "2026-09-30T23:00:00Z", None),
        ("l4", "rep3", "working", "2026-11-05T00:00:00Z", None),
    ):
        db.run(feed.record_lead, lead_snapshot(lead_id, owner_id=owner_id, status=status, conversion=conversion), at)


def stage(name, count, amount, closed=False, won=False):
    return {"stage": name, "is_closed": closed, "is_won": won, "count": count, "amount": amount}


def test_pipeline_per_stage_for_everyone(db, team, deals):
    found = db.run(analytics.pipeline, team["admin"], Q4)
    # In Q4: d1, d2, d3, d4, d5, d6, d8, d9 (d7 closes in January). Negotiation's lowest
    # probability is d8's 60: it still comes after Prospecting's 10. d6 is GBP: no rate.
    assert found == {
        "period": Q4, "user_id": "", "currency": "USD", "period_start": "2026-10-01", "period_end": "2026-12-31",
        "stages": [stage("Prospecting", 2, "1050.00"), stage("Negotiation", 3, "2000.00"),
                   stage("Closed Won", 2, "4100.00", True, True), stage("Closed Lost", 1, "500.00", True)],
        "open_count": 5, "open_amount": "3050.00", "closed_count": 3, "closed_amount": "4600.00",
        "unconverted": [{"currency": "GBP", "count": 1, "amount": "800.00"}],
    }


def test_pipeline_follows_access(db, team, deals):
    mine = db.run(analytics.pipeline, team["rep1"], Q4)
    assert mine["user_id"] == "rep1" and mine["stages"] == [
        stage("Prospecting", 1, "1000.00"), stage("Negotiation", 1, "2000.00"),
        stage("Closed Lost", 1, "500.00", True)]
    team_view = db.run(analytics.pipeline, team["manager"], Q4)
    assert team_view["user_id"] == "manager" and team_view["unconverted"] == []
    assert [(s["stage"], s["count"]) for s in team_view["stages"]] == [
        ("Prospecting", 2), ("Negotiation", 2), ("Closed Won", 2), ("Closed Lost", 1)]
    rep2 = db.run(analytics.pipeline, team["manager"], Q4, "rep2")
    assert rep2["user_id"] == "rep2" and rep2["closed_amount"] == "4100.00" and rep2["open_count"] == 2
    for caller, user_id in (("rep1", "rep2"), ("manager", "rep3"), ("manager", "nobody")):
        with pytest.raises(Failure) as caught:
            db.run(analytics.pipeline, team[caller], Q4, user_id)
        assert caught.value.kind == "not_found"
    for call in (analytics.pipeline, analytics.analytics):
        with pytest.raises(Failure) as caught:
            db.run(call, team["agent"], "not a period")
        assert caught.value.kind == "forbidden"


@pytest.mark.parametrize("period, why", [
    ("", "is required"), (None, "is required"),
    ("2026-Q5", 'must be a fiscal quarter such as "2026-Q4" or a month such as "2026-11"'),
])
def test_a_bad_period_is_named(db, team, period, why):
    with pytest.raises(Failure) as caught:
        db.run(analytics.analytics, team["manager"], period)
    assert caught.value.details["fields"] == {"period": why}


def test_analytics_for_everyone(db, team, deals):
    found = db.run(analytics.analytics, team["admin"], Q4)
    assert found["win_rate"] == {  # won d3 + d4 (1000 EUR = 1100.00 USD), lost d5
        "won_count": 2, "closed_count": 3, "won_amount": "4100.00", "closed_amount": "4600.00",
        "by_count": "0.6667", "by_amount": "0.8913"}  # 4100 / 4600 = 0.89130...
    assert found["average_won_deal"] == {"count": 2, "total": "4100.00", "average": "2050.00"}
    # d3: 5 Oct -> 20 Nov = 46 days; d4: 1 Nov -> 1 Dec = 30 days.
    assert found["sales_cycle"] == {"count": 2, "total_days": 76, "average_days": "38.0"}
    # Leads created in Q4: l1, l2, l4 (l3 on 30 Sep); l2 converted. Opportunities created in
    # Q4: d1, d3, d4, d5, d6, d7; d4 from a lead; d3 and d4 won.
    assert found["funnel"] == {"leads_created": 3, "leads_converted": 1, "opportunities_created": 6,
                               "opportunities_from_leads": 1, "opportunities_won": 2}
    # Referred deals closing in Q4: d2 (agent2, open 2000), d3 (agent, won 3000), d5 (agent2,
    # lost: neither), d6 (agent, open, GBP: counted, no amount), d9 (agent2, omitted: neither).
    assert found["referral_total"] == {"id": "", "name": "", "pipeline_count": 2, "pipeline_amount": "2000.00",
                                       "won_count": 1, "won_amount": "3000.00"}
    assert found["referrals_by_agent"] == [
        {"id": "agent", "name": "Agent", "pipeline_count": 1, "pipeline_amount": "0.00", "won_count": 1,
         "won_amount": "3000.00"},
        {"id": "agent2", "name": "Agent2", "pipeline_count": 1, "pipeline_amount": "2000.00", "won_count": 0,
         "won_amount": "0.00"}]
    assert found["referrals_by_team"] == [  # agent has no manager; agent2's is desk_lead
        {"id": "", "name": "", "pipeline_count": 1, "pipeline_amount": "0.00", "won_count": 1,
         "won_amount": "3000.00"},
        {"id": "desk_lead", "name": "Desk_Lead", "pipeline_count": 1, "pipeline_amount": "2000.00",
         "won_count": 0, "won_amount": "0.00"}]
    assert found["unconverted"] == [{"currency": "GBP", "count": 1, "amount": "800.00"}]


def test_analytics_of_a_team_and_a_rep(db, team, deals):
    managed = db.run(analytics.analytics, team["manager"], Q4)
    assert managed["funnel"] == {"leads_created": 2, "leads_converted": 1, "opportunities_created": 5,
                                 "opportunities_from_leads": 1, "opportunities_won": 2}
    assert [a["id"] for a in managed["referrals_by_agent"]] == ["agent", "agent2"]
    assert managed["referral_total"]["pipeline_count"] == 1 and managed["unconverted"] == []
    rep1 = db.run(analytics.analytics, team["rep1"], Q4)
    assert rep1["win_rate"] == {"won_count": 0, "closed_count": 1, "won_amount": "0.00", "closed_amount": "500.00",
                                "by_count": "0.0000", "by_amount": "0.0000"}
    assert rep1["average_won_deal"] == {"count": 0, "total": "0.00", "average": None}
    assert rep1["sales_cycle"] == {"count": 0, "total_days": 0, "average_days": None}
    month = db.run(analytics.analytics, team["manager"], "2026-11", "rep2")
    assert (month["period_start"], month["period_end"], month["win_rate"]["won_count"]) == (
        "2026-11-01", "2026-11-30", 1)
    assert month["funnel"]["opportunities_created"] == 1  # d4, created 1 Nov
