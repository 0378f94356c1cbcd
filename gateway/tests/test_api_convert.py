"""POST /api/v1/leads/{id}/convert across real servers: the gateway asks leads, whose
gRPC server asks sales (SALES_GRPC_ADDR), each on its own PostgreSQL database."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from tandem_plumbing.db import session_factory, transaction

from tandem_leads import use_cases as leads_use_cases
from tandem_leads.adapters.models import reps
from tandem_sales.adapters.models import owners

LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example", "company": "Acme Inc",
        "status": "qualified"}


@pytest.fixture
def services(run_service, monkeypatch):
    running = {"leads": run_service("tandem_leads", reps), "sales": run_service("tandem_sales", owners)}
    monkeypatch.setenv("SALES_GRPC_ADDR", running["sales"].address)  # where the leads server finds sales
    return running


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url


def lead_of(client, auth, **values):
    response = client.post("/api/v1/leads", json={**LEAD, **values}, headers=auth)
    assert response.status_code == 201, response.json
    return response.json


def test_a_conversion_makes_the_records_once(client, team):
    auth = team["rep1"][1]
    lead = lead_of(client, auth)
    url = f"/api/v1/leads/{lead['id']}/convert"
    body = {"opportunity_name": "Acme - 50 seats", "amount": {"amount": "12000.00", "currency": "USD"},
            "close_date": "2026-12-31"}
    first = client.post(url, json=body, headers=auth)
    assert first.status_code == 200, first.json
    ids = first.json
    assert set(ids) == {"lead_id", "account_id", "contact_id", "opportunity_id", "account_created"}
    assert (ids["lead_id"], ids["account_created"]) == (lead["id"], True)
    again = client.post(url, json={"opportunity_name": "something else"}, headers=team["manager"][1])
    assert (again.status_code, again.json) == (200, ids)

    converted = client.get(f"/api/v1/leads/{lead['id']}", headers=auth).json
    assert converted["status"] == "converted" and converted["version"] == lead["version"] + 1
    assert {k: converted["conversion"][k] for k in ("account_id", "contact_id", "opportunity_id")} == {
        k: ids[k] for k in ("account_id", "contact_id", "opportunity_id")}
    assert converted["conversion"]["converted_by"] == team["rep1"][0]["id"]
    opportunity = client.get(f"/api/v1/opportunities/{ids['opportunity_id']}", headers=auth)
    assert opportunity.status_code == 200, opportunity.json
    assert (opportunity.json["name"], opportunity.json["amount"], opportunity.json["lead_id"]) == (
        "Acme - 50 seats", "12000.00", lead["id"])
    by_account = client.get("/api/v1/leads", query_string={"account_id": ids["account_id"]}, headers=auth).json
    assert [item["id"] for item in by_account["items"]] == [lead["id"]]

    # A second lead at the same email domain joins the same account.
    other = lead_of(client, auth, first_name="Bea", email="bea@ACME.example")
    second = client.post(f"/api/v1/leads/{other['id']}/convert", headers=auth).json
    assert (second["account_id"], second["account_created"]) == (ids["account_id"], False)


def test_concurrent_conversions_give_one_set_of_ids(client, team):
    auth = team["rep1"][1]
    lead = lead_of(client, auth)
    url = f"/api/v1/leads/{lead['id']}/convert"
    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(lambda _: client.post(url, headers=auth), range(5)))
    assert [r.status_code for r in responses] == [200] * 5, [r.json for r in responses]
    assert len({tuple(sorted(r.json.items())) for r in responses}) == 1


def test_an_idempotency_key_replays_the_first_answer(client, team):
    auth = {**team["rep1"][1], "Idempotency-Key": "convert-1"}
    lead = lead_of(client, team["rep1"][1])
    url = f"/api/v1/leads/{lead['id']}/convert"
    first = client.post(url, json={}, headers=auth)
    again = client.post(url, json={}, headers=auth)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    other = client.post(url, json={"close_date": "2027-01-31"}, headers=auth)
    assert other.status_code == 422  # the same key for another request


def test_a_refusal_of_sales_comes_through_and_changes_nothing(client, team):
    auth = team["rep1"][1]
    lead = lead_of(client, auth)
    response = client.post(f"/api/v1/leads/{lead['id']}/convert", json={"account_id": "no-such-account"},
                           headers=auth)
    assert response.status_code == 404, response.json
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=auth).json == lead


def test_a_referred_lead_carries_its_referral_into_the_opportunity(client, team, services):
    rep = team["rep1"]
    data = {"referral": {"id": "ref-1", "case_id": "case-1", "case_number": "00001042", "kind": "upsell",
                         "product_interest": "50 more seats", "agent_id": team["agent"][0]["id"],
                         "estimated_value": {"amount": "48000.00", "currency": "EUR"}},
            "case": {"id": "case-1", "number": "00001042", "subject": "Seat limit"},
            "contact": {"name": "Carla Customer", "email": "carla@acme.example", "company": "Acme Corp"}}
    with transaction(session_factory(services["leads"].engine)) as session:  # what the leads consumer does
        lead = leads_use_cases.receive_referral(session, data, "req-1")
        leads_use_cases.update_lead(session, leads_use_cases.Caller("admin", "admin"), lead.id,
                                    {"status": "qualified"}, owner_id=rep[0]["id"])
    ids = client.post(f"/api/v1/leads/{lead.id}/convert", headers=rep[1]).json
    opportunity = client.get(f"/api/v1/opportunities/{ids['opportunity_id']}", headers=rep[1]).json
    assert [(r["referral_id"], r["case_id"], r["product_interest"]) for r in opportunity["referrals"]] == [
        ("ref-1", "case-1", "50 more seats")]
    assert (opportunity["amount"], opportunity["currency"]) == ("48000.00", "EUR")  # the referral's estimate
