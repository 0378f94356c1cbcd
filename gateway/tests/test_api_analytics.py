"""/api/v1/pipeline, /api/v1/analytics, /api/v1/reports and /api/v1/dashboards through the
Flask app, against a real forecast gRPC server on its own PostgreSQL database: figures,
report definitions checked (400 naming each bad part, nothing written), reports private
to their owner, runs as JSON and CSV. Users are created through the API and copied into
the forecast directory as its consumer would; opportunities are put in its read model as
their events do."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tandem_plumbing.db import session_factory, transaction

from tandem_forecast.adapters import models
from tandem_forecast.use_cases import feed

OPEN = {"stage": "Prospecting", "probability": 10, "forecast_category": "pipeline", "is_closed": False,
        "is_won": False, "closed_at": None}
BY_STAGE = {"name": "By stage", "source": "opportunities", "group_by": ["stage"],
            "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}],
            "sort": [{"column": "sum_amount", "direction": "desc"}]}
WON = {"stage": "Closed Won", "probability": 100, "forecast_category": "closed", "is_closed": True, "is_won": True,
       "closed_at": "2026-11-21T00:00:00Z"}


@pytest.fixture
def services(run_service) -> dict:
    return {"forecast": run_service("tandem_forecast", models.users)}


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url  # the gateway's own database: PostgreSQL only here (its own tests cover SQLite)


@pytest.fixture
def put_deal(services):
    """put_deal(id, owner_id, amount, state, **fields): an opportunity in the forecast read model."""
    sessions = session_factory(services["forecast"].engine)

    def put(opportunity_id: str, owner_id: str, amount: str | None, state: dict, **fields) -> None:
        snapshot = {"id": opportunity_id, "version": 1, "name": opportunity_id, "account_id": "acc",
                    "account_name": "Acme", "owner_id": owner_id, "amount": amount, "currency": "USD",
                    "close_date": "2026-11-20", "lead_id": None, "referrals": [],
                    "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z", **state, **fields}
        with transaction(sessions) as session:
            feed.record_opportunity(session, snapshot)

    return put


@pytest.fixture
def deals(team, put_deal):
    rep1, rep2, agent = (team[name][0]["id"] for name in ("rep1", "rep2", "agent"))
    put_deal("o1", rep1, "1000.00", OPEN)
    put_deal("o2", rep1, "250.25", WON, referrals=[{"referral_id": "r1", "case_id": "c1", "agent_id": agent}])
    put_deal("o3", rep2, "99.99", WON, created_at="2026-11-11T00:00:00Z")
    put_deal("o4", team["rep3"][0]["id"], "5.00", OPEN)
    return team


def test_pipeline_per_stage(client, deals):
    response = client.get("/api/v1/pipeline?period=2026-Q4", headers=deals["manager"][1])
    assert response.status_code == 200, response.json
    assert response.json == {
        "period": "2026-Q4", "user_id": deals["manager"][0]["id"], "currency": "USD", "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "stages": [{"stage": "Prospecting", "is_closed": False, "is_won": False, "count": 1, "amount": "1000.00"},
                   {"stage": "Closed Won", "is_closed": True, "is_won": True, "count": 2, "amount": "350.24"}],
        "open_count": 1, "open_amount": "1000.00", "closed_count": 2, "closed_amount": "350.24", "unconverted": []}
    everyone = client.get("/api/v1/pipeline?period=2026-11", headers=deals["admin"][1]).json
    assert everyone["user_id"] is None and everyone["open_amount"] == "1005.00"
    rep2 = client.get(f"/api/v1/pipeline?period=2026-Q4&user_id={deals['rep2'][0]['id']}",
                      headers=deals["manager"][1]).json
    assert rep2["closed_amount"] == "99.99" and rep2["open_count"] == 0


def test_analytics_figures(client, deals):
    response = client.get("/api/v1/analytics?period=2026-Q4", headers=deals["manager"][1])
    assert response.status_code == 200, response.json
    found = response.json
    assert found["win_rate"] == {"won_count": 2, "closed_count": 2, "won_amount": "350.24",
                                 "closed_amount": "350.24", "by_count": "1.0000", "by_amount": "1.0000"}
    assert found["average_won_deal"] == {"count": 2, "total": "350.24", "average": "175.12"}
    assert found["sales_cycle"] == {"count": 2, "total_days": 30, "average_days": "15.0"}  # 20 + 10 days
    assert found["funnel"] == {"leads_created": 0, "leads_converted": 0, "opportunities_created": 3,
                               "opportunities_from_leads": 0, "opportunities_won": 2}
    agent = deals["agent"][0]
    assert found["referrals_by_agent"] == [{"id": agent["id"], "name": agent["name"], "pipeline_count": 0,
                                            "pipeline_amount": "0.00", "won_count": 1, "won_amount": "250.25"}]
    assert found["referrals_by_team"] == [{"id": "", "name": "", "pipeline_count": 0, "pipeline_amount": "0.00",
                                           "won_count": 1, "won_amount": "250.25"}]
    rep1 = client.get("/api/v1/analytics?period=2026-12", headers=deals["rep1"][1]).json
    assert rep1["win_rate"]["by_count"] is None and rep1["average_won_deal"]["average"] is None


def test_refusals(client, deals):
    agent = client.get("/api/v1/pipeline?period=2026-Q4", headers=deals["agent"][1])
    assert agent.status_code == 403
    for path in ("/api/v1/pipeline", "/api/v1/analytics"):
        bad = client.get(f"{path}?period=2026-Q9&colour=red&page_size=3", headers=deals["rep1"][1])
        assert bad.status_code == 400
        assert bad.json["error"]["details"]["fields"] == {
            "colour": "unknown query parameter", "page_size": "unknown query parameter"}
        bad = client.get(f"{path}?period=2026-Q9", headers=deals["rep1"][1])
        assert bad.json["error"]["details"]["fields"] == {
            "period": 'must be a fiscal quarter such as "2026-Q4" or a month such as "2026-11"'}
        hidden = client.get(f"{path}?period=2026-Q4&user_id={deals['rep2'][0]['id']}", headers=deals["rep1"][1])
        assert hidden.status_code == 404
    assert client.get("/api/v1/analytics?period=2026-Q4").status_code == 401


def test_forecast_down_is_503(client, deals, services):
    services["forecast"].server.stop(0)
    response = client.get("/api/v1/pipeline?period=2026-Q4", headers=deals["manager"][1])
    assert response.status_code == 503 and response.json["error"]["details"] == {"service": "forecast"}


@pytest.fixture
def saved(services):
    """saved() -> (reports, dashboards) rows in the forecast database."""
    def count() -> tuple[int, int]:
        with services["forecast"].engine.connect() as conn:
            return tuple(conn.execute(select(func.count()).select_from(models.metadata.tables[name])).scalar_one()
                         for name in ("reports", "dashboards"))
    return count


@pytest.fixture
def people(team, put_deal):
    """The team, and four open deals: three of rep1's, one of rep2's."""
    for opportunity_id, owner, stage, amount in (("o1", "rep1", "Prospecting", "10.50"),
                                                 ("o2", "rep1", "Negotiation", "200.00"),
                                                 ("o3", "rep1", "Negotiation", None),
                                                 ("o4", "rep2", "Prospecting", "7.00")):
        put_deal(opportunity_id, team[owner][0]["id"], amount, {**OPEN, "stage": stage},
                 name=f'Deal, "{opportunity_id}"')
    return team


def test_create_run_as_json_and_csv(client, people):
    auth = people["rep1"][1]
    made = client.post("/api/v1/reports", json=BY_STAGE, headers={**auth, "Idempotency-Key": "k1"})
    assert made.status_code == 201, made.json
    report = made.json
    assert made.headers["ETag"] == '"1"' and made.headers["Location"] == f"/api/v1/reports/{report['id']}"
    assert list(report) == ["id", "name", "owner_id", "source", "filters", "group_by", "aggregates", "sort", "limit",
                            "version", "created_at", "updated_at"]
    assert (report["owner_id"], report["limit"], report["filters"]) == (people["rep1"][0]["id"], 1000, [])
    again = client.post("/api/v1/reports", json=BY_STAGE, headers={**auth, "Idempotency-Key": "k1"})
    assert again.json == report and again.headers["Idempotent-Replayed"] == "true"

    ran = client.get(f"/api/v1/reports/{report['id']}/run", headers=auth)
    assert ran.status_code == 200 and ran.json == {
        "columns": [{"name": "stage", "type": "string"}, {"name": "count", "type": "integer"},
                    {"name": "sum_amount", "type": "money", "currency": "USD"}],
        "rows": [["Negotiation", 2, "200.00"], ["Prospecting", 1, "10.50"]],
        "currency": "USD", "unconverted": [], "truncated": False}
    as_csv = client.get(f"/api/v1/reports/{report['id']}/run", headers={**auth, "Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    assert as_csv.get_data(as_text=True) == "stage,count,sum_amount\r\nNegotiation,2,200.00\r\nProspecting,1,10.50\r\n"
    assert as_csv.headers["Content-Disposition"] == f'attachment; filename="{report["id"]}.csv"'
    assert client.get(f"/api/v1/reports/{report['id']}/run?format=csv", headers=auth).get_data() == as_csv.get_data()
    assert client.get(f"/api/v1/reports/{report['id']}/run?format=json",
                      headers={**auth, "Accept": "text/csv"}).json == ran.json
    by_name = client.post("/api/v1/reports", json={"name": "Names", "source": "opportunities", "group_by": ["name"],
                                                   "aggregates": [{"fn": "sum", "field": "amount"}]}, headers=auth)
    csv_text = client.get(f"/api/v1/reports/{by_name.json['id']}/run?format=csv", headers=auth).get_data(as_text=True)
    assert csv_text.splitlines() == ["name,sum_amount", '"Deal, ""o1""",10.50', '"Deal, ""o2""",200.00',
                                     '"Deal, ""o3""",']  # quoted; no amount: empty
    bad = client.get(f"/api/v1/reports/{report['id']}/run?format=xml", headers=auth)
    assert bad.status_code == 400 and bad.json["error"]["details"]["fields"] == {"format": "must be json or csv"}


