"""The audit trail through the API, for leads, opportunities and cases, against real
leads, sales and service_desk gRPC servers (each on its own PostgreSQL database): a
change by one user shows in the record's history with that user as the actor, and each
changed field with its value before and after; whoever may not read the record gets 404
for its history too (a rep of another team and a service agent for a rep's lead or
deal)."""
from __future__ import annotations

import pytest

from tandem_leads.adapters.models import reps
from tandem_sales.adapters.models import owners
from tandem_service_desk.adapters.models import agents

from .conftest import made

READERS_AND_OTHERS = ("admin", "manager", "rep1", "rep3", "agent")


@pytest.fixture
def services(run_service) -> dict:
    return {"leads": run_service("tandem_leads", reps), "sales": run_service("tandem_sales", owners),
            "service_desk": run_service("tandem_service_desk", agents)}


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url


def history(client, path: str, auth: dict, page_size: int = 2) -> list[dict]:
    """Every entry, following the page tokens (small pages, so paging is exercised)."""
    items, token = [], None
    while True:
        query = f"?page_size={page_size}" + (f"&page_token={token}" if token else "")
        page = made(client.get(f"{path}/history{query}", headers=auth), 200)
        items += page["items"]
        token = page["next_page_token"]
        if token is None:
            return items


def by(entries: list[dict], actor_id: str) -> list[dict]:
    return [entry for entry in entries if entry["actor_id"] == actor_id]


def assert_history_as_readable_as_the_record(client, team, path: str) -> dict[str, int]:
    """For each caller: GET of the history answers what GET of the record does (200 or
    404); returns {caller: status}."""
    statuses = {}
    for who in READERS_AND_OTHERS:
        auth = team[who][1]
        record, trail = client.get(path, headers=auth), client.get(f"{path}/history", headers=auth)
        assert trail.status_code == record.status_code, (who, trail.status_code, record.status_code, trail.json)
        if trail.status_code == 404:
            assert trail.json["error"]["code"] == "not_found"
        statuses[who] = trail.status_code
    return statuses


def test_a_lead_change_shows_who_changed_which_field_from_what_to_what(client, team):
    rep, manager = team["rep1"], team["manager"]
    lead = made(client.post("/api/v1/leads", headers=rep[1], json={
        "first_name": "Grace", "last_name": "Hopper", "email": "grace@acme.example", "company": "Acme",
        "owner_id": rep[0]["id"]}))
    path = f"/api/v1/leads/{lead['id']}"
    made(client.patch(path, headers=manager[1], json={"title": "CTO", "company": "Acme Corp", "status": "working"}),
         200)

    changes = {}
    for entry in by(history(client, path, rep[1]), manager[0]["id"]):
        changes.update(entry["changes"])
    assert changes["title"] == {"from": None, "to": "CTO"}
    assert changes["company"] == {"from": "Acme", "to": "Acme Corp"}
    assert changes["status"] == {"from": "new", "to": "working"}
    statuses = assert_history_as_readable_as_the_record(client, team, path)
    assert statuses == {"admin": 200, "manager": 200, "rep1": 200, "rep3": 404, "agent": 404}

    made(client.patch(path, headers=manager[1], json={"owner_id": team["rep2"][0]["id"]}), 200)
    [assigned] = [e for e in by(history(client, path, manager[1]), manager[0]["id"]) if e["action"] == "assigned"]
    assert assigned["changes"] == {"owner_id": {"from": rep[0]["id"], "to": team["rep2"][0]["id"]}}
    assert client.get(f"{path}/history", headers=rep[1]).status_code == 404  # no longer rep1's to read


