"""/api/v1/accounts/{id}/360 through the Flask app, composed from real sales,
service_desk and leads gRPC servers (each on its own PostgreSQL database); then with
leads down or silent, and with sales down."""
from __future__ import annotations

import threading
import time
from concurrent import futures
from dataclasses import replace

import grpc
import pytest
from tandem.leads.v1 import leads_pb2, leads_pb2_grpc
from tandem_plumbing.grpc_client import ServiceUnavailable, channel
from tandem_plumbing.rpc import Caller, RpcFailure, caller_metadata

from tandem_gateway.http import create_app
from tandem_gateway.http.customer360_routes import DEADLINE_SECONDS, _missing
from tandem_leads.adapters import models as leads_models
from tandem_sales.adapters import models as sales_models
from tandem_service_desk.adapters import models as desk_models

from .conftest import made

PARTS = ["account", "contacts", "opportunities", "cases", "referrals", "leads", "activities", "children", "missing"]


@pytest.fixture
def services(run_service, monkeypatch):
    sales = run_service("tandem_sales", sales_models.owners)
    monkeypatch.setenv("SALES_GRPC_ADDR", sales.address)  # where leads converts
    return {"sales": sales, "service_desk": run_service("tandem_service_desk", desk_models.agents),
            "leads": run_service("tandem_leads", leads_models.reps)}


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url


def _as(user: dict) -> tuple:
    return caller_metadata(Caller(user_id=user["id"], role=user["role"], request_id="test"))


@pytest.fixture
def customer(client, team, services, admin_auth):
    """rep's account at acme.example with a child account, a contact, an opportunity, an
    activity, a converted lead and open and closed leads at its domain; the agent's case
    on it with a referral."""
    (rep, auth), agent_auth = team["rep1"], team["agent"][1]
    account = made(client.post("/api/v1/accounts", headers=auth, json={"name": "Acme", "domain": "acme.example"}))
    child = made(client.post("/api/v1/accounts", headers=auth, json={"name": "Acme EU", "parent_id": account["id"]}))
    contact = made(client.post("/api/v1/contacts", headers=auth, json={
        "account_id": account["id"], "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example"}))
    opportunity = made(client.post("/api/v1/opportunities", headers=auth, json={
        "name": "Acme - seats", "account_id": account["id"], "amount": "5000", "currency": "USD"}))
    activity = made(client.post("/api/v1/activities", headers=auth, json={
        "type": "call", "subject": "Discovery call", "related_to": {"type": "opportunity", "id": opportunity["id"]},
        "due_date": "2026-12-01"}))

    def lead(email: str, **extra) -> dict:
        return made(client.post("/api/v1/leads", headers=auth, json={
            "first_name": email.split("@")[0], "last_name": "Person", "email": email, "company": "Acme", **extra}))

    open_lead = lead("grace@acme.example")
    closed_lead = lead("bob@acme.example")
    made(client.patch(f"/api/v1/leads/{closed_lead['id']}", headers=auth,
                      json={"status": "unqualified", "status_reason": "no budget"}), 200)
    lead("carol@elsewhere.example")
    converted = lead("dan@other.example")
    conversion = leads_pb2_grpc.LeadsStub(channel(services["leads"].address)).ConvertLead(
        leads_pb2.ConvertLeadRequest(id=converted["id"], account_id=account["id"]), metadata=_as(rep), timeout=5)

    case = made(client.post("/api/v1/cases", headers=agent_auth, json={
        "subject": "Seat limit reached", "priority": "high", "origin": "email", "account_id": account["id"],
        "contact": {"name": "Ada Lovelace", "email": "ada@acme.example"}}))
    referral = made(client.post(f"/api/v1/cases/{case['id']}/referrals", headers=agent_auth,
                                json={"kind": "upsell", "product_interest": "50 more seats"}), 202)
    return {"account": account, "child": child, "contact": contact, "opportunity": opportunity,
            "activity": activity, "open_lead": open_lead, "converted": converted, "conversion": conversion,
            "case": case,
            "referral": referral}


