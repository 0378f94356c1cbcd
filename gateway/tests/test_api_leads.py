"""/api/v1/leads, /lead-assignment-rules and /lead-scoring through the Flask app, against
a real leads gRPC server on its own PostgreSQL database. Users are created through the
API; their user events are applied to the leads service's directory copy, as its
consumer would."""
import pytest
from sqlalchemy import func, select
from tandem_plumbing.db import session_factory, transaction

from tandem_leads import use_cases as leads_use_cases
from tandem_leads.adapters.models import leads as leads_table, outbox as leads_outbox, reps

LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Acme Inc"}


@pytest.fixture
def services(run_service) -> dict:
    return {"leads": run_service("tandem_leads", reps)}


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url  # the gateway's own database: PostgreSQL only here (its own tests cover SQLite)


@pytest.fixture
def leads_rows(services):
    def rows() -> tuple[int, int]:
        with services["leads"].engine.connect() as conn:
            return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                         for t in (leads_table, leads_outbox))
    return rows


def create(client, auth, body=None, **kwargs):
    return client.post("/api/v1/leads", json={**LEAD, **(body or {})}, headers=auth, **kwargs)


def test_create_get_patch_and_history(client, team):
    rep1, auth1 = team["rep1"]
    made = create(client, team["manager"][1], {"title": "VP Sales", "employees": 300, "owner_id": rep1["id"]})
    assert made.status_code == 201, made.json
    lead = made.json
    assert made.headers["ETag"] == '"1"' and made.headers["Location"] == f"/api/v1/leads/{lead['id']}"
    assert list(lead) == ["id", "first_name", "last_name", "email", "company", "title", "phone", "industry", "country",
                          "employees", "source", "status", "status_reason", "score", "score_factors", "owner_id",
                          "referral", "referrals", "description", "conversion", "created_at", "updated_at",
                          "version"]
    assert (lead["owner_id"], lead["status"], lead["source"], lead["referral"], lead["phone"], lead["conversion"]) == (
        rep1["id"], "new", "other", None, None, None)
    assert lead["score"] == sum(f["points"] for f in lead["score_factors"]) == 30
    assert lead["created_at"].endswith("Z")

    got = client.get(f"/api/v1/leads/{lead['id']}", headers=auth1)
    assert got.status_code == 200 and got.json == lead and got.headers["ETag"] == '"1"'
    patched = client.patch(f"/api/v1/leads/{lead['id']}", json={"status": "working", "title": None, "country": "de"},
                           headers={**auth1, "If-Match": '"1"'})
    assert patched.status_code == 200, patched.json
    assert (patched.json["status"], patched.json["title"], patched.json["country"]) == ("working", None, "DE")
    assert patched.headers["ETag"] == '"2"'

    history = client.get(f"/api/v1/leads/{lead['id']}/history", headers=auth1)
    assert history.status_code == 200 and history.json["next_page_token"] is None
    entries = history.json["items"]
    assert [e["action"] for e in entries] == ["created", "assigned", "updated", "status_changed", "rescored"]
    assert entries[2]["changes"] == {"title": {"from": "VP Sales", "to": None}, "country": {"from": None, "to": "DE"}}
    assert entries[3]["actor_id"] == rep1["id"] and entries[3]["at"].endswith("Z")
    assert entries[3]["correlation_id"] == patched.headers["X-Request-ID"]


def test_bad_input_names_each_field_and_writes_nothing(client, team, leads_rows):
    body = {"first_name": "Ada", "last_name": "Lovelace", "email": "not-an-email", "source": "tv",
            "status": "converted", "score": 99, "id": "mine", "favourite_colour": "red", "employees": "ten"}
    response = client.post("/api/v1/leads", json=body, headers=team["admin"][1])
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_failed"
    fields = response.json["error"]["details"]["fields"]
    assert set(fields) == {"company", "email", "source", "status", "score", "id", "favourite_colour", "employees"}
    assert fields["score"] == fields["id"] == "is set by the server"
    assert fields["favourite_colour"] == "unknown field" and fields["company"] == "is required"
    assert leads_rows() == (0, 0)

    malformed = client.post("/api/v1/leads", data="{nope", headers={**team["admin"][1],
                                                                     "Content-Type": "application/json"})
    assert (malformed.status_code, malformed.json["error"]["code"]) == (400, "malformed_json")
    only_service = create(client, team["admin"][1], {"email": "bad"})  # nothing for the gateway to object to
    assert only_service.status_code == 400 and only_service.json["error"]["details"]["fields"] == {
        "email": "must be a valid email address"}
    assert leads_rows() == (0, 0)


