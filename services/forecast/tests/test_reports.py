"""Reports and dashboards over the read model, on PostgreSQL and SQLite: results checked
against hand-computed values (date buckets in the fiscal year, amounts converted exactly),
access (private reports; runs within the caller's scope), bad input writing nothing."""
import pytest
from tandem_plumbing.failures import Failure

from tandem_forecast.use_cases import feed, reports, settings

from .conftest import lead_snapshot


@pytest.fixture
def db(forecast_db):
    return forecast_db


@pytest.fixture
def deals(db, team):
    """Six deals; the fiscal year starts in February; EUR has a rate, GBP none."""
    db.run(settings.put_settings, team["admin"], {"fiscal_year_start_month": 2, "currency": "USD",
                                                  "rates": {"EUR": "1.10"}})
    made = [
        db.opportunity("o1", owner_id="rep1", stage="Prospecting", probability=10, amount="1000.00",
                       close_date="2026-01-31", created_at="2025-12-01T10:00:00Z", account_name="Acme 100%"),
        db.opportunity("o2", owner_id="rep1", stage="Negotiation", probability=70, amount="2500.50",
                       close_date="2026-02-01", forecast_category="commit", created_at="2026-01-15T23:30:00Z"),
        db.opportunity("o3", owner_id="rep2", stage="Negotiation", probability=60, amount="1000.00", currency="EUR",
                       close_date="2026-11-15", created_at="2026-02-01T00:00:00Z"),
        db.opportunity("o4", owner_id="rep2", stage="Closed Won", probability=100, amount="300.00", is_closed=True,
                       is_won=True, forecast_category="closed", close_date="2026-11-20",
                       created_at="2026-03-01T12:00:00Z", closed_at="2026-11-20T08:00:00Z"),
        db.opportunity("o5", owner_id="rep3", stage="Negotiation", probability=70, amount="999.99", currency="GBP",
                       close_date="2026-11-01", created_at="2026-03-02T12:00:00Z"),
        db.opportunity("o6", owner_id="manager", stage="Prospecting", probability=10, amount=None,
                       close_date=None, created_at="2026-04-01T12:00:00Z"),
    ]
    return made


def report(db, caller, definition, name="A report"):
    return db.run(reports.create_report, caller, name, definition)


def run(db, caller, definition):
    return db.run(reports.run_report, caller, report(db, caller, definition)["id"])


def test_group_by_stage_with_every_aggregate(db, team, deals):
    result = run(db, team["admin"], {
        "source": "opportunities", "group_by": ["stage"],
        "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}, {"fn": "avg", "field": "amount"},
                       {"fn": "min", "field": "close_date"}, {"fn": "max", "field": "probability"},
                       {"fn": "avg", "field": "probability"}, {"fn": "count", "field": "amount"}],
        "sort": [{"column": "sum_amount", "direction": "desc"}]})
    assert result["columns"] == [
        {"name": "stage", "type": "string"}, {"name": "count", "type": "integer"},
        {"name": "sum_amount", "type": "money", "currency": "USD"},
        {"name": "avg_amount", "type": "money", "currency": "USD"}, {"name": "min_close_date", "type": "date"},
        {"name": "max_probability", "type": "integer"}, {"name": "avg_probability", "type": "decimal"},
        {"name": "count_amount", "type": "integer"}]
    # Negotiation: 2500.50 + 1000 EUR x 1.10 = 3600.50 over two converted deals; the GBP one
    # counts as a deal but has no amount here (no rate); Prospecting: o6 has no amount.
    assert result["rows"] == [
        ["Negotiation", 3, "3600.50", "1800.25", "2026-02-01", 70, "66.67", 2],
        ["Prospecting", 2, "1000.00", "1000.00", "2026-01-31", 10, "10.00", 1],
        ["Closed Won", 1, "300.00", "300.00", "2026-11-20", 100, "100.00", 1],
    ]
    assert result["unconverted"] == [{"currency": "GBP", "count": 1, "amount": "999.99"}]
    assert (result["currency"], result["truncated"]) == ("USD", False)