def test_bad_definitions_name_each_part_and_write_nothing(client, people, saved):
    auth = people["rep1"][1]
    response = client.post("/api/v1/reports", json={
        "name": 7, "source": "opportunities", "id": "mine", "colour": "red",
        "filters": [{"field": "amount", "op": "gt", "value": 10.5}],
        "group_by": ["stage", {"field": "close_date", "bucket": "week"}],
        "aggregates": [{"fn": "median", "field": "amount"}]}, headers=auth)
    assert response.status_code == 400
    assert response.json["error"]["details"]["fields"] == {
        "name": "must be a string", "id": "is set by the server", "colour": "unknown field",
        "filters[0].value": 'must be a decimal string such as "1234.50" (never a float)',
        "group_by[1].bucket": "must be one of month, quarter, year",
        "aggregates[0].fn": "must be one of count, sum, avg, min, max"}
    missing = client.post("/api/v1/reports", json={"name": "x"}, headers=auth)
    assert missing.json["error"]["details"]["fields"] == {"source": "is required"}
    assert saved() == (0, 0)


def test_patch_get_list_delete_and_privacy(client, people, saved):
    auth = people["rep1"][1]
    report = client.post("/api/v1/reports", json=BY_STAGE, headers=auth).json
    path = f"/api/v1/reports/{report['id']}"
    changed = client.patch(path, json={"name": "Open by stage", "filters": [
        {"field": "is_closed", "op": "eq", "value": False}]}, headers={**auth, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.json
    assert (changed.json["name"], changed.json["version"], changed.json["group_by"]) == ("Open by stage", 2, ["stage"])
    assert changed.headers["ETag"] == '"2"'
    stale = client.patch(path, json={"limit": 5}, headers={**auth, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
    bad = client.patch(path, json={"group_by": [{"field": "stage", "bucket": "month"}], "owner_id": "x"},
                       headers=auth)
    assert bad.status_code == 400 and bad.json["error"]["details"]["fields"] == {
        "group_by[0].bucket": "only dates and times have buckets; stage is a string",
        "owner_id": "is set by the server"}
    assert client.get(path, headers=auth).json == changed.json

    for other in ("rep2", "manager"):
        for method in ("get", "patch", "delete"):
            assert getattr(client, method)(path, headers=people[other][1], json={}).status_code == 404
        assert client.get(f"{path}/run", headers=people[other][1]).status_code == 404
    assert client.get(path, headers=people["admin"][1]).status_code == 200
    assert client.get("/api/v1/reports", headers=people["rep2"][1]).json == {"items": [], "next_page_token": None}
    listed = client.get("/api/v1/reports?page_size=1", headers=auth).json
    assert [r["id"] for r in listed["items"]] == [report["id"]] and listed["next_page_token"] is None
    for method, target in (("get", "/api/v1/reports"), ("post", "/api/v1/reports"), ("get", path),
                           ("get", "/api/v1/dashboards"), ("get", "/api/v1/pipeline?period=2026-Q4")):
        assert getattr(client, method)(target, headers=people["agent"][1], json=BY_STAGE).status_code == 403

    assert client.delete(path, headers={**auth, "If-Match": '"1"'}).status_code == 412
    assert client.delete(path, headers=auth).status_code == 204
    assert client.get(path, headers=auth).status_code == 404 and saved() == (0, 0)


def test_dashboards(client, people, saved):
    auth = people["rep1"][1]
    report = client.post("/api/v1/reports", json=BY_STAGE, headers=auth).json
    theirs = client.post("/api/v1/reports", json=BY_STAGE, headers=people["rep2"][1]).json
    bad = client.post("/api/v1/dashboards", json={"name": "", "reports": [report["id"], theirs["id"]]}, headers=auth)
    assert bad.status_code == 400 and bad.json["error"]["details"]["fields"] == {
        "name": "must be a non-empty string of at most 200 characters", "reports[1]": f"no report {theirs['id']}"}
    shape = client.post("/api/v1/dashboards", json={"name": "x", "reports": "all", "layout": {}}, headers=auth)
    assert shape.json["error"]["details"]["fields"] == {"reports": "must be a list of report ids",
                                                        "layout": "unknown field"}
    assert saved() == (2, 0)

    made = client.post("/api/v1/dashboards", json={"name": "Week", "reports": [report["id"]]}, headers=auth)
    assert made.status_code == 201 and made.headers["Location"] == f"/api/v1/dashboards/{made.json['id']}"
    board = made.json
    assert (board["reports"], board["version"], board["owner_id"]) == ([report["id"]], 1, people["rep1"][0]["id"])
    ran = client.get(f"/api/v1/dashboards/{board['id']}/run", headers=auth)
    assert ran.status_code == 200
    assert ran.json["dashboard"] == board and [r["report"]["id"] for r in ran.json["reports"]] == [report["id"]]
    assert ran.json["reports"][0]["result"]["rows"] == [["Negotiation", 2, "200.00"], ["Prospecting", 1, "10.50"]]
    assert client.get(f"/api/v1/dashboards/{board['id']}/run", headers=people["rep2"][1]).status_code == 404

    renamed = client.patch(f"/api/v1/dashboards/{board['id']}", json={"name": "Month"},
                           headers={**auth, "If-Match": '"1"'})
    assert (renamed.json["name"], renamed.json["reports"], renamed.json["version"]) == ("Month", [report["id"]], 2)
    emptied = client.patch(f"/api/v1/dashboards/{board['id']}", json={"reports": []}, headers=auth)
    assert emptied.json["reports"] == [] and emptied.headers["ETag"] == '"3"'
    assert client.get(f"/api/v1/dashboards/{board['id']}", headers=auth).json == emptied.json
    assert [d["id"] for d in client.get("/api/v1/dashboards", headers=auth).json["items"]] == [board["id"]]
    assert client.delete(f"/api/v1/dashboards/{board['id']}", headers=auth).status_code == 204
    assert saved() == (2, 0)