def test_duplicates_are_refused_unless_asked_for(client, team, leads_rows):
    auth = team["admin"][1]
    first = create(client, auth)
    duplicate = create(client, auth, {"email": " ADA@example.COM", "first_name": "Augusta"})
    assert duplicate.status_code == 409
    assert duplicate.json["error"]["code"] == "duplicate_lead"
    assert duplicate.json["error"]["details"] == {"existing_id": first.json["id"], "matched_on": "email"}
    by_name = create(client, auth, {"email": "other@example.com", "company": "ACME, Ltd."})
    assert by_name.status_code == 409 and by_name.json["error"]["details"]["matched_on"] == "name_company"
    assert leads_rows()[0] == 1

    in_body = create(client, auth, {"allow_duplicate": True})
    in_query = client.post("/api/v1/leads?allow_duplicate=true", json=LEAD, headers=auth)
    assert (in_body.status_code, in_query.status_code) == (201, 201)
    assert len({first.json["id"], in_body.json["id"], in_query.json["id"]}) == 3
    for bad in (client.post("/api/v1/leads?allow_duplicate=maybe", json=LEAD, headers=auth),
                create(client, auth, {"allow_duplicate": "true"})):
        assert bad.status_code == 400 and "allow_duplicate" in bad.json["error"]["details"]["fields"]


def test_a_rep_cannot_see_or_change_another_reps_lead(client, team):
    (rep1, auth1), auth2 = team["rep1"], team["rep2"][1]
    mine = create(client, auth1).json
    assert mine["owner_id"] == rep1["id"]  # a rep's lead is their own
    assert client.get(f"/api/v1/leads/{mine['id']}", headers=auth2).status_code == 404
    assert client.get(f"/api/v1/leads/{mine['id']}/history", headers=auth2).status_code == 404
    assert client.patch(f"/api/v1/leads/{mine['id']}", json={"title": "x"}, headers=auth2).status_code == 404
    assert client.get("/api/v1/leads", headers=auth2).json["items"] == []
    managed = client.get("/api/v1/leads", headers=team["manager"][1]).json["items"]
    assert [lead["id"] for lead in managed] == [mine["id"]]
    assert client.get("/api/v1/leads", headers=team["rep3"][1]).json["items"] == []


def test_service_agents_see_no_leads_and_create_none(client, team):
    create(client, team["admin"][1])
    agent_auth = team["agent"][1]
    listed = client.get("/api/v1/leads", headers=agent_auth)
    assert (listed.status_code, listed.json["items"]) == (200, [])
    assert create(client, agent_auth).status_code == 403
    assert client.get("/api/v1/lead-scoring", headers=agent_auth).status_code == 403
    assert client.get("/api/v1/leads").status_code == 401


def test_reassigning_is_for_managers_within_their_team(client, team):
    auth1, rep2 = team["rep1"][1], team["rep2"][0]
    lead = create(client, auth1).json
    url = f"/api/v1/leads/{lead['id']}"
    forbidden = client.patch(url, json={"owner_id": rep2["id"]}, headers=auth1)
    assert (forbidden.status_code, forbidden.json["error"]["code"]) == (403, "forbidden")
    outside = client.patch(url, json={"owner_id": team["rep3"][0]["id"]}, headers=team["manager"][1])
    assert outside.status_code == 403
    moved = client.patch(url, json={"owner_id": rep2["id"]}, headers=team["manager"][1])
    assert moved.status_code == 200 and moved.json["owner_id"] == rep2["id"]
    cleared = client.patch(url, json={"owner_id": None}, headers=team["admin"][1])
    assert cleared.status_code == 400 and cleared.json["error"]["details"]["fields"] == {
        "owner_id": "cannot be cleared"}
    assert client.get(url, headers=auth1).status_code == 404


def test_versions_and_status_rules(client, team):
    auth = team["admin"][1]
    lead = create(client, auth).json
    url = f"/api/v1/leads/{lead['id']}"
    stale = client.patch(url, json={"title": "CTO"}, headers={**auth, "If-Match": '"5"'})
    assert stale.status_code == 412 and stale.json["error"]["details"] == {"current_version": 1}
    garbage = client.patch(url, json={"title": "CTO"}, headers={**auth, "If-Match": "yesterday"})
    assert garbage.status_code == 412
    no_reason = client.patch(url, json={"status": "unqualified"}, headers=auth)
    assert no_reason.status_code == 400 and "status_reason" in no_reason.json["error"]["details"]["fields"]
    converted = client.patch(url, json={"status": "converted", "version": 3}, headers=auth)
    assert converted.status_code == 400
    assert set(converted.json["error"]["details"]["fields"]) == {"status", "version"}
    unqualified = client.patch(url, json={"status": "unqualified", "status_reason": "no budget"}, headers=auth)
    assert unqualified.status_code == 200 and unqualified.json["status_reason"] == "no budget"
    jump = client.patch(url, json={"status": "qualified"}, headers=auth)
    assert jump.status_code == 422 and jump.json["error"]["code"] == "invalid_status_transition"
    assert jump.json["error"]["details"]["allowed"] == ["nurturing", "working"]


