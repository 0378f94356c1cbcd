"""/api/v1/forecasts, /quotas and /forecast-settings through the Flask app, against a real
forecast gRPC server on its own PostgreSQL database. Users are created through the API
and copied into the forecast directory as its consumer would; opportunities are put in
its read model as their events do."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select
from tandem_plumbing.db import session_factory, transaction

from tandem_forecast.adapters import models
from tandem_forecast.use_cases import feed

Q4 = "2026-Q4"
_ids = itertools.count(1)


@pytest.fixture
def services(run_service) -> dict:
    return {"forecast": run_service("tandem_forecast", models.users)}


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url  # the gateway's own database: PostgreSQL only here (its own tests cover SQLite)


@pytest.fixture
def deal(services):
    """deal(owner_id, category, amount, **fields): an opportunity in the forecast read model."""
    sessions = session_factory(services["forecast"].engine)

    def put(owner_id: str, category: str, amount: str | None, **fields) -> str:
        opportunity_id = f"opp-{next(_ids)}"
        snapshot = {
            "id": opportunity_id, "version": 1, "name": f"Deal {opportunity_id}", "account_id": "acc-1",
            "account_name": "Acme", "owner_id": owner_id, "amount": amount, "currency": "USD",
            "close_date": "2026-11-15", "stage": "Negotiation", "probability": 60, "forecast_category": category,
            "forecast_category_overridden": False, "is_closed": category == "closed", "is_won": category == "closed",
            "lead_id": None, "primary_contact_id": None, "loss_reason": None, "referrals": [], "line_item_count": 0,
            "created_at": "2026-10-01T09:00:00Z", "updated_at": "2026-10-01T09:00:00Z", "closed_at": None, **fields,
        }
        with transaction(sessions) as session:
            feed.record_opportunity(session, snapshot)
        return opportunity_id

    return put


@pytest.fixture
def forecast_rows(services):
    def rows() -> dict[str, int]:
        with services["forecast"].engine.connect() as conn:
            return {name: conn.execute(select(func.count()).select_from(models.metadata.tables[name])).scalar_one()
                    for name in ("adjustments", "quotas", "forecast_settings")}

    return rows


def fields_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_failed"
    return response.json["error"]["details"]["fields"]


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.json
    return response.json


def test_a_manager_sees_the_team_adjusts_a_report_and_both_figures_show(client, team, deal):
    manager, rep1, rep2 = (team[name][0]["id"] for name in ("manager", "rep1", "rep2"))
    deal(rep1, "closed", "100.00")
    deal(rep1, "commit", "50.00")
    deal(rep2, "best_case", "20.00")
    deal(rep2, "omitted", "999.00")
    auth = team["manager"][1]
    ok(client.put(f"/api/v1/quotas/{rep1}/{Q4}", json={"amount": "400.00"}, headers=auth))
    made = ok(client.post("/api/v1/forecasts/adjustments", headers=auth, json={
        "user_id": rep1, "period": Q4, "category": "commit", "amount": "300.00", "reason": "renewal is certain"}), 201)
    assert (made["amount"], made["previous_amount"], made["author_id"], made["currency"]) == (
        "300.00", "150.00", manager, "USD")

    top = ok(client.get(f"/api/v1/forecasts?period={Q4}", headers=auth))
    assert (top["user_id"], top["period"], top["currency"], top["quota"], top["attainment"]) == (
        manager, Q4, "USD", None, None)
    assert {n: top[n] for n in ("closed", "commit", "best_case", "open_pipeline")} == {
        "closed": "100.00", "commit": "300.00", "best_case": "170.00", "open_pipeline": "70.00"}  # each number alone
    assert top["unadjusted"] == {"closed": "100.00", "commit": "150.00", "best_case": "170.00",
                                 "open_pipeline": "70.00"}
    children = {child["user_id"]: child for child in top["children"]}  # ordered by user id
    first, second = children[rep1], children[rep2]
    assert len(children) == 2
    assert (first["user_id"], first["quota"], first["attainment"], first["commit"]) == (rep1, "400.00", "25.00",
                                                                                       "300.00")
    assert first["adjustments"]["commit"]["reason"] == "renewal is certain" and first["children"] == []
    assert (second["user_id"], second["best_case"], second["adjustments"]) == (rep2, "20.00", {})

    deals = ok(client.get(f"/api/v1/forecasts/opportunities?period={Q4}&category=commit", headers=auth))
    assert sorted((d["owner_id"], d["forecast_category"], d["amount"]) for d in deals["items"]) == [
        (rep1, "closed", "100.00"), (rep1, "commit", "50.00")]
    assert deals["currency"] == "USD" and deals["next_page_token"] is None
    assert deals["items"][0]["close_date"] == "2026-11-15" and deals["items"][0]["stage"] == "Negotiation"

    history = ok(client.get(f"/api/v1/forecasts/adjustments?user_id={rep1}&period={Q4}", headers=team["rep1"][1]))
    assert [h["reason"] for h in history["items"]] == ["renewal is certain"]
    removed = ok(client.post("/api/v1/forecasts/adjustments", headers=auth, json={
        "user_id": rep1, "period": Q4, "category": "commit", "amount": None, "reason": "slipped"}), 201)
    assert (removed["amount"], removed["previous_amount"]) == (None, "300.00")
    assert ok(client.get(f"/api/v1/forecasts?period={Q4}", headers=auth))["commit"] == "150.00"


def test_a_rep_moved_under_another_manager_takes_their_numbers_along(client, team, deal, make_user, services,
                                                                     admin_auth):
    rep1 = team["rep1"][0]["id"]
    deal(rep1, "commit", "50.00")
    other, _ = make_user("sales_manager")
    moved = client.patch(f"/api/v1/users/{rep1}", json={"manager_id": other["id"]},
                         headers={**admin_auth, "If-Match": f'"{team["rep1"][0]["version"]}"'})
    assert moved.status_code == 200, moved.json
    services["forecast"].sync_users()
    assert ok(client.get(f"/api/v1/forecasts?period={Q4}", headers=team["manager"][1]))["commit"] == "0.00"
    theirs = ok(client.get(f"/api/v1/forecasts?period={Q4}&user_id={other['id']}", headers=admin_auth))
    assert theirs["commit"] == "50.00" and [c["user_id"] for c in theirs["children"]] == [rep1]
    assert client.get(f"/api/v1/forecasts?period={Q4}&user_id={rep1}", headers=team["manager"][1]).status_code == 404


def test_access(client, team):
    rep1, rep3 = team["rep1"][0]["id"], team["rep3"][0]["id"]
    agent = team["agent"][1]
    for path in (f"/api/v1/forecasts?period={Q4}", f"/api/v1/forecasts/opportunities?period={Q4}",
                 f"/api/v1/quotas?period={Q4}", "/api/v1/forecast-settings"):
        assert client.get(path, headers=agent).status_code == 403, path
    assert client.get(f"/api/v1/forecasts?period={Q4}&user_id={rep3}", headers=team["manager"][1]).status_code == 404
    assert client.get(f"/api/v1/forecasts?period={Q4}&user_id={rep1}", headers=team["rep2"][1]).status_code == 404
    assert ok(client.get(f"/api/v1/forecasts?period={Q4}", headers=team["rep1"][1]))["user_id"] == rep1
    adjust = {"user_id": rep1, "period": Q4, "category": "commit", "amount": "1.00", "reason": "r"}
    assert client.post("/api/v1/forecasts/adjustments", json=adjust, headers=team["rep1"][1]).status_code == 403
    assert client.put(f"/api/v1/quotas/{rep1}/{Q4}", json={"amount": "1"}, headers=team["rep1"][1]).status_code == 403
    assert client.put(f"/api/v1/quotas/{rep3}/{Q4}", json={"amount": "1"},
                      headers=team["manager"][1]).status_code == 404
    assert client.put("/api/v1/forecast-settings", json={}, headers=team["manager"][1]).status_code == 403


def test_bad_input_names_every_field_and_writes_nothing(client, team, forecast_rows):
    auth = team["manager"][1]
    rep1 = team["rep1"][0]["id"]
    assert fields_of(client.post("/api/v1/forecasts/adjustments", headers=auth, json={
        "user_id": rep1, "period": "2026-Q5", "category": "won", "amount": 12.5, "reason": "", "x": 1})) == {
        "period": 'must be a fiscal quarter such as "2026-Q4" or a month such as "2026-11"',
        "category": "must be one of closed, commit, best_case, open_pipeline",
        "amount": 'must be a decimal string such as "1234.50", never a number',
        "reason": "is required: say why the number is changed", "x": "unknown field"}
    assert set(fields_of(client.post("/api/v1/forecasts/adjustments", headers=auth, json={
        "user_id": rep1, "period": Q4, "category": "commit", "reason": "r"}))) == {"amount"}
    assert set(fields_of(client.post("/api/v1/forecasts/adjustments", headers=auth, json={
        "user_id": rep1, "period": Q4, "category": "commit", "amount": "-5", "reason": "r"}))) == {"amount"}
    assert set(fields_of(client.put(f"/api/v1/quotas/{rep1}/2026-13", json={"amount": 100}, headers=auth))) == {
        "period", "amount"}
    assert set(fields_of(client.put(f"/api/v1/quotas/{rep1}/{Q4}", json={"amount": "1.001"}, headers=auth))) == {
        "amount"}
    assert set(fields_of(client.get("/api/v1/forecasts?period=soon", headers=auth))) == {"period"}
    assert set(fields_of(client.get(f"/api/v1/forecasts?period={Q4}&colour=red", headers=auth))) == {"colour"}
    assert set(fields_of(client.get(f"/api/v1/forecasts/opportunities?period={Q4}&category=x&page_size=0",
                                    headers=auth))) == {"page_size"}
    assert set(fields_of(client.get(f"/api/v1/forecasts/opportunities?period={Q4}&category=x",
                                    headers=auth))) == {"category"}
    assert set(fields_of(client.put("/api/v1/forecast-settings", headers=team["admin"][1], json={
        "currency": "dollars", "rates": {"EUR": 1.08}}))) == {"currency", "rates.EUR"}
    assert forecast_rows() == {"adjustments": 0, "quotas": 0, "forecast_settings": 0}


def test_quotas_and_settings_carry_versions(client, team, deal):
    admin, rep1 = team["admin"][1], team["rep1"][0]["id"]
    first = client.put(f"/api/v1/quotas/{rep1}/{Q4}", json={"amount": "100"}, headers=admin)
    assert (first.status_code, first.headers["ETag"], first.json["amount"]) == (200, '"1"', "100.00")
    stale = client.put(f"/api/v1/quotas/{rep1}/{Q4}", json={"amount": "5"}, headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412
    listed = ok(client.get(f"/api/v1/quotas?user_id={rep1}", headers=team["manager"][1]))
    assert [(q["period"], q["amount"], q["version"]) for q in listed["items"]] == [(Q4, "100.00", 1)]

    found = client.get("/api/v1/forecast-settings", headers=team["rep1"][1])
    assert (found.json, found.headers["ETag"]) == ({"fiscal_year_start_month": 1, "currency": "USD", "rates": {},
                                                    "version": 0, "updated_at": None, "updated_by": None}, '"0"')
    saved = client.put("/api/v1/forecast-settings", headers={**admin, "If-Match": '"0"'},
                       json={**found.json, "fiscal_year_start_month": 2, "rates": {"EUR": "1.10"}})
    assert saved.status_code == 200 and saved.json["version"] == 1 and saved.json["rates"] == {"EUR": "1.10"}
    assert client.put("/api/v1/forecast-settings", headers={**admin, "If-Match": '"0"'}, json={}).status_code == 412
    # FY2027 = Feb 2026 .. Jan 2027, so 2027-Q4 = Nov 2026 .. Jan 2027
    deal(rep1, "commit", "10.00", currency="EUR", close_date="2027-01-31")
    later = ok(client.get(f"/api/v1/forecasts?period=2027-Q4&user_id={rep1}", headers=admin))
    assert (later["first_day"], later["last_day"], later["commit"]) == ("2026-11-01", "2027-01-31", "11.00")


def test_forecast_service_down_is_503(client, team, services):
    services["forecast"].server.stop(0).wait()
    response = client.get(f"/api/v1/forecasts?period={Q4}", headers=team["manager"][1])
    assert response.status_code == 503
