"""Every operation of the served OpenAPI document, called by every role and anonymously,
against real gRPC servers of every service (each on its own PostgreSQL database).

The document carries no per-operation role list, so EXPECTED below is the table of who
may call what (from the issue and the operations' descriptions). An operation missing
from it fails the test: a new route must say who may call it.

Outcomes: anonymous -> 401 except on the public routes; a role the route is not for ->
403; a role that may call it but may not see the record (someone else's private report,
an agent and a rep's deal) -> 404; a role that may call it -> neither 401 nor 403 nor
5xx. Every status must be one the operation documents. Requests are minimal (no body,
or an empty JSON object), so allowed writers mostly get 400: the point is the access
decision, not the write. Where an operation takes If-Match it is called again with a
stale one: 412 for who may change the record, the same 403 or 404 for who may not.

Besides the four roles, a rep of another team (PEER) calls every route, so record-level
rules are checked too: the rep's records answer them 404, as they do agents."""
from __future__ import annotations

import pytest

from .conftest import made

METHODS = ("get", "put", "post", "patch", "delete")
ADMIN, MANAGER, REP, AGENT = "admin", "sales_manager", "sales_rep", "service_agent"
PEER = "sales_rep of another team"  # a rep who is neither the owner nor below the manager
ROLES = (ADMIN, MANAGER, REP, PEER, AGENT)
PUBLIC = "public"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def may(*roles: str, hidden: tuple[str, ...] = ()) -> dict[str, str]:
    """role -> "ok" (may call), "hidden" (may call, but the record is not theirs to see:
    404) or "forbidden" (403)."""
    return {role: "ok" if role in roles else "hidden" if role in hidden else "forbidden" for role in ROLES}


ANYONE = may(*ROLES)
SALES = may(ADMIN, MANAGER, REP, PEER)
STAFF = may(ADMIN, AGENT)  # who works cases
ADMINS = may(ADMIN)
MANAGERS = may(ADMIN, MANAGER)
# The rep's lead, deal or activity: their manager and admins see it, another rep and agents do not.
OWNED = may(ADMIN, MANAGER, REP, hidden=(PEER, AGENT))
OWNED_SALES = may(ADMIN, MANAGER, REP, hidden=(PEER,))  # ... on a sales-only route: agents 403
# Accounts and contacts: everyone reads them; the owner, their managers and admins change them.
OWNED_READABLE = may(ADMIN, MANAGER, REP)
OWNER_AND_ADMIN = may(ADMIN, REP, hidden=(MANAGER, PEER))  # the rep's private report or dashboard

