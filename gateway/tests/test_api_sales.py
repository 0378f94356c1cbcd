"""/api/v1/accounts, /contacts, /products, /opportunities (line items, stage history) and
/opportunity-stages through the Flask app, against a real sales gRPC server on its own
PostgreSQL database. Users are created through the API and copied into the sales
directory as its consumer would."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tandem_sales.adapters import models

from .conftest import made

ACCOUNT = {"name": "Acme Corp", "domain": "ACME.example", "industry": "Manufacturing", "employees": 250}
OPPORTUNITY_FIELDS = ["id", "name", "account_id", "owner_id", "amount", "currency", "close_date", "stage",
                      "probability", "forecast_category", "forecast_category_overridden", "next_step", "description",
                      "lead_id", "primary_contact_id", "loss_reason", "referrals", "line_items", "is_closed", "is_won",
                      "closed_at", "created_at", "updated_at", "version"]


@pytest.fixture
def services(run_service) -> dict:
    return {"sales": run_service("tandem_sales", models.owners)}


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url  # the gateway's own database: PostgreSQL only here (its own tests cover SQLite)


@pytest.fixture
def sales_rows(services):
    """sales_rows() -> {table: row count} of the sales records and the outbox."""
    tables = [models.metadata.tables[name] for name in ("accounts", "contacts", "products", "opportunities",
                                                         "line_items", "outbox")]

    def rows() -> dict[str, int]:
        with services["sales"].engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}

    return rows


def fields_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_failed"
    return response.json["error"]["details"]["fields"]


@pytest.fixture
def deal(client, team):
    """A product and rep1's account and opportunity: (account, product, opportunity)."""
    rep = team["rep1"][1]
    account = made(client.post("/api/v1/accounts", json=ACCOUNT, headers=rep))
    product = made(client.post("/api/v1/products", headers=team["admin"][1], json={
        "name": "Seat licence", "code": "SEAT-1", "list_price": {"amount": "120.00", "currency": "USD"}}))
    opportunity = made(client.post("/api/v1/opportunities", headers=rep, json={
        "name": "Acme - seats", "account_id": account["id"], "currency": "USD", "close_date": "2026-12-15"}))
    return account, product, opportunity


