"""The real forecast consumer: the read model follows sales' opportunity events and
leads' lead events, once each and in any order (a stale snapshot never wins)."""
from datetime import datetime

from tandem_plumbing.envelope import Envelope

from ..conftest import lead_snapshot, opportunity_snapshot


def opportunity_event(event_type, snapshot):
    return Envelope(type=event_type, source="sales", data={"opportunity": snapshot}, correlation_id="req-1")


def lead_event(event_type, snapshot):
    return Envelope(type=event_type, source="leads", data={"lead": snapshot}, correlation_id="req-2")


def test_setup_declares_a_queue_for_every_event_it_follows(forecast_events, publisher):
    for source, event_type in (("sales", "opportunity_created"), ("sales", "opportunity_changed"),
                               ("sales", "opportunity_closed"), ("leads", "lead_created"),
                               ("leads", "lead_assigned"), ("leads", "lead_status_changed")):
        publisher.declare_exchange(source)
        publisher.event(Envelope(type=event_type, source=source, data={}))  # mandatory: unroutable would fail


def test_opportunities_follow_events_once_each_newest_wins(pg_forecast_db, forecast_events, publisher, wait_for):
    db = pg_forecast_db
    forecast_events()
    publisher.declare_exchange("sales")
    created = opportunity_event("opportunity_created", opportunity_snapshot("o1", 1, amount="100.00"))
    newest = opportunity_event("opportunity_closed", opportunity_snapshot(
        "o1", 3, amount="300.00", stage="Closed Won", forecast_category="closed", is_closed=True, is_won=True,
        closed_at="2026-11-10T12:00:00Z"))
    older = opportunity_event("opportunity_changed", opportunity_snapshot("o1", 2, amount="200.00"))

    publisher.event(created)
    wait_for(lambda: db.rows("opportunities"), "the opportunity copied")
    publisher.event(newest)  # v3 then v2: v3 stays
    wait_for(lambda: db.rows("opportunities")[0]["version"] == 3, "v3")
    for event in (older, older, created, newest):  # late, duplicated, replayed
        publisher.event(event)
    wait_for(lambda: db.count("processed_events") == 3, "every distinct event handled once")
    [row] = db.rows("opportunities")
    assert (row["version"], row["amount_minor"], row["is_won"], row["forecast_category"]) == (3, 30000, True, "closed")


def test_leads_follow_events_in_any_order(pg_forecast_db, forecast_events, publisher, wait_for):
    db = pg_forecast_db
    forecast_events()
    publisher.declare_exchange("leads")
    conversion = {"account_id": "a1", "contact_id": "c1", "opportunity_id": "o1",
                  "converted_at": "2026-11-04T09:00:00Z"}
    converted = lead_event("lead_status_changed", lead_snapshot("l1", 3, status="converted", conversion=conversion))
    assigned = lead_event("lead_assigned", lead_snapshot("l1", 2, status="working", owner_id="rep2"))
    created = lead_event("lead_created", lead_snapshot("l1", 1, owner_id=None))

    publisher.event(converted)
    wait_for(lambda: db.rows("leads"), "the lead copied")
    publisher.event(assigned)
    publisher.event(created)
    publisher.event(created)
    wait_for(lambda: db.count("processed_events") == 3, "every distinct event handled once")
    [row] = db.rows("leads")
    assert (row["version"], row["status"], row["owner_id"], row["opportunity_id"]) == (3, "converted", "rep1", "o1")
    assert row["created_at"] == min(datetime.fromisoformat(e.time) for e in (converted, assigned, created))


def test_a_lead_created_with_an_owner_counts_for_that_owner_without_a_lead_assigned(
        pg_forecast_db, forecast_events, publisher, wait_for):
    """The one-event contract: a new lead with an owner publishes only lead_created (with
    `assignment`, and `referral` when a service referral made it); the funnel and the
    leads reports count it for that owner and their managers, and for no one else."""
    from tandem_forecast.use_cases import analytics, reports

    db = pg_forecast_db
    rep, manager, other = (db.user("rep2", "sales_rep", manager_id="manager"), db.user("manager", "sales_manager"),
                           db.user("rep3", "sales_rep"))
    forecast_events()
    publisher.declare_exchange("leads")
    referral = {"referral_id": "ref-1", "case_id": "case-1", "case_number": "C-1", "agent_id": "agent-7",
                "kind": "upsell", "product_interest": "seats"}
    created = Envelope(type="lead_created", source="leads", correlation_id="req-3", data={
        "lead": lead_snapshot("l1", 1, owner_id="rep2", source="service_referral", referrals=[referral]),
        "assignment": {"previous_owner_id": None, "reason": "rules"}, "referral": referral})
    publisher.event(created)
    wait_for(lambda: db.rows("leads"), "the lead copied")
    assert [(r["owner_id"], r["referral_agent_id"]) for r in db.rows("leads")] == [("rep2", "agent-7")]

    month = created.time[:7]  # the lead's created_at is its event's time
    funnel = {who: db.run(analytics.analytics, caller, month)["funnel"]["leads_created"]
              for who, caller in (("rep2", rep), ("manager", manager), ("rep3", other))}
    assert funnel == {"rep2": 1, "manager": 1, "rep3": 0}
    by_owner = {"source": "leads", "group_by": ["owner_id"], "aggregates": [{"fn": "count"}]}
    rows = {who: db.run(reports.run_report, caller, db.run(reports.create_report, caller, "Leads", by_owner)["id"])
            ["rows"] for who, caller in (("rep2", rep), ("manager", manager), ("rep3", other))}
    assert rows == {"rep2": [["rep2", 1]], "manager": [["rep2", 1]], "rep3": []}
