"""/api/v1/activities and the records' activity timelines through the Flask app, against
a real sales gRPC server and a real leads server, each on its own
PostgreSQL database. Users are created through the API and copied into both services'
directories, as their consumers would."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tandem_leads.adapters import models as leads_models
from tandem_sales.adapters.models import activities, owners

TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def services(run_service) -> dict:
    return {"sales": run_service("tandem_sales", owners), "leads": run_service("tandem_leads", leads_models.reps)}


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url  # the gateway's own database: PostgreSQL only here (its own tests cover SQLite)


@pytest.fixture
def activity_count(services):
    def count() -> int:
        with services["sales"].engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(activities)).scalar_one()
    return count


@pytest.fixture
def lead(client, team):
    """A lead of rep1's."""
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Acme",
            "owner_id": team["rep1"][0]["id"]}
    response = client.post("/api/v1/leads", json=body, headers=team["manager"][1])
    assert response.status_code == 201, response.json
    return response.json


def task(lead_id: str, **values) -> dict:
    return {"type": "task", "subject": "Call back", "related_to": {"type": "lead", "id": lead_id}, **values}


def test_create_get_patch_complete(client, team, lead):
    auth = team["rep1"][1]
    made = client.post("/api/v1/activities", json=task(lead["id"], due_date="2026-12-01"), headers=auth)
    assert made.status_code == 201, made.json
    activity = made.json
    assert made.headers["ETag"] == '"1"' and made.headers["Location"] == f"/api/v1/activities/{activity['id']}"
    assert list(activity) == ["id", "type", "subject", "description", "related_to", "owner_id", "status", "due_date",
                              "starts_at", "duration_minutes", "completed_at", "outcome", "created_by", "created_at",
                              "updated_at", "version"]
    assert (activity["owner_id"], activity["status"], activity["due_date"], activity["related_to"]) == (
        team["rep1"][0]["id"], "open", "2026-12-01", {"type": "lead", "id": lead["id"]})
    got = client.get(f"/api/v1/activities/{activity['id']}", headers=team["manager"][1])
    assert got.status_code == 200 and got.json == activity and got.headers["ETag"] == '"1"'

    done = client.patch(f"/api/v1/activities/{activity['id']}", json={"status": "completed", "due_date": None,
                                                                      "outcome": "Booked a demo"},
                        headers={**auth, "If-Match": '"1"'})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["due_date"], done.json["outcome"], done.headers["ETag"]) == (
        "completed", None, "Booked a demo", '"2"')
    assert done.json["completed_at"].endswith("Z")
    stale = client.patch(f"/api/v1/activities/{activity['id']}", json={"status": "open"},
                         headers={**auth, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json["error"]["details"] == {"current_version": 2}
    reopened = client.patch(f"/api/v1/activities/{activity['id']}", json={"status": "open"}, headers=auth)
    assert (reopened.status_code, reopened.json["completed_at"], reopened.json["version"]) == (200, None, 3)


def test_bad_input_names_each_field_and_writes_nothing(client, team, lead, activity_count):
    body = {"type": "fax", "subject": "", "related_to": {"type": "lead", "id": lead["id"], "extra": 1},
            "duration_minutes": "ten", "id": "mine", "colour": "red", "due_date": "soon"}
    response = client.post("/api/v1/activities", json=body, headers=team["rep1"][1])
    assert response.status_code == 400, response.json
    fields = response.json["error"]["details"]["fields"]
    assert set(fields) == {"type", "subject", "related_to.extra", "duration_minutes", "id", "colour", "due_date"}
    assert fields["id"] == "is set by the server" and fields["colour"] == "unknown field"
    only_service = client.post("/api/v1/activities", json=task(lead["id"], starts_at="2026-11-27T10:00:00Z"),
                               headers=team["rep1"][1])
    assert only_service.status_code == 400
    assert only_service.json["error"]["details"]["fields"] == {"starts_at": "only calls and meetings have one"}
    assert activity_count() == 0


def test_a_lead_the_caller_may_not_see_is_not_found(client, team, lead, activity_count):
    for name in ("rep3", "agent"):
        response = client.post("/api/v1/activities", json=task(lead["id"]), headers=team[name][1])
        assert response.status_code == 404, (name, response.json)
        assert client.get(f"/api/v1/leads/{lead['id']}/activities", headers=team[name][1]).status_code == 404
        listed = client.get(f"/api/v1/activities?related_type=lead&related_id={lead['id']}", headers=team[name][1])
        assert listed.status_code == 404
    assert client.post("/api/v1/activities", json=task("no-such-lead"), headers=team["admin"][1]).status_code == 404
    assert activity_count() == 0


def test_another_user_s_activity_is_not_found(client, team, lead):
    made = client.post("/api/v1/activities", json=task(lead["id"]), headers=team["rep1"][1]).json
    for name in ("rep2", "rep3", "agent"):
        assert client.get(f"/api/v1/activities/{made['id']}", headers=team[name][1]).status_code == 404
        response = client.patch(f"/api/v1/activities/{made['id']}", json={"subject": "mine"}, headers=team[name][1])
        assert response.status_code == 404
    given = client.post("/api/v1/activities", json=task(lead["id"], owner_id=team["rep2"][0]["id"]),
                        headers=team["rep1"][1])
    assert (given.status_code, given.json["error"]["code"]) == (403, "forbidden")


def test_the_lead_timeline_and_lists(client, team, lead):
    rep1, rep2 = team["rep1"], team["rep2"]
    first = client.post("/api/v1/activities", json=task(lead["id"], due_date="2026-12-01"), headers=rep1[1]).json
    second = client.post("/api/v1/activities", json=task(lead["id"], due_date="2026-12-05", owner_id=rep2[0]["id"]),
                         headers=team["manager"][1]).json
    timeline = client.get(f"/api/v1/leads/{lead['id']}/activities", headers=rep1[1])
    assert timeline.status_code == 200, timeline.json
    assert [a["id"] for a in timeline.json["items"]] == [second["id"], first["id"]]
    assert timeline.json["next_page_token"] is None
    paged = client.get(f"/api/v1/activities?related_type=lead&related_id={lead['id']}&page_size=1", headers=rep1[1])
    assert [a["id"] for a in paged.json["items"]] == [second["id"]] and paged.json["next_page_token"]
    mine = client.get("/api/v1/activities?status=open", headers=rep1[1])
    assert [a["id"] for a in mine.json["items"]] == [first["id"]]
    teams = client.get(f"/api/v1/activities?owner_id={rep2[0]['id']}", headers=team["manager"][1])
    assert [a["id"] for a in teams.json["items"]] == [second["id"]]
    bad = client.get("/api/v1/activities?related_type=lead&colour=red&page_size=0", headers=rep1[1])
    assert bad.status_code == 400 and set(bad.json["error"]["details"]["fields"]) == {
        "related_id", "colour", "page_size"}
    bad = client.get("/api/v1/activities?status=done&colour=red&page_size=0", headers=rep1[1])
    assert bad.status_code == 400 and set(bad.json["error"]["details"]["fields"]) == {"colour", "page_size"}
    bad = client.get("/api/v1/activities?status=done", headers=rep1[1])
    assert bad.status_code == 400 and set(bad.json["error"]["details"]["fields"]) == {"status"}


def test_today(client, team, lead):
    auth = team["rep1"][1]
    day = lambda n: (TODAY + timedelta(days=n)).isoformat()  # noqa: E731
    for subject, due in (("overdue", day(-2)), ("today", day(0)), ("later", day(3))):
        response = client.post("/api/v1/activities", json=task(lead["id"], subject=subject, due_date=due),
                               headers=auth)
        assert response.status_code == 201, response.json
    start = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    client.post("/api/v1/activities", json=task(lead["id"], type="call", subject="missed call", starts_at=start),
                headers=auth)
    today = client.get("/api/v1/activities/today", headers=auth)
    assert today.status_code == 200, today.json
    assert [a["subject"] for a in today.json["items"]] == ["overdue", "missed call", "today"]
    assert today.json["next_page_token"] is None
    assert client.get("/api/v1/activities/today", headers=team["rep2"][1]).json["items"] == []
    bad = client.get("/api/v1/activities/today?today=tomorrow&x=1", headers=auth)
    assert bad.status_code == 400 and set(bad.json["error"]["details"]["fields"]) == {"x"}
    bad = client.get("/api/v1/activities/today?today=tomorrow", headers=auth)
    assert bad.status_code == 400 and set(bad.json["error"]["details"]["fields"]) == {"today"}


def test_idempotent_create(client, team, lead, activity_count):
    headers = {**team["rep1"][1], "Idempotency-Key": "activity-1"}
    first = client.post("/api/v1/activities", json=task(lead["id"]), headers=headers)
    again = client.post("/api/v1/activities", json=task(lead["id"]), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert activity_count() == 1


@pytest.fixture
def records(client, team):
    """rep1's account, a contact on it and rep1's opportunity, made through the API."""
    auth = team["rep1"][1]

    def made(path: str, body: dict) -> str:
        response = client.post(f"/api/v1/{path}", json=body, headers=auth)
        assert response.status_code == 201, response.json
        return response.json["id"]

    account = made("accounts", {"name": "Acme"})
    return {"account": account,
            "contact": made("contacts", {"first_name": "Ada", "last_name": "Lovelace", "account_id": account}),
            "opportunity": made("opportunities", {"name": "Acme seats", "account_id": account})}


def test_record_timelines(client, team, records, activity_count):
    paths = {"account": "accounts", "contact": "contacts", "opportunity": "opportunities"}
    made = {}
    for kind, record_id in records.items():
        body = {"type": "meeting", "subject": f"About the {kind}", "related_to": {"type": kind, "id": record_id},
                "starts_at": "2026-12-01T15:00:00Z", "duration_minutes": 30}
        response = client.post("/api/v1/activities", json=body, headers=team["rep1"][1])
        assert response.status_code == 201, response.json
        made[kind] = response.json
    for kind, record_id in records.items():
        timeline = client.get(f"/api/v1/{paths[kind]}/{record_id}/activities", headers=team["manager"][1])
        assert timeline.status_code == 200, timeline.json
        assert timeline.json["items"] == [made[kind]]
    # Every sales user and agent sees accounts and contacts; only the owner's team sees the opportunity.
    for name in ("rep3", "agent"):
        auth = team[name][1]
        got = client.get(f"/api/v1/accounts/{records['account']}/activities", headers=auth)
        assert [a["id"] for a in got.json["items"]] == [made["account"]["id"]]
        assert client.get(f"/api/v1/opportunities/{records['opportunity']}/activities", headers=auth).status_code == 404
    written = activity_count()
    on_deal = {"type": "task", "subject": "x", "related_to": {"type": "opportunity", "id": records["opportunity"]}}
    assert client.post("/api/v1/activities", json=on_deal, headers=team["rep3"][1]).status_code == 404
    assert client.get("/api/v1/accounts/nope/activities", headers=team["rep1"][1]).status_code == 404
    assert activity_count() == written


def test_sales_down_is_503(client, team, services):
    services["sales"].server.stop(0).wait()
    response = client.get("/api/v1/activities/today", headers=team["rep1"][1])
    assert (response.status_code, response.json["error"]["code"]) == (503, "service_unavailable")