EXPECTED: dict[str, object] = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /api/v1/openapi.json": PUBLIC,
    "POST /api/v1/auth/token": PUBLIC,
    "POST /api/v1/web-to-lead": PUBLIC,
    "GET /api/v1/system/status": ADMINS,
    "GET /api/v1/me": ANYONE,
    "GET /api/v1/users": ANYONE,
    "POST /api/v1/users": ADMINS,
    "GET /api/v1/users/{user_id}": ANYONE,
    # user_id is the rep's: they may edit themselves, others may not (but admins).
    "PATCH /api/v1/users/{user_id}": may(ADMIN, REP),
    "GET /api/v1/leads": ANYONE,  # agents: an empty list
    "POST /api/v1/leads": SALES,
    "GET /api/v1/leads/{lead_id}": OWNED,
    "PATCH /api/v1/leads/{lead_id}": OWNED_SALES,
    "POST /api/v1/leads/{lead_id}/convert": OWNED_SALES,
    "GET /api/v1/leads/{lead_id}/history": OWNED,
    "GET /api/v1/lead-assignment-rules": ADMINS,
    "PUT /api/v1/lead-assignment-rules": ADMINS,
    "GET /api/v1/lead-scoring": SALES,
    "PUT /api/v1/lead-scoring": ADMINS,
    "GET /api/v1/cases": ANYONE,
    "POST /api/v1/cases": STAFF,
    "GET /api/v1/cases/{case_id}": ANYONE,
    "PATCH /api/v1/cases/{case_id}": STAFF,
    "GET /api/v1/cases/{case_id}/comments": ANYONE,
    "POST /api/v1/cases/{case_id}/comments": STAFF,
    "GET /api/v1/cases/{case_id}/history": ANYONE,
    "GET /api/v1/cases/{case_id}/referrals": ANYONE,
    "POST /api/v1/cases/{case_id}/referrals": STAFF,
    "GET /api/v1/notifications": ANYONE,
    "POST /api/v1/notifications/{notification_id}/read": ANYONE,  # nobody's: 404 for all
    "POST /api/v1/notifications/read-all": ANYONE,
    "GET /api/v1/notification-preferences": ANYONE,
    "PUT /api/v1/notification-preferences": ANYONE,
    "GET /api/v1/notification-settings": ANYONE,
    "PUT /api/v1/notification-settings": ADMINS,
    "GET /api/v1/accounts": ANYONE,
    "POST /api/v1/accounts": SALES,
    "GET /api/v1/accounts/{record_id}": ANYONE,  # the agent has a case on it
    "PATCH /api/v1/accounts/{record_id}": OWNED_READABLE,
    "GET /api/v1/accounts/{record_id}/history": ANYONE,
    "GET /api/v1/contacts": ANYONE,
    "POST /api/v1/contacts": SALES,
    "GET /api/v1/contacts/{record_id}": ANYONE,
    "PATCH /api/v1/contacts/{record_id}": OWNED_READABLE,
    "GET /api/v1/contacts/{record_id}/history": ANYONE,
    "GET /api/v1/products": SALES,  # the catalogue is for sales users
    "POST /api/v1/products": ADMINS,
    "GET /api/v1/products/{record_id}": SALES,
    "PATCH /api/v1/products/{record_id}": ADMINS,
    "GET /api/v1/opportunities": ANYONE,  # agents: an empty list
    "POST /api/v1/opportunities": SALES,
    "GET /api/v1/opportunities/{record_id}": OWNED,
    "PATCH /api/v1/opportunities/{record_id}": OWNED_SALES,
    "POST /api/v1/opportunities/{opportunity_id}/line-items": OWNED_SALES,
    "PATCH /api/v1/opportunities/{opportunity_id}/line-items/{item_id}": OWNED_SALES,
    "DELETE /api/v1/opportunities/{opportunity_id}/line-items/{item_id}": OWNED_SALES,
    "GET /api/v1/opportunities/{opportunity_id}/stage-history": OWNED,
    "GET /api/v1/opportunities/{opportunity_id}/history": OWNED,
    "GET /api/v1/opportunity-stages": SALES,
    "PUT /api/v1/opportunity-stages": ADMINS,
    "GET /api/v1/accounts/{account_id}/360": ANYONE,
    "GET /api/v1/activities": ANYONE,
    "POST /api/v1/activities": ANYONE,
    "GET /api/v1/activities/today": ANYONE,
    "GET /api/v1/activities/{activity_id}": OWNED,  # the rep's call about their deal
    "PATCH /api/v1/activities/{activity_id}": OWNED,
    "GET /api/v1/accounts/{record_id}/activities": ANYONE,
    "GET /api/v1/contacts/{record_id}/activities": ANYONE,
    "GET /api/v1/opportunities/{record_id}/activities": OWNED,
    "GET /api/v1/leads/{record_id}/activities": OWNED,
    "GET /api/v1/forecasts": SALES,
    "POST /api/v1/forecasts/adjustments": MANAGERS,
    "GET /api/v1/forecasts/adjustments": SALES,
    "GET /api/v1/forecasts/opportunities": SALES,
    "GET /api/v1/quotas": SALES,
    "PUT /api/v1/quotas/{user_id}/{period}": MANAGERS,  # the rep's quota: their manager's call
    "GET /api/v1/forecast-settings": SALES,
    "PUT /api/v1/forecast-settings": ADMINS,
    "GET /api/v1/pipeline": SALES,
    "GET /api/v1/analytics": SALES,
    "GET /api/v1/reports": SALES,
    "POST /api/v1/reports": SALES,
    "GET /api/v1/reports/{report_id}": OWNER_AND_ADMIN,
    "PATCH /api/v1/reports/{report_id}": OWNER_AND_ADMIN,
    "DELETE /api/v1/reports/{report_id}": OWNER_AND_ADMIN,
    "GET /api/v1/reports/{report_id}/run": OWNER_AND_ADMIN,
    "GET /api/v1/dashboards": SALES,
    "POST /api/v1/dashboards": SALES,
    "GET /api/v1/dashboards/{dashboard_id}": OWNER_AND_ADMIN,
    "PATCH /api/v1/dashboards/{dashboard_id}": OWNER_AND_ADMIN,
    "DELETE /api/v1/dashboards/{dashboard_id}": OWNER_AND_ADMIN,
    "GET /api/v1/dashboards/{dashboard_id}/run": OWNER_AND_ADMIN,
}

