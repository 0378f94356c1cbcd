"""Server-owned and unknown fields, on every POST, PUT and PATCH with a JSON body of the
served OpenAPI document, against real gRPC servers of every service (each on its own
PostgreSQL database).

For each operation, BODIES holds who calls it, a valid body and where to look to see that
nothing changed (a missing entry fails: a new route must say). Sent with `id`, `version`,
`created_at`, `updated_at` and an unknown field, it answers 400 naming EACH of them, and
the record (or the list a create would add to) is as it was. Then the specific rules: a
lead's score and the status converted; who may give a lead, opportunity, account or
contact to someone else; several bad fields named in one answer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from .conftest import made

SERVER_OWNED = ("id", "version", "created_at", "updated_at")
UNKNOWN = "no_such_field"
IF_MATCH = {"$ref": "#/components/parameters/IfMatch"}
# Settings documents: GET's read-only version and updated_at may be sent back with a PUT and
# are ignored (documented on their schemas), so that a client can PUT what it read.
READ_ONLY_ECHO = ("version", "updated_at")


@dataclass(frozen=True)
class Op:
    caller: str | None  # a name in the team fixture; None: anonymous
    body: Callable[[dict], dict[str, Any]]  # records -> a valid body
    witness: str | None  # a GET (as the caller; path parameters from the records) that must not change
    ignores: tuple[str, ...] = ()  # server-owned fields this operation documents as ignored


def _settings(path: str) -> Callable[[dict], dict[str, Any]]:
    return lambda r: {k: v for k, v in r["documents"][path].items() if k not in ("version", "updated_at",
                                                                                  "updated_by")}


BODIES: dict[str, Op] = {
    "POST /api/v1/auth/token": Op(None, lambda r: {"email": "admin@example.com", "password": "admin-password-1"},
                                  None),
    "POST /api/v1/users": Op("admin", lambda r: {"email": "someone.new@example.com", "name": "New",
                                                 "password": "password-123", "role": "sales_rep"},
                             "/api/v1/users"),
    "PATCH /api/v1/users/{user_id}": Op("rep1", lambda r: {"name": "Renamed"}, "/api/v1/users/{user_id}"),
    "POST /api/v1/leads": Op("rep1", lambda r: {"first_name": "Ann", "last_name": "New", "company": "Newco"},
                             "/api/v1/leads"),
    "PATCH /api/v1/leads/{lead_id}": Op("rep1", lambda r: {"title": "CTO"}, "/api/v1/leads/{lead_id}"),
    "POST /api/v1/leads/{lead_id}/convert": Op("rep1", lambda r: {"opportunity_name": "Deal"},
                                               "/api/v1/leads/{lead_id}"),
    "PUT /api/v1/lead-assignment-rules": Op("admin", _settings("/api/v1/lead-assignment-rules"),
                                            "/api/v1/lead-assignment-rules", ignores=READ_ONLY_ECHO),
    "PUT /api/v1/lead-scoring": Op("admin", _settings("/api/v1/lead-scoring"), "/api/v1/lead-scoring",
                                   ignores=READ_ONLY_ECHO),
    "POST /api/v1/cases": Op("agent", lambda r: {"subject": "New", "priority": "low", "origin": "web"},
                             "/api/v1/cases"),
    "PATCH /api/v1/cases/{case_id}": Op("agent", lambda r: {"priority": "urgent"}, "/api/v1/cases/{case_id}"),
    "POST /api/v1/cases/{case_id}/comments": Op("agent", lambda r: {"body": "Hello"},
                                                "/api/v1/cases/{case_id}/comments"),
    "POST /api/v1/cases/{case_id}/referrals": Op("agent", lambda r: {"kind": "upsell", "product_interest": "Seats"},
                                                 "/api/v1/cases/{case_id}/referrals"),
    "PUT /api/v1/notification-preferences": Op("rep1", lambda r: {"email": {"hot_lead": False}},
                                               "/api/v1/notification-preferences"),
    "PUT /api/v1/notification-settings": Op("admin", lambda r: {"hot_lead_threshold": 90},
                                            "/api/v1/notification-settings"),
    "POST /api/v1/accounts": Op("rep1", lambda r: {"name": "Newco"}, "/api/v1/accounts"),
    "PATCH /api/v1/accounts/{record_id}": Op("rep1", lambda r: {"industry": "Software"},
                                             "/api/v1/accounts/{account_id}"),
    "POST /api/v1/contacts": Op("rep1", lambda r: {"first_name": "Bo", "last_name": "New"}, "/api/v1/contacts"),
    "PATCH /api/v1/contacts/{record_id}": Op("rep1", lambda r: {"title": "CFO"}, "/api/v1/contacts/{contact_id}"),
    "POST /api/v1/products": Op("admin", lambda r: {"name": "Desk", "list_price": {"amount": "5.00",
                                                                                    "currency": "USD"}},
                                "/api/v1/products"),
    "PATCH /api/v1/products/{record_id}": Op("admin", lambda r: {"family": "Seats"}, "/api/v1/products/{product_id}"),
    "POST /api/v1/opportunities": Op("rep1", lambda r: {"name": "Another", "account_id": r["account_id"]},
                                     "/api/v1/opportunities"),
    "PATCH /api/v1/opportunities/{record_id}": Op("rep1", lambda r: {"next_step": "Call"},
                                                  "/api/v1/opportunities/{opportunity_id}"),
    "POST /api/v1/opportunities/{opportunity_id}/line-items": Op(
        "rep1", lambda r: {"product_id": r["product_id"], "quantity": "2"}, "/api/v1/opportunities/{opportunity_id}"),
    "PATCH /api/v1/opportunities/{opportunity_id}/line-items/{item_id}": Op(
        "rep1", lambda r: {"quantity": "3"}, "/api/v1/opportunities/{opportunity_id}"),
    "PUT /api/v1/opportunity-stages": Op("admin", _settings("/api/v1/opportunity-stages"),
                                         "/api/v1/opportunity-stages", ignores=READ_ONLY_ECHO),
    "POST /api/v1/activities": Op("rep1", lambda r: {"type": "task", "subject": "Follow up", "related_to": {
        "type": "account", "id": r["account_id"]}}, "/api/v1/activities"),
    "PATCH /api/v1/activities/{activity_id}": Op("rep1", lambda r: {"subject": "Changed"},
                                                 "/api/v1/activities/{activity_id}"),
    "POST /api/v1/forecasts/adjustments": Op("manager", lambda r: {
        "user_id": r["user_id"], "period": "2026-Q4", "category": "commit", "amount": "10.00", "reason": "gut"},
        "/api/v1/forecasts/adjustments?user_id={user_id}&period=2026-Q4"),
    "PUT /api/v1/quotas/{user_id}/{period}": Op("manager", lambda r: {"amount": "1000.00"},
                                                "/api/v1/quotas?user_id={user_id}&period={period}"),
    "PUT /api/v1/forecast-settings": Op("admin", _settings("/api/v1/forecast-settings"), "/api/v1/forecast-settings",
                                        ignores=READ_ONLY_ECHO),
    "POST /api/v1/reports": Op("rep1", lambda r: {"name": "R", "source": "opportunities", "group_by": ["stage"],
                                                  "aggregates": [{"fn": "count"}]}, "/api/v1/reports"),
    "PATCH /api/v1/reports/{report_id}": Op("rep1", lambda r: {"name": "Renamed"}, "/api/v1/reports/{report_id}"),
    "POST /api/v1/dashboards": Op("rep1", lambda r: {"name": "D", "reports": [r["report_id"]]}, "/api/v1/dashboards"),
    "PATCH /api/v1/dashboards/{dashboard_id}": Op("rep1", lambda r: {"name": "Renamed"},
                                                  "/api/v1/dashboards/{dashboard_id}"),
    "POST /api/v1/web-to-lead": Op(None, lambda r: {"first_name": "Web", "last_name": "Visitor",
                                                    "email": "web@visitor.example", "company": "Visitors"},
                                   None),  # nothing is readable anonymously; a 400 asks leads nothing
}


@pytest.fixture
def services(every_service):
    return every_service


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url


@pytest.fixture
def records(client, team) -> dict[str, Any]:
    """The rep's account, contact, opportunity with a line item, lead, activity, report and
    dashboard; the admin's product; the agent's case; the settings documents as read."""
    rep, agent, admin = team["rep1"][1], team["agent"][1], team["admin"][1]
    account = made(client.post("/api/v1/accounts", headers=rep, json={"name": "Acme", "domain": "acme.example"}))
    contact = made(client.post("/api/v1/contacts", headers=rep, json={
        "account_id": account["id"], "first_name": "Ada", "last_name": "Lovelace"}))
    product = made(client.post("/api/v1/products", headers=admin, json={
        "name": "Seat", "list_price": {"amount": "100.00", "currency": "USD"}}))
    opportunity = made(client.post("/api/v1/opportunities", headers=rep, json={
        "name": "Acme - seats", "account_id": account["id"], "currency": "USD"}))
    with_item = made(client.post(f"/api/v1/opportunities/{opportunity['id']}/line-items", headers=rep,
                                 json={"product_id": product["id"], "quantity": "1"}))
    lead = made(client.post("/api/v1/leads", headers=rep, json={
        "first_name": "Grace", "last_name": "Hopper", "email": "grace@acme.example", "company": "Acme"}))
    activity = made(client.post("/api/v1/activities", headers=rep, json={
        "type": "call", "subject": "Discovery", "related_to": {"type": "account", "id": account["id"]}}))
    case = made(client.post("/api/v1/cases", headers=agent, json={
        "subject": "Seat limit", "priority": "high", "origin": "email",
        "contact": {"name": "Ada Lovelace", "email": "ada@acme.example"}}))
    report = made(client.post("/api/v1/reports", headers=rep, json={
        "name": "By stage", "source": "opportunities", "group_by": ["stage"], "aggregates": [{"fn": "count"}]}))
    dashboard = made(client.post("/api/v1/dashboards", headers=rep, json={"name": "Mine", "reports": [report["id"]]}))
    documents = {path: made(client.get(path, headers=admin), 200) for path in (
        "/api/v1/lead-assignment-rules", "/api/v1/lead-scoring", "/api/v1/opportunity-stages",
        "/api/v1/forecast-settings")}
    return {"user_id": team["rep1"][0]["id"], "lead_id": lead["id"], "case_id": case["id"],
            "account_id": account["id"], "contact_id": contact["id"], "product_id": product["id"],
            "opportunity_id": opportunity["id"], "item_id": with_item["line_items"][0]["id"],
            "activity_id": activity["id"], "report_id": report["id"], "dashboard_id": dashboard["id"],
            "period": "2026-Q4", "documents": documents}


def url_of(path: str, records: dict[str, Any]) -> str:
    """A path of the document with its parameters; record_id is the record of the kind
    the path names (/api/v1/<kind>/{record_id})."""
    if "{record_id}" in path:
        kind = {"accounts": "account_id", "contacts": "contact_id", "products": "product_id",
                "opportunities": "opportunity_id"}[path.split("/")[3]]
        path = path.replace("{record_id}", "{" + kind + "}")
    return path.format(**records)


def state(client, url: str, auth: dict) -> Any:
    """What must not change: a record's ETag and version, or a list's (id, version) pairs."""
    response = client.get(url, headers=auth)
    assert response.status_code == 200, (url, response.json)
    body = response.json
    if "items" in body:
        return [(item.get("id"), item.get("version")) for item in body["items"]]
    return response.headers.get("ETag"), body.get("version"), body


def bad_fields(response) -> set[str]:
    return set(((response.get_json() or {}).get("error", {}).get("details") or {}).get("fields", {}))


def test_server_owned_and_unknown_fields_are_refused_by_name(client, team, records):
    doc = made(client.get("/api/v1/openapi.json"), 200)
    ops = {f"{method.upper()} {path}": op for path, item in doc["paths"].items() for method, op in item.items()
           if method in ("post", "put", "patch") and "requestBody" in op}
    assert not ops.keys() - BODIES.keys(), f"say how to call these (BODIES): {sorted(ops.keys() - BODIES.keys())}"
    assert not BODIES.keys() - ops.keys(), f"no longer documented: {sorted(BODIES.keys() - ops.keys())}"
    callers = {name: auth for name, (_user, auth) in team.items()}
    problems = []
    for name, op in ops.items():
        entry = BODIES[name]
        method, path = name.split(" ", 1)
        auth = callers[entry.caller] if entry.caller else {}
        witness = url_of(entry.witness, records) if entry.witness else None
        before = state(client, witness, auth) if witness else None
        headers = dict(auth)
        if IF_MATCH in op.get("parameters", []) and isinstance(before, tuple) and before[0]:
            headers["If-Match"] = before[0]
        body = {**entry.body(records), "id": "x", "version": 99, "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z", UNKNOWN: 1}
        response = client.open(url_of(path, records), method=method, json=body, headers=headers)
        expected = {UNKNOWN, *SERVER_OWNED} - set(entry.ignores)
        if response.status_code != 400 or not expected <= bad_fields(response):
            problems.append(f"{name}: {response.status_code}, named {sorted(bad_fields(response))}, expected "
                            f"400 naming {sorted(expected)}: {response.get_data(as_text=True)[:300]}")
        if witness and state(client, witness, auth) != before:
            problems.append(f"{name}: {witness} changed")
    assert not problems, "\n".join(problems)


def test_a_lead_s_score_and_the_status_converted_are_not_the_client_s(client, team, records):
    rep = team["rep1"][1]
    url = f"/api/v1/leads/{records['lead_id']}"
    before = state(client, url, rep)
    for body in ({"score": 100}, {"score_factors": []}, {"status": "converted"}, {"conversion": {}}):
        changed = client.patch(url, json=body, headers=rep)
        assert changed.status_code in (400, 422) and set(body) <= bad_fields(changed), (body, changed.json)
        created = client.post("/api/v1/leads", json={"first_name": "A", "last_name": "B", "company": "C", **body},
                              headers=rep)
        assert created.status_code in (400, 422) and set(body) <= bad_fields(created), (body, created.json)
    assert state(client, url, rep) == before
    assert [item["id"] for item in client.get("/api/v1/leads", headers=rep).json["items"]] == [records["lead_id"]]


# (method, URL, a valid body but the owner) of each record kind whose owner can be named.
def _ownable(records: dict[str, Any], n: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("post", "/api/v1/leads", {"first_name": "Own", "last_name": f"Er {n}", "company": f"Owner {n}",
                                      "email": f"owner{n}@owner.example"}),
        ("patch", f"/api/v1/leads/{records['lead_id']}", {}),
        ("post", "/api/v1/opportunities", {"name": f"Owned {n}", "account_id": records["account_id"]}),
        ("patch", f"/api/v1/opportunities/{records['opportunity_id']}", {}),
        ("post", "/api/v1/accounts", {"name": f"Owned {n}"}),
        ("patch", f"/api/v1/accounts/{records['account_id']}", {}),
        ("post", "/api/v1/contacts", {"first_name": "Own", "last_name": f"Ed {n}"}),
        ("patch", f"/api/v1/contacts/{records['contact_id']}", {}),
    ]


def _give(client, method: str, url: str, body: dict, owner_id: str, auth: dict):
    headers = dict(auth)
    if method == "patch":  # opportunities require If-Match; the others honour it
        headers["If-Match"] = client.get(url, headers=auth).headers["ETag"]
    return getattr(client, method)(url, json={**body, "owner_id": owner_id}, headers=headers)


def test_a_rep_may_not_give_a_record_to_someone_else_and_is_told_which_field(client, team, records):
    rep, rep2, peer = team["rep1"], team["rep2"][0]["id"], team["rep3"][0]["id"]
    for method, url, body in _ownable(records, 1):
        for owner in (rep2, peer, team["manager"][0]["id"]):
            witness = state(client, url if method == "patch" else url, rep[1])
            refused = _give(client, method, url, body, owner, rep[1])
            assert (refused.status_code, bad_fields(refused)) == (403, {"owner_id"}), (method, url, refused.json)
            assert refused.json["error"]["code"] == "forbidden"
            assert state(client, url, rep[1]) == witness, (method, url)
        kept = _give(client, method, url, body, rep[0]["id"], rep[1])  # to themselves: fine
        assert kept.status_code in (200, 201), (method, url, kept.json)


def test_managers_give_within_their_team_and_admins_to_anyone(client, team, records):
    manager, rep2, peer = team["manager"], team["rep2"][0]["id"], team["rep3"][0]["id"]
    for method, url, body in _ownable(records, 2):
        outside = _give(client, method, url, body, peer, manager[1])
        assert (outside.status_code, bad_fields(outside)) == (403, {"owner_id"}), (method, url, outside.json)
        inside = _give(client, method, url, body, rep2, manager[1])
        assert (inside.status_code, inside.json["owner_id"]) in ((200, rep2), (201, rep2)), (method, url, inside.json)
    for method, url, body in _ownable(records, 3):
        given = _give(client, method, url, body, peer, team["admin"][1])
        assert (given.status_code, given.json["owner_id"]) in ((200, peer), (201, peer)), (method, url, given.json)


def test_several_bad_fields_are_named_at_once(client, team, records):
    rep = team["rep1"][1]
    url = f"/api/v1/leads/{records['lead_id']}"
    before = state(client, url, rep)
    body = {"id": "x", "score": 99, "status": "converted", "owner_id": team["rep2"][0]["id"], "employees": "many",
            "first_name": "", UNKNOWN: True}
    for response in (client.patch(url, json=body, headers=rep), client.post("/api/v1/leads", json=body, headers=rep)):
        assert response.status_code == 400, response.json
        assert bad_fields(response) >= set(body), response.json  # first_name: the service's rule, in the same 400
    assert state(client, url, rep) == before
    deal = f"/api/v1/opportunities/{records['opportunity_id']}"
    refused = client.patch(deal, json={"version": 7, "probability": 90, "owner_id": team["rep3"][0]["id"],
                                       "amount": 12.5, UNKNOWN: 1},
                           headers={**rep, "If-Match": client.get(deal, headers=rep).headers["ETag"]})
    assert (refused.status_code, bad_fields(refused)) == (
        400, {"version", "probability", "owner_id", "amount", UNKNOWN}), refused.json