def test_an_opportunity_change_shows_who_changed_which_field_from_what_to_what(client, team):
    rep, manager = team["rep1"], team["manager"]
    account = made(client.post("/api/v1/accounts", headers=rep[1], json={"name": "Acme"}))
    product = made(client.post("/api/v1/products", headers=team["admin"][1], json={
        "name": "Seat", "code": "SEAT-1", "list_price": {"amount": "100.00", "currency": "USD"}}))
    deal = made(client.post("/api/v1/opportunities", headers=rep[1], json={
        "name": "Acme - seats", "account_id": account["id"], "currency": "USD"}))
    path = f"/api/v1/opportunities/{deal['id']}"
    made(client.patch(path, headers={**manager[1], "If-Match": '"1"'}, json={
        "name": "Acme - 50 seats", "close_date": "2026-12-15", "stage": "Needs Analysis"}), 200)
    made(client.post(f"{path}/line-items", headers=manager[1], json={"product_id": product["id"], "quantity": "3"}))

    entries = history(client, path, rep[1])
    assert [(e["action"], e["actor_id"]) for e in entries] == [
        ("created", rep[0]["id"]), ("updated", manager[0]["id"]), ("stage_changed", manager[0]["id"]),
        ("line_item_added", manager[0]["id"])]
    created, updated, stage, item = entries
    assert created["changes"]["name"] == {"from": None, "to": "Acme - seats"}
    assert updated["changes"] == {"name": {"from": "Acme - seats", "to": "Acme - 50 seats"},
                                  "close_date": {"from": None, "to": "2026-12-15"}}
    assert stage["changes"]["stage"] == {"from": "Qualification", "to": "Needs Analysis"}
    assert stage["changes"]["probability"] == {"from": 10, "to": 25}
    assert item["changes"]["amount"] == {"from": None, "to": "300.00"}
    assert item["changes"]["line_item"]["from"] is None and item["changes"]["line_item"]["to"]["quantity"] == "3"
    assert all(e["at"].endswith("Z") and e["correlation_id"] for e in entries)

    statuses = assert_history_as_readable_as_the_record(client, team, path)
    assert statuses == {"admin": 200, "manager": 200, "rep1": 200, "rep3": 404, "agent": 404}
    missing = client.get("/api/v1/opportunities/no-such-deal/history", headers=rep[1])
    assert missing.status_code == 404
    assert client.get(f"{path}/history?page_size=0", headers=rep[1]).status_code == 400
    assert client.get(f"{path}/history?page_token=garbage", headers=rep[1]).status_code == 400
    assert client.get(f"{path}/history?sort=desc", headers=rep[1]).status_code == 400
    assert client.get(f"{path}/history").status_code == 401


def test_account_and_contact_changes_show_too_and_every_user_reads_them(client, team):
    rep, manager = team["rep1"], team["manager"]
    account = made(client.post("/api/v1/accounts", headers=rep[1], json={"name": "Acme"}))
    contact = made(client.post("/api/v1/contacts", headers=rep[1], json={"first_name": "Ada",
                                                                         "last_name": "Lovelace"}))
    made(client.patch(f"/api/v1/accounts/{account['id']}", headers={**manager[1], "If-Match": '"1"'},
                      json={"industry": "Retail"}), 200)
    made(client.patch(f"/api/v1/contacts/{contact['id']}", headers={**manager[1], "If-Match": '"1"'},
                      json={"account_id": account["id"], "title": "CTO"}), 200)
    for path, changes in ((f"/api/v1/accounts/{account['id']}", {"industry": {"from": None, "to": "Retail"}}),
                          (f"/api/v1/contacts/{contact['id']}", {"account_id": {"from": None, "to": account["id"]},
                                                                 "title": {"from": None, "to": "CTO"}})):
        [changed] = by(history(client, path, team["agent"][1]), manager[0]["id"])
        assert (changed["action"], changed["changes"]) == ("updated", changes)
        statuses = assert_history_as_readable_as_the_record(client, team, path)
        assert set(statuses.values()) == {200}  # accounts and contacts: public read


def test_a_case_change_shows_who_changed_which_field_from_what_to_what(client, team):
    agent = team["agent"]
    case = made(client.post("/api/v1/cases", headers=team["admin"][1], json={
        "subject": "Seat limit reached", "priority": "high", "origin": "email",
        "contact": {"name": "Ada Lovelace", "email": "ada@acme.example"}}))
    path = f"/api/v1/cases/{case['id']}"
    made(client.patch(path, headers=agent[1], json={"priority": "urgent", "subject": "Seats: limit reached"}), 200)

    changed = {e["field"]: (e["from"], e["to"]) for e in by(history(client, path, agent[1]), agent[0]["id"])}
    assert changed["priority"] == ("high", "urgent")
    assert changed["subject"] == ("Seat limit reached", "Seats: limit reached")
    # Who may read a case reads its history, and nobody else (the service desk decides who reads cases).
    assert_history_as_readable_as_the_record(client, team, path)
