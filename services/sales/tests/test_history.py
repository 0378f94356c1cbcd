"""The field history of opportunities, accounts and contacts: each change writes, in its
own transaction, who changed which field, when, from what to what; a refused change
writes none; ListOpportunityHistory pages it for whoever may read the opportunity."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tandem.sales.v1 import sales_pb2 as pb
from tandem.sales.v1 import sales_pb2_grpc
from tandem_plumbing.failures import Failure
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import RpcFailure, caller_metadata

from tandem_sales.adapters.grpc_server import register
from tandem_sales.adapters.models import record_history
from tandem_sales.use_cases import conversion, customers, opportunities, products
from tandem_sales.use_cases.common import encode_token
from tandem_sales.use_cases.conversion import LeadToConvert


def entries(db, record_type: str, record_id: str) -> list[tuple[str, str | None, dict, str | None]]:
    """(action, actor_id, changes, correlation_id) of a record, oldest first."""
    query = (select(record_history).where(record_history.c.record_type == record_type,
                                          record_history.c.record_id == record_id)
             .order_by(record_history.c.seq))
    with db.sessions() as session:
        return [(row.action, row.actor_id, json.loads(row.changes), row.correlation_id)
                for row in session.execute(query)]


@pytest.fixture
def db(sales_db):
    return sales_db


@pytest.fixture
def deal(db, team):
    """rep1's opportunity on rep1's account, and a product at 100.00 USD."""
    account = db.run(customers.create_account, team["rep1"], {"name": "Acme"})
    product = db.run(products.create_product, team["admin"], {
        "name": "Seat", "code": "SEAT-1", "list_price": {"amount": "100", "currency": "USD"}})
    opportunity = db.run(opportunities.create_opportunity, team["rep1"], {
        "name": "Acme - seats", "account_id": account.id, "close_date": "2026-12-15"})
    return opportunity, product


def test_creating_records_what_it_starts_with(db, team, deal):
    opportunity, _ = deal
    [(action, actor, changes, correlation)] = entries(db, "opportunity", opportunity.id)
    assert (action, actor, correlation) == ("created", "rep1", "req-rep1")
    assert changes["name"] == {"from": None, "to": "Acme - seats"}
    assert changes["close_date"] == {"from": None, "to": "2026-12-15"}
    assert changes["stage"] == {"from": None, "to": "Qualification"}
    assert changes["owner_id"] == {"from": None, "to": "rep1"}
    assert "amount" not in changes and "next_step" not in changes  # nothing to start with


def test_a_change_records_each_field_from_to_and_who(db, team, deal):
    opportunity, _ = deal
    db.run(opportunities.update_opportunity, team["manager"], opportunity.id, {
        "name": "Acme - 50 seats", "next_step": "Send the quote", "stage": "Needs Analysis", "owner_id": "rep2"})
    history = entries(db, "opportunity", opportunity.id)[1:]
    assert [(action, actor) for action, actor, _, _ in history] == [
        ("updated", "manager"), ("stage_changed", "manager"), ("assigned", "manager")]
    updated, stage, assigned = (changes for _, _, changes, _ in history)
    assert updated == {"name": {"from": "Acme - seats", "to": "Acme - 50 seats"},
                       "next_step": {"from": None, "to": "Send the quote"}}
    assert stage == {"stage": {"from": "Qualification", "to": "Needs Analysis"},
                     "probability": {"from": 10, "to": 25}}
    assert assigned == {"owner_id": {"from": "rep1", "to": "rep2"}}
    assert {correlation for *_, correlation in history} == {"req-manager"}

    # a field cleared; a change that changes nothing records nothing
    db.run(opportunities.update_opportunity, team["rep2"], opportunity.id, {}, clear=["next_step"])
    db.run(opportunities.update_opportunity, team["rep2"], opportunity.id, {"name": "Acme - 50 seats"})
    assert entries(db, "opportunity", opportunity.id)[4:] == [
        ("updated", "rep2", {"next_step": {"from": "Send the quote", "to": None}}, "req-rep2")]


def test_line_items_record_the_item_and_the_amount_they_move(db, team, deal):
    opportunity, product = deal
    added = db.run(opportunities.add_line_item, team["rep1"], opportunity.id, {"product_id": product.id,
                                                                               "quantity": "2"})
    item = added.line_items[0].id
    db.run(opportunities.update_line_item, team["rep1"], opportunity.id, item, {"discount": "10"})
    db.run(opportunities.remove_line_item, team["rep1"], opportunity.id, item)
    history = entries(db, "opportunity", opportunity.id)[1:]
    assert [action for action, *_ in history] == ["line_item_added", "line_item_changed", "line_item_removed"]
    added_entry, changed_entry, removed_entry = (changes for _, _, changes, _ in history)
    assert added_entry["line_item"]["from"] is None
    assert added_entry["line_item"]["to"] == {"id": item, "product_id": product.id, "product_name": "Seat",
                                              "quantity": "2", "unit_price": "100.00", "discount": "0",
                                              "total": "200.00"}
    assert added_entry["amount"] == {"from": None, "to": "200.00"}
    assert (changed_entry["line_item"]["from"]["discount"], changed_entry["line_item"]["to"]["discount"]) == (
        "0", "10")
    assert changed_entry["amount"] == {"from": "200.00", "to": "180.00"}
    assert removed_entry["line_item"]["to"] is None and removed_entry["line_item"]["from"]["id"] == item
    assert "amount" not in removed_entry  # the last one gone, the amount stays until someone sets it


def test_accounts_and_contacts_keep_theirs(db, team):
    account = db.run(customers.create_account, team["rep1"], {"name": "Acme", "domain": "acme.example"})
    contact = db.run(customers.create_contact, team["rep1"], {"account_id": account.id, "first_name": "Ada",
                                                              "last_name": "Lovelace"})
    db.run(customers.update_account, team["admin"], account.id, {"domain": "acme.com", "owner_id": "rep2"})
    db.run(customers.update_contact, team["manager"], contact.id, {"title": "CTO"})
    assert entries(db, "account", account.id) == [
        ("created", "rep1", {"name": {"from": None, "to": "Acme"}, "domain": {"from": None, "to": "acme.example"},
                             "owner_id": {"from": None, "to": "rep1"}}, "req-rep1"),
        ("updated", "admin", {"domain": {"from": "acme.example", "to": "acme.com"}}, "req-admin"),
        ("assigned", "admin", {"owner_id": {"from": "rep1", "to": "rep2"}}, "req-admin"),
    ]
    assert [(action, actor, changes) for action, actor, changes, _ in entries(db, "contact", contact.id)][1:] == [
        ("updated", "manager", {"title": {"from": None, "to": "CTO"}})]


def test_conversion_records_what_it_made(db, team):
    done = conversion.convert_lead(db.sessions, team["rep1"], LeadToConvert(
        lead_id="lead-1", first_name="Ada", last_name="Lovelace", company="Acme", email="ada@acme.example"))
    for record_type, record_id in (("account", done.account_id), ("contact", done.contact_id),
                                   ("opportunity", done.opportunity_id)):
        [(action, actor, _changes, _)] = entries(db, record_type, record_id)
        assert (action, actor) == ("created", "rep1"), record_type
    [(_, _, changes, _)] = entries(db, "opportunity", done.opportunity_id)
    assert changes["lead_id"] == {"from": None, "to": "lead-1"}


def test_a_refused_or_validated_change_records_nothing(db, team, deal):
    opportunity, _ = deal
    before = db.count("record_history")
    db.run(opportunities.update_opportunity, team["rep1"], opportunity.id, {"name": "x"}, validate_only=True)
    for caller, values, version in ((team["rep1"], {"name": "x"}, 99),  # stale
                                    (team["rep3"], {"name": "x"}, None),  # not theirs
                                    (team["rep1"], {"stage": "Closed Lost"}, None)):  # needs a loss reason
        with pytest.raises(Failure):
            db.run(opportunities.update_opportunity, caller, opportunity.id, values, expected_version=version)
    assert db.count("record_history") == before


# -- over gRPC ---------------------------------------------------------------------------
@pytest.fixture
def ask(db, team, serve_grpc):
    addr, _server = serve_grpc(lambda s: register(s, db.engine))
    stub = sales_pb2_grpc.SalesStub(channel(addr))

    def ask(request, as_="rep1", method="ListOpportunityHistory"):
        return call("sales", getattr(stub, method), request, metadata=caller_metadata(team[as_]))

    return ask


def test_list_opportunity_history_pages_it_for_whoever_may_read_the_deal(db, team, ask):
    account = db.run(customers.create_account, team["rep1"], {"name": "Acme"})
    deal = db.run(opportunities.create_opportunity, team["rep1"], {"name": "v0", "account_id": account.id})
    for n in range(1, 5):
        db.run(opportunities.update_opportunity, team["rep1"], deal.id, {"name": f"v{n}"})

    seen, token = [], ""
    while True:
        reply = ask(pb.ListHistoryRequest(id=deal.id, page_size=2, page_token=token),
                    as_="manager")
        seen += reply.entries
        token = reply.next_page_token
        if not token:
            break
    assert [e.action for e in seen] == ["created"] + ["updated"] * 4
    assert [json.loads(e.changes_json)["name"]["to"] for e in seen] == ["v0", "v1", "v2", "v3", "v4"]
    assert all(e.actor_id == "rep1" and e.correlation_id == "req-rep1" and e.at.endswith("Z") for e in seen)
    assert [e.seq for e in seen] == sorted(e.seq for e in seen)

    for who in ("rep3", "agent"):
        with pytest.raises(RpcFailure) as refused:
            ask(pb.ListHistoryRequest(id=deal.id), as_=who)
        assert refused.value.kind == "not_found", who
    for token in ("garbage", encode_token([str(2 ** 70)]), encode_token(["-1"]), encode_token([1]),
                  encode_token(["\x00"]), encode_token(["\u0661"])):
        with pytest.raises(RpcFailure) as refused:
            ask(pb.ListHistoryRequest(id=deal.id, page_token=token))
        assert refused.value.kind == "invalid" and set(refused.value.details["fields"]) == {"page_token"}, token


def test_account_and_contact_history_for_every_reader(db, team, ask):
    account = db.run(customers.create_account, team["rep1"], {"name": "Acme"})
    contact = db.run(customers.create_contact, team["rep1"], {"first_name": "Ada", "last_name": "Lovelace"})
    db.run(customers.update_account, team["manager"], account.id, {"industry": "Retail"})
    db.run(customers.update_contact, team["admin"], contact.id, {"account_id": account.id})
    for who in ("rep3", "agent"):  # public read: the history too
        [_, changed] = ask(pb.ListHistoryRequest(id=account.id), as_=who, method="ListAccountHistory").entries
        assert (changed.action, changed.actor_id, json.loads(changed.changes_json)) == (
            "updated", "manager", {"industry": {"from": None, "to": "Retail"}})
        [_, changed] = ask(pb.ListHistoryRequest(id=contact.id), as_=who, method="ListContactHistory").entries
        assert (changed.actor_id, json.loads(changed.changes_json)) == (
            "admin", {"account_id": {"from": None, "to": account.id}})
    with pytest.raises(RpcFailure) as refused:
        ask(pb.ListHistoryRequest(id="no-such-account"), method="ListAccountHistory")
    assert refused.value.kind == "not_found"