PLAIN, STALE_IF_MATCH = "plain", "stale If-Match"  # the two calls of an operation that takes If-Match

IF_MATCH = {"$ref": "#/components/parameters/IfMatch"}
STALE = '"999"'  # no record here reaches version 999


@pytest.fixture
def services(every_service):
    return every_service


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url


@pytest.fixture
def records(client, team):
    """The records the path parameters name, as the roles' callers own them: the rep's
    account, contact, lead, opportunity (with a line item), activity, report and
    dashboard; the admin's product; the agent's case on the rep's account."""
    rep, agent, admin = team["rep1"], team["agent"][1], team["admin"][1]
    auth = rep[1]
    account = made(client.post("/api/v1/accounts", headers=auth, json={"name": "Acme", "domain": "acme.example"}))
    contact = made(client.post("/api/v1/contacts", headers=auth, json={
        "account_id": account["id"], "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example"}))
    product = made(client.post("/api/v1/products", headers=admin, json={
        "name": "Seat", "code": "SEAT-1", "list_price": {"amount": "100.00", "currency": "USD"}}))
    opportunity = made(client.post("/api/v1/opportunities", headers=auth, json={
        "name": "Acme - seats", "account_id": account["id"], "currency": "USD"}))

    def line_item() -> str:
        added = made(client.post(f"/api/v1/opportunities/{opportunity['id']}/line-items", headers=auth,
                                 json={"product_id": product["id"], "quantity": "1"}))
        return added["line_items"][-1]["id"]

    lead = made(client.post("/api/v1/leads", headers=auth, json={
        "first_name": "Grace", "last_name": "Hopper", "email": "grace@acme.example", "company": "Acme"}))
    activity = made(client.post("/api/v1/activities", headers=auth, json={
        "type": "call", "subject": "Discovery call", "related_to": {"type": "opportunity", "id": opportunity["id"]},
        "due_date": "2026-12-01"}))
    case = made(client.post("/api/v1/cases", headers=agent, json={
        "subject": "Seat limit reached", "priority": "high", "origin": "email", "account_id": account["id"],
        "contact": {"name": "Ada Lovelace", "email": "ada@acme.example"}}))

    def report() -> str:
        return made(client.post("/api/v1/reports", headers=auth, json={
            "name": "By stage", "source": "opportunities", "group_by": ["stage"],
            "aggregates": [{"fn": "count"}]}))["id"]

    def dashboard() -> str:
        return made(client.post("/api/v1/dashboards", headers=auth, json={"name": "Mine", "reports": [report()]}))["id"]

    shared = {"user_id": rep[0]["id"], "lead_id": lead["id"], "case_id": case["id"], "account_id": account["id"],
              "notification_id": UNKNOWN_ID, "opportunity_id": opportunity["id"], "item_id": line_item(),
              "activity_id": activity["id"], "report_id": report(), "dashboard_id": dashboard(),
              "period": "2026-Q4"}
    # record_id is the record of the kind its path names; a DELETE gets a fresh record.
    by_kind = {"accounts": account["id"], "contacts": contact["id"], "products": product["id"],
               "opportunities": opportunity["id"], "leads": lead["id"]}
    fresh = {"item_id": line_item, "report_id": report, "dashboard_id": dashboard}
    # Where an empty body would stop at validation before the record is looked up.
    bodies = {"POST /api/v1/opportunities/{opportunity_id}/line-items": {"product_id": product["id"],
                                                                          "quantity": "1"}}

    def url(method: str, path: str) -> str:
        values = dict(shared)
        if "{record_id}" in path:  # /api/v1/<kind>/{record_id}...
            values["record_id"] = by_kind[path.split("/")[3]]
        if method == "delete":
            values.update({name: make() for name, make in fresh.items() if "{" + name + "}" in path})
        return path.format(**values)

    def requests(method: str, path: str, op: dict) -> list[tuple[str, str, dict]]:
        """[(PLAIN or STALE_IF_MATCH, url, keyword arguments of the test client's call)]."""
        body = {"json": bodies.get(f"{method.upper()} {path}", {})} if "requestBody" in op else {}
        plain = (PLAIN, url(method, path), {**body, "headers": {}})
        if IF_MATCH not in op.get("parameters", []):
            return [plain]
        stale = (STALE_IF_MATCH, url(method, path), {**body, "headers": {"If-Match": STALE}})
        # Where If-Match is required, a call without it is not a minimal request but a 428 for anyone.
        return [stale] if "428" in op["responses"] else [plain, stale]

    return requests


def operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, op) for path, item in doc["paths"].items() for method, op in item.items()
            if method in METHODS]


def expected_status(expected, who: str | None) -> str:
    """"401", "403", "404", "ok" (neither 401, 403 nor 5xx) or "any" (not 5xx)."""
    if expected == PUBLIC:
        return "any"
    if who is None:
        return "401"
    return {"ok": "ok", "hidden": "404", "forbidden": "403"}[expected[who]]


def test_every_role_on_every_route(client, team, records):
    doc = made(client.get("/api/v1/openapi.json"), 200)
    ops = operations(doc)
    names = {f"{method.upper()} {path}" for method, path, _ in ops}
    assert not names - EXPECTED.keys(), f"say who may call these (EXPECTED): {sorted(names - EXPECTED.keys())}"
    assert not EXPECTED.keys() - names, f"no longer documented: {sorted(EXPECTED.keys() - names)}"

    callers = {ADMIN: team["admin"][1], MANAGER: team["manager"][1], REP: team["rep1"][1], PEER: team["rep3"][1],
               AGENT: team["agent"][1]}
    problems = []
    for method, path, op in ops:
        name = f"{method.upper()} {path}"
        for who in (None, *ROLES):
            for variant, url, kwargs in records(method, path, op):
                headers = {**kwargs.pop("headers"), **callers.get(who, {})}
                response = getattr(client, method)(url, headers=headers, **kwargs)
                got, want = response.status_code, expected_status(EXPECTED[name], who)
                if want in ("ok", "any"):
                    wrong = got >= 500 or (want == "ok" and got in (401, 403))
                else:
                    wrong = str(got) != want
                undocumented = str(got) not in op["responses"]
                if wrong or undocumented:
                    problems.append(f"{name} as {who or 'anonymous'} ({variant}): got {got}, expected {want}"
                                    f"{' (undocumented status)' if undocumented else ''}: "
                                    f"{response.get_data(as_text=True)[:200]}")
    assert not problems, "\n".join(problems)