def test_list_filters_search_and_pages(client, team):
    auth = team["admin"][1]
    for n, source in enumerate(("web", "event", "web")):
        assert create(client, auth, {"email": f"p{n}@example.com", "last_name": f"Person{n}", "source": source,
                                     "company": f"Company {n}"}).status_code == 201

    def emails(**params):
        response = client.get("/api/v1/leads", query_string=params, headers=auth)
        assert response.status_code == 200, response.json
        return [lead["email"] for lead in response.json["items"]]

    assert emails() == ["p2@example.com", "p1@example.com", "p0@example.com"]
    assert emails(source="web") == ["p2@example.com", "p0@example.com"]
    assert emails(q="PERSON1") == emails(q="company 1") == ["p1@example.com"]
    reps = [team[name][0]["id"] for name in ("rep1", "rep2", "rep3")]
    assert sorted(len(emails(owner_id=rep)) for rep in reps) == [1, 1, 1]  # round-robin over the active reps
    first = client.get("/api/v1/leads", query_string={"page_size": 2}, headers=auth).json
    rest = client.get("/api/v1/leads", query_string={"page_size": 2, "page_token": first["next_page_token"]},
                      headers=auth).json
    assert [lead["email"] for lead in first["items"] + rest["items"]] == emails() and rest["next_page_token"] is None

    bad = client.get("/api/v1/leads", query_string={"page_size": 0, "colour": "red"}, headers=auth)
    assert set(bad.json["error"]["details"]["fields"]) == {"page_size", "colour"}
    bad_value = client.get("/api/v1/leads", query_string={"status": "open"}, headers=auth)
    assert bad_value.status_code == 400 and "status" in bad_value.json["error"]["details"]["fields"]