# -- accounts and contacts -----------------------------------------------------------------
def test_accounts_and_contacts_are_created_read_and_changed(client, team):
    rep1, auth = team["rep1"]
    response = client.post("/api/v1/accounts", json=ACCOUNT, headers=auth)
    account = made(response)
    assert response.headers["ETag"] == '"1"' and response.headers["Location"] == f"/api/v1/accounts/{account['id']}"
    assert list(account) == ["id", "name", "domain", "industry", "employees", "country", "website", "phone",
                             "description", "owner_id", "parent_id", "created_at", "updated_at", "version"]
    assert (account["domain"], account["owner_id"], account["employees"], account["phone"]) == (
        "acme.example", rep1["id"], 250, None)
    got = client.get(f"/api/v1/accounts/{account['id']}", headers=team["agent"][1])  # agents read accounts
    assert got.status_code == 200 and got.json == account and got.headers["ETag"] == '"1"'

    url = f"/api/v1/accounts/{account['id']}"
    changed = made(client.patch(url, json={"industry": None, "phone": "+1 555 0100"}, headers=auth), 200)
    assert (changed["industry"], changed["phone"], changed["version"]) == (None, "+1 555 0100", 2)
    stale = client.patch(url, json={"phone": "+1 555 0101"}, headers={**auth, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json["error"]["details"] == {"current_version": 2}
    assert stale.headers["ETag"] == '"2"'
    assert client.patch(url, json={"phone": "+1 555 0102"}, headers={**auth, "If-Match": '"2"'}).status_code == 200
    assert client.patch(url, json={"phone": "+1 555 0103"}, headers=team["agent"][1]).status_code == 403

    contact = made(client.post("/api/v1/contacts", headers=auth, json={
        "account_id": account["id"], "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Acme.example"}))
    assert list(contact) == ["id", "account_id", "first_name", "last_name", "email", "phone", "title", "owner_id",
                             "lead_id", "created_at", "updated_at", "version"]
    assert (contact["email"], contact["lead_id"], contact["owner_id"]) == ("ada@acme.example", None, rep1["id"])
    listed = client.get("/api/v1/contacts", query_string={"account_id": account["id"]}, headers=auth).json
    assert [c["id"] for c in listed["items"]] == [contact["id"]] and listed["next_page_token"] is None
    retitled = made(client.patch(f"/api/v1/contacts/{contact['id']}", json={"title": "CTO"}, headers=auth), 200)
    assert retitled["title"] == "CTO"


def test_bad_input_names_every_field_and_writes_nothing(client, team, sales_rows):
    before = sales_rows()
    auth = team["rep1"][1]
    body = {"domain": "acme.example", "id": "mine", "version": 3, "employees": "many", "colour": "red"}
    fields = fields_of(client.post("/api/v1/accounts", json=body, headers=auth))
    assert fields["id"] == fields["version"] == "is set by the server"
    assert fields["colour"] == "unknown field" and fields["employees"] == "must be a whole number"
    assert "name" in fields  # the service's own finding, in the same answer
    contact = fields_of(client.post("/api/v1/contacts", json={"first_name": 7, "lead_id": "x"}, headers=auth))
    assert contact["first_name"] == "must be a string" and contact["lead_id"] == "is set by the server"
    assert "last_name" in contact
    opportunity = fields_of(client.post("/api/v1/opportunities", headers=auth, json={
        "name": "Big deal", "amount": 1000.5, "probability": 90, "is_won": True, "line_items": [], "lead_id": "l",
        "referrals": [], "closed_at": None}))
    assert opportunity["amount"].startswith("must be a decimal string")
    assert {"probability", "is_won", "line_items", "lead_id", "referrals", "closed_at", "account_id"} <= set(
        opportunity)
    malformed = client.post("/api/v1/accounts", data="[1]", headers={**auth, "Content-Type": "application/json"})
    assert (malformed.status_code, malformed.json["error"]["code"]) == (400, "malformed_json")
    assert sales_rows() == before


def test_lists_filter_and_page_and_refuse_unknown_parameters(client, team):
    auth = team["admin"][1]
    for name in ("Beta", "Alpha", "Gamma"):
        made(client.post("/api/v1/accounts", json={"name": name, "owner_id": team["rep1"][0]["id"]}, headers=auth))

    def names(**params):
        return [a["name"] for a in made(client.get("/api/v1/accounts", query_string=params, headers=auth), 200)["items"]]

    assert names() == ["Alpha", "Beta", "Gamma"]
    assert names(q="amm") == ["Gamma"]
    first = made(client.get("/api/v1/accounts", query_string={"page_size": 2}, headers=auth), 200)
    rest = made(client.get("/api/v1/accounts", query_string={"page_size": 2, "page_token": first["next_page_token"]},
                           headers=auth), 200)
    assert [a["name"] for a in first["items"] + rest["items"]] == names() and rest["next_page_token"] is None
    bad = fields_of(client.get("/api/v1/opportunities", query_string={"colour": "red", "is_closed": "maybe",
                                                                      "page_size": 0}, headers=auth))
    assert set(bad) == {"colour", "is_closed", "page_size"}
    assert client.get("/api/v1/accounts").status_code == 401


def test_idempotency_key_replays_the_first_creation(client, team, sales_rows):
    headers = {**team["rep1"][1], "Idempotency-Key": "account-1"}
    first = client.post("/api/v1/accounts", json=ACCOUNT, headers=headers)
    again = client.post("/api/v1/accounts", json=ACCOUNT, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert sales_rows()["accounts"] == 1


# -- products ------------------------------------------------------------------------------
def test_admins_keep_the_catalogue_and_everyone_in_sales_reads_it(client, team):
    admin, rep = team["admin"][1], team["rep1"][1]
    body = {"name": "Support plan", "code": "SUP-1", "family": "Services", "list_price": {"amount": 900,
                                                                                          "currency": "EUR"}}
    assert client.post("/api/v1/products", json=body, headers=rep).status_code == 403
    product = made(client.post("/api/v1/products", json=body, headers=admin))
    assert list(product) == ["id", "name", "code", "description", "family", "list_price", "active", "created_at",
                             "updated_at", "version"]
    assert product["list_price"]["currency"] == "EUR" and product["active"] is True
    assert product["list_price"]["amount"] in ("900", "900.00")  # an integer is an exact amount
    floaty = fields_of(client.post("/api/v1/products", headers=admin, json={
        **body, "code": "SUP-2", "list_price": {"amount": 9.99, "currency": "EUR", "vat": "20"}}))
    assert set(floaty) == {"list_price.amount", "list_price.vat"}
    retired = made(client.patch(f"/api/v1/products/{product['id']}", json={"active": False}, headers=admin), 200)
    assert retired["active"] is False
    assert client.patch(f"/api/v1/products/{product['id']}", json={"active": True}, headers=rep).status_code == 403
    active = made(client.get("/api/v1/products", query_string={"active": "true"}, headers=rep), 200)
    inactive = made(client.get("/api/v1/products", query_string={"active": "false"}, headers=rep), 200)
    assert (active["items"], [p["id"] for p in inactive["items"]]) == ([], [product["id"]])


# -- opportunities, line items and the Sales Path --------------------------------------------
def test_an_opportunity_is_created_and_patched_only_with_if_match(client, team, deal):
    account, _product, opportunity = deal
    auth = team["rep1"][1]
    assert list(opportunity) == OPPORTUNITY_FIELDS
    assert (opportunity["stage"], opportunity["probability"], opportunity["forecast_category"]) == (
        "Qualification", 10, "pipeline")
    assert (opportunity["line_items"], opportunity["is_closed"], opportunity["amount"]) == ([], False, None)
    url = f"/api/v1/opportunities/{opportunity['id']}"
    assert made(client.get(url, headers=auth), 200) == opportunity

    required = client.patch(url, json={"next_step": "demo"}, headers=auth)
    assert (required.status_code, required.json["error"]["code"]) == (428, "precondition_required")
    stale = client.patch(url, json={"next_step": "demo"}, headers={**auth, "If-Match": '"7"'})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"1"'
    response = client.patch(url, json={"next_step": "demo", "amount": "25000.50", "forecast_category": "commit"},
                            headers={**auth, "If-Match": '"1"'})
    changed = made(response, 200)
    assert (changed["next_step"], changed["amount"], changed["version"]) == ("demo", "25000.50", 2)
    assert (changed["forecast_category"], changed["forecast_category_overridden"]) == ("commit", True)
    assert response.headers["ETag"] == '"2"'
    reset = made(client.patch(url, json={"forecast_category": None}, headers={**auth, "If-Match": '"2"'}), 200)
    assert (reset["forecast_category"], reset["forecast_category_overridden"]) == ("pipeline", False)
    owned = fields_of(client.patch(url, json={"probability": 80, "is_won": True},
                                   headers={**auth, "If-Match": '"3"'}))
    assert owned == {"probability": "is set by the server", "is_won": "is set by the server"}

    assert client.get(url, headers=team["rep2"][1]).status_code == 404  # another rep's deal
    assert client.get(url, headers=team["agent"][1]).status_code == 404
    assert client.get(url, headers=team["manager"][1]).status_code == 200  # the rep's manager
    mine = made(client.get("/api/v1/opportunities", query_string={"account_id": account["id"]}, headers=auth), 200)
    assert [o["id"] for o in mine["items"]] == [opportunity["id"]]
    assert made(client.get("/api/v1/opportunities", headers=team["agent"][1]), 200)["items"] == []


def test_line_items_set_the_amount(client, team, deal):
    _account, product, opportunity = deal
    auth = team["rep1"][1]
    items = f"/api/v1/opportunities/{opportunity['id']}/line-items"
    response = client.post(items, json={"product_id": product["id"], "quantity": 10, "discount": "10"}, headers=auth)
    added = made(response)
    assert response.headers["ETag"] == f'"{added["version"]}"'
    [item] = added["line_items"]
    assert list(item) == ["id", "product_id", "product_name", "quantity", "unit_price", "discount", "total",
                          "position"]
    assert (item["unit_price"], item["total"], added["amount"]) == ("120.00", "1080.00", "1080.00")
    floaty = fields_of(client.post(items, json={"product_id": product["id"], "quantity": 1.5, "total": "9"},
                                   headers=auth))
    assert floaty == {"quantity": floaty["quantity"], "total": "is set by the server"}
    assert floaty["quantity"].startswith("must be a decimal string")

    item_url = f"{items}/{item['id']}"
    stale = client.patch(item_url, json={"quantity": "2"}, headers={**auth, "If-Match": '"1"'})
    assert stale.status_code == 412
    changed = made(client.patch(item_url, json={"quantity": "2", "unit_price": "100"}, headers=auth), 200)
    assert changed["amount"] == "180.00" and changed["line_items"][0]["quantity"] in ("2", "2.00")
    no_product_change = fields_of(client.patch(item_url, json={"product_id": "other"}, headers=auth))
    assert "product_id" in no_product_change
    explicit = client.patch(f"/api/v1/opportunities/{opportunity['id']}", json={"amount": "5"},
                            headers={**auth, "If-Match": f'"{changed["version"]}"'})
    assert explicit.status_code == 422 and explicit.json["error"]["code"] == "amount_from_line_items"
    removed = made(client.delete(item_url, headers={**auth, "If-Match": f'"{changed["version"]}"'}), 200)
    assert removed["line_items"] == [] and removed["version"] == changed["version"] + 1


def test_the_sales_path_gates_stages_and_records_history(client, team, deal):
    _account, product, opportunity = deal
    auth = team["rep1"][1]
    url = f"/api/v1/opportunities/{opportunity['id']}"
    gated = client.patch(url, json={"stage": "Proposal"}, headers={**auth, "If-Match": '"1"'})
    assert gated.status_code == 422, gated.json
    assert gated.json["error"]["code"] == "stage_requirements_unmet"
    assert gated.json["error"]["details"]["missing"] == ["line_items"]
    added = made(client.post(f"{url}/line-items", json={"product_id": product["id"], "quantity": "1"}, headers=auth))
    proposal = made(client.patch(url, json={"stage": "Proposal"},
                                 headers={**auth, "If-Match": f'"{added["version"]}"'}), 200)
    assert (proposal["probability"], proposal["forecast_category"]) == (50, "best_case")
    won = made(client.patch(url, json={"stage": "Closed Won"},
                            headers={**auth, "If-Match": f'"{proposal["version"]}"'}), 200)
    assert (won["is_closed"], won["is_won"], won["probability"]) == (True, True, 100)
    assert won["closed_at"].endswith("Z")

    history = made(client.get(f"{url}/stage-history", headers=auth), 200)
    assert history["next_page_token"] is None
    assert [(c["from_stage"], c["to_stage"]) for c in history["items"]] == [
        (None, "Qualification"), ("Qualification", "Proposal"), ("Proposal", "Closed Won")]
    assert history["items"][1]["amount"] == "120.00" and history["items"][2]["actor_id"] == team["rep1"][0]["id"]
    assert client.get(f"{url}/stage-history", headers=team["rep2"][1]).status_code == 404


def test_stages_are_read_by_sales_and_replaced_by_admins(client, team):
    admin, rep = team["admin"][1], team["rep1"][1]
    response = client.get("/api/v1/opportunity-stages", headers=rep)
    stages = made(response, 200)
    assert response.headers["ETag"] == '"0"' and stages["version"] == 0
    assert [(s["name"], s["probability"], s["forecast_category"]) for s in stages["stages"]] == [
        ("Qualification", 10, "pipeline"), ("Needs Analysis", 25, "pipeline"), ("Proposal", 50, "best_case"),
        ("Negotiation", 75, "commit"), ("Closed Won", 100, "closed"), ("Closed Lost", 0, "omitted")]
    assert stages["stages"][3]["requirements"] == ["amount", "primary_contact"]
    assert client.get("/api/v1/opportunity-stages", headers=team["agent"][1]).status_code == 403
    assert client.put("/api/v1/opportunity-stages", json=stages, headers=rep).status_code == 403

    bad = fields_of(client.put("/api/v1/opportunity-stages", headers=admin, json={
        "stages": [{"name": "Qualification", "probability": "ten", "colour": "red"}, 3], "extra": 1}))
    assert set(bad) == {"stages[0].probability", "stages[0].colour", "stages[1]", "extra"}
    renamed = [{**s, "guidance": "Call within a day"} if s["name"] == "Qualification" else s
               for s in stages["stages"]]
    saved = client.put("/api/v1/opportunity-stages", json={**stages, "stages": renamed},
                       headers={**admin, "If-Match": '"0"'})
    assert made(saved, 200)["stages"][0]["guidance"] == "Call within a day" and saved.headers["ETag"] == '"1"'
    stale = client.put("/api/v1/opportunity-stages", json={"stages": renamed}, headers={**admin, "If-Match": '"0"'})
    assert stale.status_code == 412


def test_of_twenty_parallel_patches_with_one_etag_exactly_one_wins(app, team, deal):
    _account, _product, opportunity = deal
    auth = {**team["rep1"][1], "If-Match": '"1"'}
    url = f"/api/v1/opportunities/{opportunity['id']}"
    start = threading.Barrier(20)
    statuses: list[int] = []

    def patch(n: int) -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.patch(url, json={"next_step": f"step {n}"}, headers=auth).status_code)

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * 19
    assert app.test_client().get(url, headers=auth).json["version"] == 2


def test_an_unavailable_sales_service_is_a_503(client, team, services):
    services["sales"].server.stop(0)
    response = client.get("/api/v1/accounts", headers=team["rep1"][1])
    assert response.status_code == 503 and response.json["error"]["details"] == {"service": "sales"}
