"""Idempotency-Key on every creating POST of the served OpenAPI document, against real gRPC
servers of every service (each on its own PostgreSQL database).

Every POST that answers 201 or 202 must take the key; every operation that takes it must
document 422 (idempotency_key_reused) and have an entry in CASES: who calls it, a valid
body numbered n (a different n is a different request) and the table where its record
lands. A new creating route without either fails here. For each: the same key twice gives
the same status and body once, marked `Idempotent-Replayed: true`; the same key with
another body is 422 and writes nothing; concurrent requests with one key create one record
and all get the same answer; a key older than 24 hours is not replayed."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

import pytest
from sqlalchemy import func, select, text, update

from tandem_gateway.adapters.models import idempotency_keys
from tandem_gateway.http import web_to_lead_routes
from tandem_gateway.http.limits import TokenBuckets

from .conftest import made

KEY = {"$ref": "#/components/parameters/IdempotencyKey"}
CONCURRENT = 4


@dataclass(frozen=True)
class Case:
    caller: str | None  # a name in the team fixture; None: anonymous (the public form)
    body: Callable[[int, dict[str, str]], dict[str, Any]]  # (n, the records' ids) -> a valid body
    table: tuple[str, str]  # (service or "gateway", table) that gains one row per creation
    renews: bool = True  # an expired key's repeat creates again (not: the record is unique by nature)


CASES: dict[str, Case] = {
    "POST /api/v1/users": Case("admin", lambda n, ids: {
        "email": f"new{n}@example.com", "name": "New One", "password": "password-123", "role": "sales_rep"},
        ("gateway", "users"), renews=False),  # the email is taken then: 409
    "POST /api/v1/leads": Case("rep1", lambda n, ids: {
        "first_name": "Grace", "last_name": f"Hopper {n}", "email": f"grace{n}@hopper.example", "company": "Hopper",
        "allow_duplicate": True}, ("leads", "leads")),
    "POST /api/v1/leads/{lead_id}/convert": Case("rep1", lambda n, ids: {"opportunity_name": f"Deal {n}"},
                                                 ("sales", "opportunities"), renews=False),  # the same ids again
    "POST /api/v1/cases": Case("agent", lambda n, ids: {"subject": f"Seat limit {n}", "priority": "high",
                                                        "origin": "email"}, ("service_desk", "cases")),
    "POST /api/v1/cases/{case_id}/comments": Case("agent", lambda n, ids: {"body": f"Looking into it ({n})"},
                                                  ("service_desk", "case_comments")),
    "POST /api/v1/cases/{case_id}/referrals": Case("agent", lambda n, ids: {
        "kind": "upsell", "product_interest": f"{n} more seats"}, ("service_desk", "referrals")),
    "POST /api/v1/accounts": Case("rep1", lambda n, ids: {"name": f"Initech {n}"}, ("sales", "accounts")),
    "POST /api/v1/contacts": Case("rep1", lambda n, ids: {"first_name": "Ada", "last_name": f"Lovelace {n}"},
                                  ("sales", "contacts")),
    "POST /api/v1/products": Case("admin", lambda n, ids: {
        "name": f"Seat {n}", "list_price": {"amount": "100.00", "currency": "USD"}}, ("sales", "products")),
    "POST /api/v1/opportunities": Case("rep1", lambda n, ids: {"name": f"Deal {n}", "account_id": ids["account"]},
                                       ("sales", "opportunities")),
    "POST /api/v1/opportunities/{opportunity_id}/line-items": Case("rep1", lambda n, ids: {
        "product_id": ids["product"], "quantity": str(n)}, ("sales", "line_items")),
    "POST /api/v1/activities": Case("rep1", lambda n, ids: {
        "type": "call", "subject": f"Call {n}", "related_to": {"type": "account", "id": ids["account"]}},
        ("sales", "activities")),
    "POST /api/v1/forecasts/adjustments": Case("manager", lambda n, ids: {
        "user_id": ids["rep1"], "period": "2026-Q4", "category": "commit", "amount": f"{1000 + n}.00",
        "reason": "a big deal is coming"}, ("forecast", "adjustments")),
    "POST /api/v1/reports": Case("rep1", lambda n, ids: {
        "name": f"By stage {n}", "source": "opportunities", "group_by": ["stage"], "aggregates": [{"fn": "count"}]},
        ("forecast", "reports")),
    "POST /api/v1/dashboards": Case("rep1", lambda n, ids: {"name": f"Mine {n}", "reports": [ids["report"]]},
                                    ("forecast", "dashboards")),
    "POST /api/v1/web-to-lead": Case(None, lambda n, ids: {
        "first_name": "Web", "last_name": f"Visitor {n}", "email": f"visitor{n}@example.org", "company": "Visitors"},
        ("leads", "leads"), renews=False),  # a duplicate of an open lead is written nowhere
}


@pytest.fixture
def services(every_service):
    return every_service


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url


@pytest.fixture
def setting(app, client, team):
    """(ids of the records the bodies name, path(op) -> a URL with fresh path records)."""
    app.extensions[web_to_lead_routes._BUCKETS] = TokenBuckets(1_000, seconds=600)  # many submissions here
    rep, agent, admin = team["rep1"][1], team["agent"][1], team["admin"][1]
    account = made(client.post("/api/v1/accounts", headers=rep, json={"name": "Acme", "domain": "acme.example"}))
    product = made(client.post("/api/v1/products", headers=admin, json={
        "name": "Seat", "list_price": {"amount": "100.00", "currency": "USD"}}))
    report = made(client.post("/api/v1/reports", headers=rep, json={
        "name": "Mine", "source": "opportunities", "group_by": ["stage"], "aggregates": [{"fn": "count"}]}))
    ids = {"account": account["id"], "product": product["id"], "report": report["id"], "rep1": team["rep1"][0]["id"]}
    counter = iter(range(1_000))

    def fresh(name: str) -> str:
        n = next(counter)
        if name == "lead_id":  # each conversion needs a lead not yet converted
            return made(client.post("/api/v1/leads", headers=rep, json={
                "first_name": "Lin", "last_name": f"Lead {n}", "email": f"lin{n}@lead.example", "company": "Lead",
                "status": "qualified"}))["id"]
        if name == "case_id":  # with a contact: a referral needs one
            return made(client.post("/api/v1/cases", headers=agent, json={
                "subject": f"Case {n}", "priority": "low", "origin": "web",
                "contact": {"name": "Ada", "email": "ada@acme.example"}}))["id"]
        assert name == "opportunity_id", name
        return made(client.post("/api/v1/opportunities", headers=rep, json={
            "name": f"Acme {n}", "account_id": account["id"], "currency": "USD"}))["id"]

    def path(op: str) -> str:
        template = op.split(" ", 1)[1]
        names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
        return template.format(**{name: fresh(name) for name in names})

    return ids, path


@pytest.fixture
def count(gw, services):
    def count(table: tuple[str, str]) -> int:
        service, name = table
        query = text(f"SELECT count(*) FROM {name}")  # noqa: S608 (a name from CASES)
        if service == "gateway":
            with gw.sessions() as session:
                return session.execute(query).scalar_one()
        with services[service].engine.connect() as connection:
            return connection.execute(query).scalar_one()

    return count


def test_every_creating_post_takes_the_key_and_documents_422(client):
    doc = made(client.get("/api/v1/openapi.json"), 200)
    problems = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            name, keyed = f"{method.upper()} {path}", KEY in op.get("parameters", [])
            if method == "post" and {"201", "202"} & op["responses"].keys() and not keyed:
                problems.append(f"{name} creates but takes no Idempotency-Key")
            if keyed and "422" not in op["responses"]:
                problems.append(f"{name} takes Idempotency-Key but does not document 422 idempotency_key_reused")
            if keyed and name not in CASES:
                problems.append(f"{name} takes Idempotency-Key: add it to CASES")
            if keyed and "Idempotent-Replayed" not in str(op["responses"]):
                problems.append(f"{name} does not document the Idempotent-Replayed header")
    assert not problems, "\n".join(problems)
    keyed_ops = {f"{m.upper()} {p}" for p, item in doc["paths"].items() for m, op in item.items()
                 if isinstance(op, dict) and KEY in op.get("parameters", [])}
    assert not CASES.keys() - keyed_ops, f"no longer documented: {sorted(CASES.keys() - keyed_ops)}"


def _answer(response) -> tuple:
    return response.status_code, response.get_json(), response.headers.get("Location")


def test_every_keyed_post_creates_once(app, client, gw, team, setting, count):
    ids, path = setting
    callers = {name: auth for name, (_user, auth) in team.items()}
    problems: list[str] = []

    def post(op: str, url: str, key: str, n: int, test_client=client):
        case = CASES[op]
        headers = {"Idempotency-Key": key, **(callers[case.caller] if case.caller else {})}
        return test_client.post(url, json=case.body(n, ids), headers=headers)

    def check(op: str, what: str, ok: bool, response=None) -> None:
        if not ok:
            got = f" ({response.status_code} {response.get_data(as_text=True)[:200]})" if response is not None else ""
            problems.append(f"{op}: {what}{got}")

    for op, case in CASES.items():
        # The same key twice: one record, the first answer replayed.
        first_url = url = path(op)
        key = f"{op} first"
        before = count(case.table)
        first = post(op, url, key, 1)
        if first.status_code >= 300:
            check(op, "the first request failed", False, first)
            continue
        again = post(op, url, key, 1)
        check(op, "a retry does not replay the first answer", _answer(again) == _answer(first), again)
        check(op, "a replay is not marked", again.headers.get("Idempotent-Replayed") == "true", again)
        check(op, "the first answer is marked as a replay", "Idempotent-Replayed" not in first.headers, first)
        check(op, f"{count(case.table) - before} records, not 1", count(case.table) == before + 1)

        # The same key with another body: 422, nothing written.
        before = count(case.table)
        other = post(op, url, key, 2)
        check(op, "another body with the key is not 422 idempotency_key_reused",
              (other.status_code, (other.get_json() or {}).get("error", {}).get("code"))
              == (422, "idempotency_key_reused"), other)
        check(op, "another body with the key wrote something", count(case.table) == before)

        # One key, several requests at once: one record, one answer.
        url, key, barrier = path(op), f"{op} race", threading.Barrier(CONCURRENT)
        before = count(case.table)

        def attempt(_):
            own = app.test_client()
            barrier.wait()
            return post(op, url, key, 3, own)

        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = list(pool.map(attempt, range(CONCURRENT)))
        check(op, f"concurrent answers differ: {sorted({a.status_code for a in answers})}",
              len({repr(_answer(a)) for a in answers}) == 1 and answers[0].status_code < 300, answers[0])
        check(op, "not exactly one concurrent request did the work",
              sum("Idempotent-Replayed" not in a.headers for a in answers) == 1)
        check(op, f"{count(case.table) - before} records from concurrent requests, not 1",
              count(case.table) == before + 1)

        # A key older than 24 hours is forgotten: the request runs again.
        with gw.sessions.begin() as session:
            session.execute(update(idempotency_keys).where(idempotency_keys.c.key == f"{op} first")
                            .values(created_at=idempotency_keys.c.created_at - timedelta(hours=25)))
        before = count(case.table)
        late = post(op, first_url, f"{op} first", 1)
        check(op, "a key older than 24 hours was replayed", "Idempotent-Replayed" not in late.headers, late)
        check(op, "a key older than 24 hours gave a server error", late.status_code < 500, late)
        if case.renews:
            check(op, "a key older than 24 hours did not create again",
                  late.status_code == first.status_code and count(case.table) == before + 1, late)
            with gw.sessions() as session:
                kept = session.execute(select(func.count()).select_from(idempotency_keys)
                                       .where(idempotency_keys.c.key == f"{op} first")).scalar_one()
            check(op, "the expired key was not claimed anew", kept == 1)
    assert not problems, "\n".join(problems)