def test_idempotency_key_replays_the_first_creation(client, team, leads_rows):
    headers = {**team["admin"][1], "Idempotency-Key": "lead-1"}
    first = client.post("/api/v1/leads", json=LEAD, headers=headers)
    again = client.post("/api/v1/leads", json=LEAD, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert leads_rows()[0] == 1


def test_assignment_rules_for_admins(client, team):
    admin, manager = team["admin"][1], team["manager"][1]
    rep1 = team["rep1"][0]["id"]
    assert client.get("/api/v1/lead-assignment-rules", headers=manager).status_code == 403
    assert client.put("/api/v1/lead-assignment-rules", json={"rules": []}, headers=manager).status_code == 403
    current = client.get("/api/v1/lead-assignment-rules", headers=admin)
    assert current.status_code == 200 and current.headers["ETag"] == '"0"'
    assert current.json["default"] == {"role": "sales_rep", "strategy": "round_robin"}

    bad = client.put("/api/v1/lead-assignment-rules", headers=admin, json={"rules": [
        {"name": "x", "criteria": {"source": ["tv"]}, "assign_to": {"queue": [rep1], "strategy": "random"}}]})
    assert bad.status_code == 400
    assert set(bad.json["error"]["details"]["fields"]) == {"rules[0].criteria.source", "rules[0].assign_to.strategy"}
    agent = client.put("/api/v1/lead-assignment-rules", headers=admin, json={"rules": [
        {"name": "x", "criteria": {}, "assign_to": {"user_id": team["agent"][0]["id"]}}]})
    assert agent.status_code == 400

    rules = {**current.json, "rules": [{"name": "event leads to rep1", "criteria": {"source": ["event"]},
                                        "assign_to": {"user_id": rep1}}], "default": None}
    saved = client.put("/api/v1/lead-assignment-rules", json=rules, headers={**admin, "If-Match": '"0"'})
    assert saved.status_code == 200, saved.json
    assert (saved.json["version"], saved.headers["ETag"]) == (1, '"1"')
    stale = client.put("/api/v1/lead-assignment-rules", json=rules, headers={**admin, "If-Match": '"0"'})
    assert stale.status_code == 412
    assert create(client, admin, {"source": "event"}).json["owner_id"] == rep1
    assert create(client, admin, {"email": "x@example.com", "last_name": "Other"}).json["owner_id"] is None


def test_scoring_weights_are_read_by_sales_and_replaced_by_admins(client, team):
    admin, rep = team["admin"][1], team["rep1"][1]
    lead = create(client, rep, {"source": "web"}).json
    weights = client.get("/api/v1/lead-scoring", headers=rep)
    assert weights.status_code == 200 and weights.json["source"]["service_referral"] == 30
    changed = {**weights.json, "source": {**weights.json["source"], "web": 25}}
    assert client.put("/api/v1/lead-scoring", json=changed, headers=rep).status_code == 403
    saved = client.put("/api/v1/lead-scoring", json=changed, headers=admin)
    assert saved.status_code == 200 and saved.json["source"]["web"] == 25
    rescored = client.get(f"/api/v1/leads/{lead['id']}", headers=rep).json
    assert rescored["score"] == 25 and rescored["version"] == 2
    invalid = client.put("/api/v1/lead-scoring", json={"source": {"web": 1000}}, headers=admin)
    assert invalid.status_code == 400 and "source.web" in invalid.json["error"]["details"]["fields"]


def test_a_referred_lead_shows_its_referrals(client, team, services):
    data = {"referral": {"id": "ref-1", "case_id": "case-1", "case_number": 1042, "kind": "upsell",
                         "product_interest": "50 more seats", "notes": None,
                         "estimated_value": {"amount": "12000.00", "currency": "USD"}, "agent_id": "agent-1"},
            "case": {"id": "case-1", "number": 1042, "subject": "Seat limit"},
            "contact": {"name": "Carla Customer", "email": "carla@acme.example", "company": "Acme Corp"}}
    with transaction(session_factory(services["leads"].engine)) as session:
        made = leads_use_cases.receive_referral(session, data, "req-1")
    owner = next(auth for user, auth in team.values() if user["id"] == made.owner_id)
    lead = client.get(f"/api/v1/leads/{made.id}", headers=owner).json
    assert lead["owner_id"] == made.owner_id and lead["source"] == "service_referral"
    assert lead["referral"] == {"case_id": "case-1", "referral_id": "ref-1", "agent_id": "agent-1"}
    assert lead["referrals"][0]["estimated_value"] == {"amount": "12000.00", "currency": "USD"}
    assert lead["referrals"][0]["case_number"] == "1042"


def test_an_unavailable_leads_service_is_a_503(client, team, services):
    services["leads"].server.stop(0)
    response = client.get("/api/v1/leads", headers=team["rep1"][1])
    assert response.status_code == 503 and response.json["error"]["details"] == {"service": "leads"}


# -- conversion (the round trip through a real sales server: test_api_convert.py) ----------
def test_convert_with_sales_down_is_a_503_and_the_lead_stays(client, team, leads_rows, monkeypatch, free_port):
    monkeypatch.setenv("SALES_GRPC_ADDR", f"127.0.0.1:{free_port()}")  # nothing listens there
    auth = team["rep1"][1]
    lead = create(client, auth, {"status": "qualified"}).json
    before = leads_rows()
    response = client.post(f"/api/v1/leads/{lead['id']}/convert", json={}, headers=auth)
    assert (response.status_code, response.json["error"]["code"]) == (503, "service_unavailable"), response.json
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=auth).json == lead
    assert leads_rows() == before


def test_convert_refuses_bad_input_and_unqualified_leads(client, team, leads_rows):
    auth = team["rep1"][1]
    lead = create(client, auth).json
    url = f"/api/v1/leads/{lead['id']}/convert"
    before = leads_rows()
    bad = client.post(url, json={"amount": 1234.5, "close_date": "31/12/2026", "account_id": 7, "colour": "red",
                                 "opportunity_name": ""}, headers=auth)
    assert bad.status_code == 400, bad.json
    fields = bad.json["error"]["details"]["fields"]
    assert set(fields) == {"amount", "close_date", "account_id", "colour", "opportunity_name"}
    assert "never a number" in fields["amount"]
    bad_money = client.post(url, json={"amount": {"amount": "12.345", "currency": "usd"}}, headers=auth)
    assert set(bad_money.json["error"]["details"]["fields"]) == {"amount.amount", "amount.currency"}
    client.patch(f"/api/v1/leads/{lead['id']}", json={"status": "unqualified", "status_reason": "no budget"},
                 headers=auth)
    before = leads_rows()
    unqualified = client.post(url, headers=auth)
    assert (unqualified.status_code, unqualified.json["error"]["code"]) == (422, "lead_unqualified")
    hidden = client.post(url, headers=team["rep3"][1])
    agent = client.post(url, headers=team["agent"][1])
    assert (hidden.status_code, agent.status_code) == (404, 403)
    assert leads_rows() == before