def test_fiscal_quarter_month_and_year_buckets(db, team, deals):
    quarters = run(db, team["admin"], {"source": "opportunities",
                                       "group_by": [{"field": "close_date", "bucket": "quarter"}],
                                       "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}]})
    # Start month 2: 31 Jan 2026 ends FY2026; 1 Feb 2026 starts FY2027; November is its Q4.
    assert quarters["rows"] == [["2026-Q4", 1, "1000.00"], ["2027-Q1", 1, "2500.50"], ["2027-Q4", 3, "1400.00"],
                                [None, 1, None]]
    months = run(db, team["admin"], {"source": "opportunities",
                                     "group_by": [{"field": "created_at", "bucket": "month"}, "owner_id"],
                                     "aggregates": [{"fn": "count"}], "filters": [
                                         {"field": "created_at", "op": "lt", "value": "2026-03-02"}]})
    assert months["columns"][0] == {"name": "created_at_month", "type": "period"}
    # 23:30 UTC on 15 Jan stays in January whatever the database's time zone.
    assert months["rows"] == [["2025-12", "rep1", 1], ["2026-01", "rep1", 1], ["2026-02", "rep2", 1],
                              ["2026-03", "rep2", 1]]
    years = run(db, team["admin"], {"source": "opportunities", "group_by": [{"field": "closed_at", "bucket": "year"}],
                                    "aggregates": [{"fn": "count"}], "sort": [{"column": "count"}]})
    assert years["rows"] == [["FY2027", 1], [None, 5]]


@pytest.mark.parametrize("condition, ids", [
    ({"field": "amount", "op": "gt", "value": "1000"}, ["o2", "o3"]),  # o3: 1100.00 USD
    ({"field": "amount", "op": "gte", "value": "1000"}, ["o1", "o2", "o3"]),
    ({"field": "amount", "op": "between", "value": ["300", "1100"]}, ["o1", "o3", "o4"]),
    ({"field": "amount", "op": "lt", "value": "300.001"}, ["o4"]),
    ({"field": "amount", "op": "eq", "value": "1100"}, ["o3"]),
    ({"field": "amount", "op": "eq", "value": "1100.005"}, []),
    ({"field": "stage", "op": "in", "value": ["Closed Won", "Prospecting"]}, ["o1", "o4", "o6"]),
    ({"field": "stage", "op": "ne", "value": "Negotiation"}, ["o1", "o4", "o6"]),
    ({"field": "account_name", "op": "contains", "value": "ME 100%"}, ["o1"]),
    ({"field": "account_name", "op": "contains", "value": "e_1"}, []),  # _ is a character, not a wildcard
    ({"field": "close_date", "op": "eq", "value": None}, ["o6"]),
    ({"field": "close_date", "op": "ne", "value": "2026-11-15"}, ["o1", "o2", "o4", "o5", "o6"]),
    ({"field": "close_date", "op": "between", "value": ["2026-02-01", "2026-11-15"]}, ["o2", "o3", "o5"]),
    ({"field": "created_at", "op": "gte", "value": "2026-02-01T01:00:00+01:00"}, ["o3", "o4", "o5", "o6"]),
    ({"field": "is_won", "op": "eq", "value": True}, ["o4"]),
    ({"field": "probability", "op": "in", "value": [60, 100]}, ["o3", "o4"]),
    ({"field": "closed_at", "op": "between", "value": ["2026-11-20", "2026-11-21"]}, ["o4"]),
])
def test_filters(db, team, deals, condition, ids):
    result = run(db, team["admin"], {"source": "opportunities", "filters": [condition], "group_by": ["id"],
                                     "aggregates": [{"fn": "count"}]})
    assert [row[0] for row in result["rows"]] == ids


def test_a_run_covers_what_the_caller_sees(db, team, deals):
    definition = {"source": "opportunities", "group_by": ["owner_id"], "aggregates": [{"fn": "count"}]}
    assert run(db, team["rep1"], definition)["rows"] == [["rep1", 2]]
    assert run(db, team["manager"], definition)["rows"] == [["manager", 1], ["rep1", 2], ["rep2", 2]]
    assert run(db, team["admin"], definition)["rows"] == [["manager", 1], ["rep1", 2], ["rep2", 2], ["rep3", 1]]
    # The GBP deal is rep3's: only a caller who sees it hears of it.
    assert run(db, team["manager"], {**definition, "aggregates": [{"fn": "sum", "field": "amount"}]})[
        "unconverted"] == []


def test_leads_source(db, team):
    def lead(lead_id, status, at, conversion=None, owner_id="rep1"):
        db.run(feed.record_lead, lead_snapshot(lead_id, status=status, owner_id=owner_id, conversion=conversion), at)

    lead("l1", "new", "2026-10-02T10:00:00Z")
    lead("l2", "converted", "2026-10-03T10:00:00Z",
         {"converted_at": "2026-10-20T10:00:00+00:00", "opportunity_id": "o1"})
    lead("l3", "working", "2026-11-03T10:00:00Z", owner_id="rep2")
    result = run(db, team["rep1"], {"source": "leads", "group_by": [{"field": "created_at", "bucket": "month"}],
                                    "aggregates": [{"fn": "count"}, {"fn": "count", "field": "converted_at"},
                                                   {"fn": "max", "field": "converted_at"}]})
    assert result["rows"] == [["2026-10", 2, 1, "2026-10-20T10:00:00Z"]]
    assert result["unconverted"] == []


def test_limit_sort_and_truncation(db, team, deals):
    result = run(db, team["admin"], {"source": "opportunities", "group_by": ["id"],
                                     "aggregates": [{"fn": "max", "field": "probability"}],
                                     "sort": [{"column": "max_probability", "direction": "desc"}], "limit": 2})
    assert result["rows"] == [["o4", 100], ["o2", 70]] and result["truncated"] is True


def test_reports_are_private_and_versioned(db, team, deals):
    mine = report(db, team["rep1"], {"source": "leads", "aggregates": [{"fn": "count"}]}, name="Mine")
    assert (mine["owner_id"], mine["version"], mine["name"]) == ("rep1", 1, "Mine")
    assert mine["definition"] == {"source": "leads", "filters": [], "group_by": [],
                                  "aggregates": [{"fn": "count"}], "sort": [], "limit": 1000}
    for other in ("rep2", "manager"):
        with pytest.raises(Failure) as caught:
            db.run(reports.get_report, team[other], mine["id"])
        assert caught.value.kind == "not_found"
        with pytest.raises(Failure):
            db.run(reports.run_report, team[other], mine["id"])
    assert db.run(reports.get_report, team["admin"], mine["id"])["id"] == mine["id"]
    theirs = report(db, team["rep2"], {"source": "leads", "aggregates": [{"fn": "count"}]})
    assert [r["id"] for r in db.run(reports.list_reports, team["rep1"])[0]] == [mine["id"]]
    assert [r["id"] for r in db.run(reports.list_reports, team["admin"])[0]] == [mine["id"], theirs["id"]]
    first, token = db.run(reports.list_reports, team["admin"], page_size=1)
    assert [r["id"] for r in first] == [mine["id"]] and token
    assert [r["id"] for r in db.run(reports.list_reports, team["admin"], page_size=1, page_token=token)[0]] == [
        theirs["id"]]
    for garbage in ("a", "_w", "ªÛF"):  # not base64; not UTF-8 inside; not even ASCII (was a 500)
        with pytest.raises(Failure) as caught:
            db.run(reports.list_dashboards, team["admin"], page_token=garbage)
        assert caught.value.details["fields"] == {"page_token": "is not a token this API returned"}

    changed = db.run(reports.update_report, team["rep1"], mine["id"], name="Mine by status",
                     changes={"group_by": ["status"]}, expected_version=1)
    assert (changed["version"], changed["name"], changed["definition"]["group_by"]) == (2, "Mine by status",
                                                                                          ["status"])
    with pytest.raises(Failure) as caught:
        db.run(reports.update_report, team["rep1"], mine["id"], changes={"limit": 5}, expected_version=1)
    assert (caught.value.kind, caught.value.details) == ("stale", {"current_version": 2})
    with pytest.raises(Failure) as caught:
        db.run(reports.update_report, team["rep1"], mine["id"], changes={"group_by": [{"field": "created_at"}]})
    assert caught.value.details["fields"] == {
        "group_by[0]": "created_at is a time: group it by a bucket (month, quarter, year)"}
    assert db.run(reports.update_report, team["rep1"], mine["id"], changes={"limit": 5}, validate_only=True) is None
    assert db.run(reports.get_report, team["rep1"], mine["id"])["version"] == 2

    db.run(reports.delete_report, team["rep1"], mine["id"], expected_version=2)
    with pytest.raises(Failure):
        db.run(reports.get_report, team["rep1"], mine["id"])


def test_bad_input_writes_nothing_and_agents_are_refused(db, team):
    before = db.count("reports")
    with pytest.raises(Failure) as caught:
        report(db, team["rep1"], {"source": "opportunities", "aggregates": [{"fn": "sum", "field": "stage"}],
                                  "group_by": [{"field": "close_date", "bucket": "week"}]}, name=" ")
    assert caught.value.details["fields"] == {
        "name": "must be a non-empty string of at most 200 characters",
        "group_by[0].bucket": "must be one of month, quarter, year",
        "aggregates[0].field": "sum needs a field of type integer or money; stage is a string"}
    assert db.run(reports.create_report, team["rep1"], "Fine", {"source": "leads", "aggregates": [{"fn": "count"}]},
                  validate_only=True) is None
    assert db.count("reports") == before
    for call, args in ((reports.create_report, ("x", {"source": "leads", "aggregates": [{"fn": "count"}]})),
                       (reports.list_reports, ()), (reports.list_dashboards, ()),
                       (reports.create_dashboard, ("x", []))):
        with pytest.raises(Failure) as caught:
            db.run(call, team["agent"], *args)
        assert caught.value.kind == "forbidden"
    assert db.count("reports") == before


def test_dashboards(db, team, deals):
    by_stage = report(db, team["rep1"], {"source": "opportunities", "group_by": ["stage"],
                                         "aggregates": [{"fn": "count"}]}, name="By stage")
    total = report(db, team["rep1"], {"source": "opportunities", "aggregates": [{"fn": "sum", "field": "amount"}]},
                   name="Total")
    theirs = report(db, team["rep2"], {"source": "leads", "aggregates": [{"fn": "count"}]})
    with pytest.raises(Failure) as caught:
        db.run(reports.create_dashboard, team["rep1"], "", [by_stage["id"], theirs["id"], by_stage["id"], "nope"])
    assert caught.value.details["fields"] == {
        "name": "must be a non-empty string of at most 200 characters", "reports[1]": f"no report {theirs['id']}",
        "reports[2]": "is already on the dashboard", "reports[3]": "no report nope"}
    assert db.count("dashboards") == 0
    board = db.run(reports.create_dashboard, team["rep1"], "My week", [total["id"], by_stage["id"]])
    assert (board["definition"], board["version"]) == ({"reports": [total["id"], by_stage["id"]]}, 1)
    shown, results = db.run(reports.run_dashboard, team["rep1"], board["id"])
    assert [(r["name"], result["rows"]) for r, result in results] == [
        ("Total", [["3500.50"]]), ("By stage", [["Negotiation", 1], ["Prospecting", 1]])]
    with pytest.raises(Failure) as caught:
        db.run(reports.run_dashboard, team["rep2"], board["id"])
    assert caught.value.kind == "not_found"

    renamed = db.run(reports.update_dashboard, team["rep1"], board["id"], name="Mine", expected_version=1)
    assert (renamed["name"], renamed["version"], renamed["definition"]["reports"]) == (
        "Mine", 2, [total["id"], by_stage["id"]])
    db.run(reports.delete_report, team["rep1"], total["id"])
    assert [r["name"] for r, _ in db.run(reports.run_dashboard, team["rep1"], board["id"])[1]] == ["By stage"]
    db.run(reports.update_dashboard, team["rep1"], board["id"], report_ids=[])
    assert db.run(reports.run_dashboard, team["rep1"], board["id"])[1] == []
    db.run(reports.delete_dashboard, team["rep1"], board["id"])
    assert db.count("dashboards") == 0