def test_the_360_composes_every_service(client, team, customer):
    account = customer["account"]
    response = client.get(f"/api/v1/accounts/{account['id']}/360", headers=team["rep1"][1])
    view = made(response, 200)
    assert list(view) == PARTS and view["missing"] == []
    assert view["account"] == account
    conversion = customer["conversion"]
    assert conversion.account_id == account["id"]
    assert sorted(c["id"] for c in view["contacts"]) == sorted([customer["contact"]["id"], conversion.contact_id])
    assert sorted(o["id"] for o in view["opportunities"]["open"]) == sorted(
        [customer["opportunity"]["id"], conversion.opportunity_id])
    assert view["opportunities"]["closed"] == []
    assert [c["id"] for c in view["cases"]] == [customer["case"]["id"]]
    assert [r["id"] for r in view["referrals"]] == [customer["referral"]["id"]]
    assert sorted(lead["id"] for lead in view["leads"]) == sorted(
        [customer["open_lead"]["id"], customer["converted"]["id"]])  # not the unqualified one, not elsewhere's
    assert [(a["id"], a["subject"]) for a in view["activities"]] == [(customer["activity"]["id"], "Discovery call")]
    assert [c["id"] for c in view["children"]] == [customer["child"]["id"]]


def test_who_may_see_what(client, team, customer):
    url = f"/api/v1/accounts/{customer['account']['id']}/360"
    agent_view = made(client.get(url, headers=team["agent"][1]), 200)  # agents see accounts and cases ...
    assert [c["id"] for c in agent_view["cases"]] == [customer["case"]["id"]]
    assert agent_view["opportunities"] == {"open": [], "closed": []}  # ... but no deals and no leads
    assert agent_view["leads"] == [] and agent_view["missing"] == [{"service": "leads", "reason": "not_permitted"}]
    other = made(client.get(url, headers=team["rep2"][1]), 200)
    assert other["opportunities"]["open"] == [] and other["leads"] == []
    assert client.get("/api/v1/accounts/no-such-account/360", headers=team["rep1"][1]).status_code == 404
    assert client.get(f"{url}?detail=full", headers=team["rep1"][1]).status_code == 400
    assert client.get(url).status_code == 401


class _Hung(grpc.GenericRpcHandler):
    """Takes every call and answers none in time: a service that hangs."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def service(self, handler_call_details):
        return grpc.unary_unary_rpc_method_handler(self._hang)  # no (de)serializers: bytes in and out

    def _hang(self, request: bytes, context) -> bytes:
        self.released.wait(30)
        return b""


@pytest.fixture
def silent_port():
    """A port where a gRPC server accepts calls and never answers them."""
    hung = _Hung()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[hung])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield port
    hung.released.set()
    server.stop(0)


@pytest.mark.parametrize("leads_is", ["down", "silent"])
def test_without_leads_the_rest_arrives_within_the_deadline(config, passwords, team, customer, free_port,
                                                            silent_port, leads_is):
    port = free_port() if leads_is == "down" else silent_port  # nothing listens / nothing answers in time
    app = create_app(replace(config, service_addrs={**config.service_addrs, "leads": f"127.0.0.1:{port}"}), passwords)
    started = time.monotonic()
    response = app.test_client().get(f"/api/v1/accounts/{customer['account']['id']}/360", headers=team["rep1"][1])
    elapsed = time.monotonic() - started
    app.extensions["tandem_gateway"].engine.dispose()
    view = made(response, 200)
    assert view["missing"] == [{"service": "leads", "reason": "unavailable"}] and view["leads"] == []
    assert [c["id"] for c in view["cases"]] == [customer["case"]["id"]]
    assert len(view["opportunities"]["open"]) == 2 and view["contacts"]
    assert elapsed < DEADLINE_SECONDS + 0.5, elapsed
    if leads_is == "silent":
        assert elapsed > DEADLINE_SECONDS - 0.5, elapsed  # it was waited for, up to the deadline


def test_without_the_service_desk_the_cases_are_named_missing(client, team, customer, services):
    services["service_desk"].server.stop(0)
    view = made(client.get(f"/api/v1/accounts/{customer['account']['id']}/360", headers=team["rep1"][1]), 200)
    assert view["missing"] == [{"service": "service_desk", "reason": "unavailable"}]
    assert view["cases"] == view["referrals"] == [] and len(view["leads"]) == 2


def test_without_sales_there_is_no_account_to_show(client, team, customer, services):
    services["sales"].server.stop(0)
    response = client.get(f"/api/v1/accounts/{customer['account']['id']}/360", headers=team["rep1"][1])
    assert response.status_code == 503 and response.json["error"]["details"] == {"service": "sales"}


def test_how_a_missing_part_is_named():
    assert _missing("leads", ServiceUnavailable("leads", "down")) == {"service": "leads", "reason": "unavailable"}
    refused = RpcFailure("forbidden", "forbidden", "no")
    assert _missing("leads", refused) == {"service": "leads", "reason": "not_permitted"}
    odd = RpcFailure("invalid", "validation_failed", "bad")
    assert _missing("service_desk", odd) == {"service": "service_desk", "reason": "failed", "code": "validation_failed"}
