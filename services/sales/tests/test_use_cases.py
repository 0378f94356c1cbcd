"""The sales use cases on a migrated database: PostgreSQL (and SQLite, the embedded
default, where the test is about behaviour rather than concurrency)."""
from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert
from tandem_plumbing.failures import Failure

from tandem_sales.adapters.models import activities
from tandem_sales.domain.stages import DEFAULT_STAGES
from tandem_sales.use_cases import conversion, customers, opportunities, overview, products, stages
from tandem_sales.use_cases.conversion import LeadToConvert


@pytest.fixture
def db(sales_db):
    return sales_db


def refused(db, use_case, *args, **kwargs) -> Failure:
    """The failure of a use case that must change nothing."""
    before = db.counts()
    with pytest.raises(Failure) as failure:
        db.run(use_case, *args, **kwargs)
    assert db.counts() == before
    return failure.value


def all_pages(db, list_use_case, caller, page_size: int) -> list:
    """Every record a list gives, following its page tokens."""
    records, token = [], ""
    while token is not None:
        found, token = db.run(list_use_case, caller, page_size=page_size, page_token=token)
        records += found
    return records


def account(db, caller, **values):
    """An account; a value None: not given."""
    given = {"name": "Acme Corp", "domain": "acme.example", **values}
    return db.run(customers.create_account, caller, {k: v for k, v in given.items() if v is not None})


def seat(db, team, **values):
    return db.run(products.create_product, team["admin"], {
        "name": "Seat licence", "code": f"SEAT-{uuid.uuid4().hex[:6]}",
        "list_price": {"amount": "120.00", "currency": "USD"}, **values})


def deal(db, caller, account_id, **values):
    return db.run(opportunities.create_opportunity, caller, {"name": "Acme - seats", "account_id": account_id,
                                                             **values})


# -- accounts and contacts -----------------------------------------------------------------
def test_accounts_are_read_by_everyone_in_sales_and_service_and_changed_by_their_owners(db, team):
    made = account(db, team["rep1"], domain="WWW.Acme.Example", employees=250)
    assert (made.domain, made.owner_id, made.version) == ("acme.example", "rep1", 1)
    [created] = db.events("account_created")
    assert created.data == {"account": made.snapshot(), "changed": []} and created.source == "sales"
    assert created.correlation_id == "req-rep1"
    assert db.run(customers.get_account, team["agent"], made.id) == made

    changed = db.run(customers.update_account, team["manager"], made.id, {"industry": "Retail"},
                     clear=["domain"], expected_version=1)
    assert (changed.industry, changed.domain, changed.version) == ("Retail", None, 2)
    [event] = db.events("account_changed")
    assert event.data["changed"] == ["domain", "industry"] and event.data["account"]["version"] == 2
    same = db.run(customers.update_account, team["rep1"], made.id, {"industry": "Retail"})
    assert same.version == 2 and len(db.events("account_changed")) == 1  # nothing changed, nothing said

    assert refused(db, customers.update_account, team["rep1"], made.id, {"phone": "1"},
                   expected_version=1).details == {"current_version": 2}
    assert refused(db, customers.update_account, team["rep2"], made.id, {"phone": "1"}).kind == "forbidden"
    assert refused(db, customers.update_account, team["agent"], made.id, {"phone": "1"}).kind == "forbidden"
    assert refused(db, customers.create_account, team["agent"], {"name": "Mine"}).kind == "forbidden"
    assert refused(db, customers.update_account, team["rep1"], made.id, {"owner_id": "rep2"}).kind == "forbidden"
    assert refused(db, customers.get_account, team["rep1"], "nope").kind == "not_found"


def test_bad_account_and_contact_input_names_every_field_and_writes_nothing(db, team):
    failure = refused(db, customers.create_account, team["rep1"], {"domain": "no", "employees": -1,
                                                                    "country": "USA"})
    assert set(failure.details["fields"]) == {"name", "domain", "employees", "country"}
    assert refused(db, customers.create_account, team["admin"], {"name": "X", "owner_id": "ghost"}
                   ).details["fields"] == {"owner_id": "is not an active sales user"}
    assert refused(db, customers.create_account, team["rep1"], {"name": "X", "parent_id": "ghost"}
                   ).details["fields"] == {"parent_id": "is not an account"}
    failure = refused(db, customers.create_contact, team["rep1"], {"first_name": "", "email": "nope",
                                                                    "account_id": "ghost"})
    assert set(failure.details["fields"]) == {"first_name", "last_name", "email"}
    assert refused(db, customers.create_contact, team["rep1"], {"first_name": "A", "last_name": "B",
                                                                "account_id": "ghost"}
                   ).details["fields"] == {"account_id": "is not an account"}
    assert db.run(customers.create_account, team["rep1"], {"name": "Valid"}, validate_only=True) is None
    assert db.counts()["accounts"] == 0


def test_an_account_hierarchy_has_no_cycles(db, team):
    parent = account(db, team["rep1"], name="Acme")
    child = account(db, team["rep1"], name="Acme EU", parent_id=parent.id)
    grandchild = account(db, team["rep1"], name="Acme DE", parent_id=child.id)
    failure = refused(db, customers.update_account, team["rep1"], parent.id, {"parent_id": grandchild.id})
    assert failure.details["fields"] == {"parent_id": "would make the account its own ancestor"}
    found, _ = db.run(customers.list_accounts, team["agent"], parent_id=parent.id)
    assert [a.id for a in found] == [child.id]


def test_contacts_belong_to_accounts_and_emails_are_lower_case(db, team):
    acme = account(db, team["rep1"])
    contact = db.run(customers.create_contact, team["rep1"], {
        "account_id": acme.id, "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Acme.Example"})
    assert (contact.email, contact.owner_id, contact.lead_id) == ("ada@acme.example", "rep1", None)
    [event] = db.events("contact_created")
    assert event.data["contact"] == contact.snapshot() and event.data["contact"]["email"] == "ada@acme.example"
    moved = db.run(customers.update_contact, team["rep1"], contact.id, {"title": "CTO"}, clear=["account_id"])
    assert (moved.title, moved.account_id, moved.version) == ("CTO", None, 2)
    assert db.events("contact_changed")[0].data["changed"] == ["account_id", "title"]
    found, _ = db.run(customers.list_contacts, team["agent"], email="ADA@acme.example")
    assert [c.id for c in found] == [contact.id]


def test_lists_page_in_a_stable_order(db, team):
    for name in ("Delta", "Alpha", "Charlie", "Bravo", "Echo"):
        account(db, team["rep1"], name=name, domain=None)
    assert [a.name for a in all_pages(db, customers.list_accounts, team["rep2"], 2)] == [
        "Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    assert [a.name for a in db.run(customers.list_accounts, team["rep1"], q="HAR")[0]] == ["Charlie"]
    assert refused(db, customers.list_accounts, team["rep1"], page_token="garbage").details["fields"] == {
        "page_token": "is not a token this API returned"}


# -- products ------------------------------------------------------------------------------
def test_admins_keep_the_catalogue(db, team):
    plan = db.run(products.create_product, team["admin"], {
        "name": "Support plan", "code": "SUP-1", "family": "Services",
        "list_price": {"amount": "900", "currency": "eur"}})
    assert (plan.list_price, plan.currency, plan.active) == (Decimal("900"), "EUR", True)
    assert refused(db, products.create_product, team["rep1"], {"name": "X"}).kind == "forbidden"
    duplicate = refused(db, products.create_product, team["admin"], {
        "name": "Other", "code": "SUP-1", "list_price": {"amount": "1", "currency": "EUR"}})
    assert (duplicate.kind, duplicate.code, duplicate.details) == ("conflict", "duplicate_code",
                                                                   {"existing_id": plan.id})
    retired = db.run(products.update_product, team["admin"], plan.id, {"active": False}, expected_version=1)
    assert (retired.active, retired.version) == (False, 2)
    assert db.run(products.list_products, team["rep1"], active=True)[0] == []
    assert [p.id for p in db.run(products.list_products, team["rep1"], q="servic")[0]] == [plan.id]
    assert refused(db, products.get_product, team["agent"], plan.id).kind == "forbidden"


# -- opportunities -------------------------------------------------------------------------
def test_an_opportunity_is_created_announced_and_seen_only_by_its_owners_chain(db, team):
    acme = account(db, team["rep1"])
    made = deal(db, team["rep1"], acme.id, amount="25000.50", close_date="2026-12-15")
    assert (made.stage, made.probability, made.forecast_category, made.amount, made.owner_id) == (
        "Qualification", 10, "pipeline", Decimal("25000.50"), "rep1")
    [created] = db.events("opportunity_created")
    assert created.data == {"opportunity": made.snapshot("Acme Corp")}
    assert created.data["opportunity"]["amount"] == "25000.50"
    [start] = db.run(opportunities.stage_history, team["rep1"], made.id)
    assert (start["from_stage"], start["to_stage"], start["actor_id"], start["amount"]) == (
        None, "Qualification", "rep1", Decimal("25000.50"))

    for who in ("manager", "admin", "rep1"):
        assert db.run(opportunities.get_opportunity, team[who], made.id).id == made.id
    for who in ("rep2", "rep3", "agent"):
        assert refused(db, opportunities.get_opportunity, team[who], made.id).kind == "not_found"
        assert refused(db, opportunities.stage_history, team[who], made.id).kind == "not_found"
        assert refused(db, opportunities.update_opportunity, team[who], made.id, {"name": "x"}).kind == "not_found"
    assert db.run(opportunities.list_opportunities, team["agent"]) == ([], None)
    assert [o.id for o in db.run(opportunities.list_opportunities, team["manager"])[0]] == [made.id]
    assert db.run(opportunities.list_opportunities, team["rep2"])[0] == []


def test_bad_opportunity_input_writes_nothing(db, team):
    acme = account(db, team["rep1"])
    failure = refused(db, opportunities.create_opportunity, team["rep1"], {
        "amount": "12.5.0", "currency": "dollars", "close_date": "soon", "stage": ""})
    assert set(failure.details["fields"]) == {"name", "account_id", "amount", "currency", "close_date", "stage"}
    assert refused(db, opportunities.create_opportunity, team["rep1"], {"name": "X", "account_id": "ghost"}
                   ).details["fields"] == {"account_id": "is not an account"}
    assert refused(db, opportunities.create_opportunity, team["rep1"], {
        "name": "X", "account_id": acme.id, "owner_id": "rep2"}).kind == "forbidden"
    assert refused(db, opportunities.create_opportunity, team["rep1"], {
        "name": "X", "account_id": acme.id, "stage": "Negotiation"}).code == "stage_requirements_unmet"
    other = account(db, team["rep1"], name="Other", domain=None)
    stranger = db.run(customers.create_contact, team["rep1"], {"account_id": other.id, "first_name": "A",
                                                               "last_name": "B"})
    assert refused(db, opportunities.create_opportunity, team["rep1"], {
        "name": "X", "account_id": acme.id, "primary_contact_id": stranger.id}).details["fields"] == {
        "primary_contact_id": "is not a contact of the opportunity's account"}
    assert db.run(opportunities.create_opportunity, team["rep1"], {"name": "X", "account_id": acme.id},
                  validate_only=True) is None
    assert db.counts()["opportunities"] == 0


def test_a_deal_moves_along_the_sales_path_to_closed_won(db, team):
    acme = account(db, team["rep1"])
    ada = db.run(customers.create_contact, team["rep1"], {"account_id": acme.id, "first_name": "Ada",
                                                          "last_name": "Lovelace"})
    product = seat(db, team)
    made = deal(db, team["rep1"], acme.id)
    gated = refused(db, opportunities.update_opportunity, team["rep1"], made.id, {"stage": "Proposal"},
                    expected_version=1)
    assert (gated.kind, gated.code, gated.details) == (
        "rule", "stage_requirements_unmet", {"stage": "Proposal", "missing": ["line_items", "close_date"]})

    priced = db.run(opportunities.add_line_item, team["rep1"], made.id, {
        "product_id": product.id, "quantity": "10", "discount": "10"}, expected_version=1)
    assert (priced.amount, priced.version, priced.line_items[0].unit_price) == (
        Decimal("1080.00"), 2, Decimal("120.00"))
    proposal = db.run(opportunities.update_opportunity, team["rep1"], made.id, {
        "stage": "Proposal", "close_date": "2027-01-31"}, expected_version=2)
    assert (proposal.stage, proposal.probability, proposal.forecast_category) == ("Proposal", 50, "best_case")
    negotiation = db.run(opportunities.update_opportunity, team["rep1"], made.id, {
        "stage": "Negotiation", "primary_contact_id": ada.id})
    won = db.run(opportunities.update_opportunity, team["manager"], made.id, {"stage": "Closed Won"},
                 expected_version=negotiation.version)
    assert (won.is_closed, won.is_won, won.probability, won.forecast_category) == (True, True, 100, "closed")
    assert won.closed_at is not None

    changes = db.events("opportunity_changed")
    assert changes[-1].data["changes"] == {
        "stage": {"from": "Negotiation", "to": "Closed Won"}, "probability": {"from": 75, "to": 100},
        "forecast_category": {"from": "commit", "to": "closed"}, "is_closed": {"from": False, "to": True},
        "is_won": {"from": False, "to": True}}
    assert changes[0].data["changes"] == {"amount": {"from": None, "to": "1080.00"}}  # the line item
    [closed] = db.events("opportunity_closed")
    assert closed.data == {"opportunity": won.snapshot("Acme Corp"), "won": True,
                           "amount": {"amount": "1080.00", "currency": "USD"}, "loss_reason": None}
    history = db.run(opportunities.stage_history, team["rep1"], made.id)
    assert [(h["from_stage"], h["to_stage"], h["probability"]) for h in history] == [
        (None, "Qualification", 10), ("Qualification", "Proposal", 50), ("Proposal", "Negotiation", 75),
        ("Negotiation", "Closed Won", 100)]
    assert history[1]["amount"] == Decimal("1080.00") and history[1]["close_date"] == date(2027, 1, 31)
    assert history[3]["actor_id"] == "manager"


def test_a_lost_deal_needs_a_reason_and_says_so(db, team):
    made = deal(db, team["rep1"], account(db, team["rep1"]).id, amount="500")
    assert refused(db, opportunities.update_opportunity, team["rep1"], made.id, {"stage": "Closed Lost"}
                   ).details["missing"] == ["loss_reason"]
    lost = db.run(opportunities.update_opportunity, team["rep1"], made.id, {"stage": "Closed Lost",
                                                                            "loss_reason": "Price"})
    [closed] = db.events("opportunity_closed")
    assert (closed.data["won"], closed.data["loss_reason"], closed.data["amount"]) == (
        False, "Price", {"amount": "500.00", "currency": "USD"})
    reopened = db.run(opportunities.update_opportunity, team["rep1"], made.id, {"stage": "Needs Analysis"},
                      expected_version=lost.version)
    assert (reopened.is_closed, reopened.closed_at, reopened.forecast_category) == (False, None, "pipeline")
    assert len(db.events("opportunity_closed")) == 1


def test_line_items_own_the_amount_and_the_currency(db, team):
    made = deal(db, team["rep1"], account(db, team["rep1"]).id, amount="99")
    product = seat(db, team)
    euro = seat(db, team, list_price={"amount": "100", "currency": "EUR"})
    retired = seat(db, team, active=False)
    assert refused(db, opportunities.add_line_item, team["rep1"], made.id, {"product_id": euro.id}
                   ).code == "currency_mismatch"
    assert refused(db, opportunities.add_line_item, team["rep1"], made.id, {"product_id": retired.id}
                   ).code == "product_inactive"
    assert refused(db, opportunities.add_line_item, team["rep1"], made.id, {"product_id": "ghost"}
                   ).details["fields"] == {"product_id": "is not a product"}
    assert refused(db, opportunities.add_line_item, team["rep1"], made.id, {
        "product_id": product.id, "quantity": "0", "discount": "101"}
    ).details["fields"].keys() == {"quantity", "discount"}
    one = db.run(opportunities.add_line_item, team["rep1"], made.id, {"product_id": product.id})
    two = db.run(opportunities.add_line_item, team["rep1"], made.id, {"product_id": euro.id,
                                                                      "unit_price": "110.5"})
    assert two.amount == Decimal("230.50") and [i.position for i in two.line_items] == [1, 2]
    assert refused(db, opportunities.update_opportunity, team["rep1"], made.id, {"amount": "5"}
                   ).code == "amount_from_line_items"
    assert refused(db, opportunities.update_opportunity, team["rep1"], made.id, {"currency": "EUR"}
                   ).code == "currency_from_line_items"
    assert refused(db, opportunities.update_line_item, team["rep1"], made.id, one.line_items[0].id,
                   {"quantity": "2"}, expected_version=one.version).kind == "stale"
    item = two.line_items[0]
    three = db.run(opportunities.update_line_item, team["rep1"], made.id, item.id, {"quantity": "3"},
                   expected_version=two.version)
    assert (three.amount, three.version) == (Decimal("470.50"), two.version + 1)
    four = db.run(opportunities.remove_line_item, team["rep1"], made.id, item.id, expected_version=three.version)
    assert [i.product_id for i in four.line_items] == [euro.id] and four.line_items[0].position == 1
    assert four.amount == Decimal("110.50")
    assert refused(db, opportunities.remove_line_item, team["rep1"], made.id, item.id).kind == "not_found"
    events = db.events("opportunity_changed")
    assert [e.data["opportunity"]["line_item_count"] for e in events] == [1, 2, 2, 1]


def test_a_reps_forecast_category_is_kept_until_cleared(db, team):
    made = deal(db, team["rep1"], account(db, team["rep1"]).id)
    chosen = db.run(opportunities.update_opportunity, team["rep1"], made.id, {"forecast_category": "commit"})
    moved = db.run(opportunities.update_opportunity, team["rep1"], made.id, {"stage": "Needs Analysis"})
    assert (chosen.forecast_category_overridden, moved.forecast_category, moved.probability) == (True, "commit", 25)
    dropped = db.run(opportunities.update_opportunity, team["rep1"], made.id, {}, clear=["forecast_category"])
    assert (dropped.forecast_category, dropped.forecast_category_overridden) == ("pipeline", False)


def test_owners_are_active_sales_users_given_within_the_team(db, team):
    db.user("gone", "sales_rep", manager_id="manager", active=False)
    made = deal(db, team["rep1"], account(db, team["rep1"]).id)
    assert refused(db, opportunities.update_opportunity, team["rep1"], made.id, {"owner_id": "rep2"}
                   ).kind == "forbidden"
    assert refused(db, opportunities.update_opportunity, team["manager"], made.id, {"owner_id": "rep3"}
                   ).kind == "forbidden"
    assert refused(db, opportunities.update_opportunity, team["manager"], made.id, {"owner_id": "gone"}
                   ).details["fields"] == {"owner_id": "is not an active sales user"}
    assert refused(db, opportunities.update_opportunity, team["admin"], made.id, {"owner_id": "agent"}
                   ).details["fields"] == {"owner_id": "is not an active sales user"}
    given = db.run(opportunities.update_opportunity, team["manager"], made.id, {"owner_id": "rep2"})
    assert db.events("opportunity_changed")[-1].data["changes"] == {"owner_id": {"from": "rep1", "to": "rep2"}}
    assert refused(db, opportunities.get_opportunity, team["rep1"], given.id).kind == "not_found"


def test_opportunity_lists_filter_and_page_by_close_date(db, team):
    acme = account(db, team["rep1"])
    for name, day in (("B", date(2026, 12, 1)), ("A", date(2026, 12, 1)), ("C", None), ("D", date(2026, 11, 30))):
        deal(db, team["rep1"], acme.id, name=name, **({"close_date": day.isoformat()} if day else {}))
    assert [o.name for o in all_pages(db, opportunities.list_opportunities, team["manager"], 3)] == [
        "D", "A", "B", "C"]
    found, _ = db.run(opportunities.list_opportunities, team["rep1"], close_date_from="2026-12-01",
                      close_date_to="2026-12-31", is_closed=False, stage="Qualification")
    assert [o.name for o in found] == ["A", "B"]
    assert set(refused(db, opportunities.list_opportunities, team["rep1"], forecast_category="hopeful",
                       close_date_to="never").details["fields"]) == {"forecast_category", "close_date_to"}


def test_of_twenty_parallel_updates_with_one_version_exactly_one_wins(pg_sales_db):
    db = pg_sales_db
    rep = db.user("rep1")
    made = deal(db, rep, account(db, rep).id)
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def update(n: int) -> None:
        start.wait()
        try:
            db.run(opportunities.update_opportunity, rep, made.id, {"next_step": f"step {n}"}, expected_version=1)
            outcomes.append("ok")
        except Failure as failure:
            outcomes.append(failure.code)

    threads = [threading.Thread(target=update, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["version_mismatch"] * 19
    assert db.run(opportunities.get_opportunity, rep, made.id).version == 2
    assert len(db.events("opportunity_changed")) == 1


# -- the Sales Path ------------------------------------------------------------------------
def test_admins_replace_the_sales_path_and_cannot_strand_deals(db, team):
    path = db.run(stages.get_stages, team["rep1"])
    assert (path.stages, path.version, path.updated_at) == (DEFAULT_STAGES, 0, None)
    documents = [s.document() for s in DEFAULT_STAGES]
    documents.insert(2, {"name": "Demo", "probability": 35, "forecast_category": "pipeline",
                         "requirements": ["next_step"], "guidance": "Show it working"})
    assert refused(db, stages.put_stages, team["manager"], documents).kind == "forbidden"
    saved = db.run(stages.put_stages, team["admin"], documents, expected_version=0)
    assert (saved.version, saved.updated_by, saved.stages[2].name) == (1, "admin", "Demo")
    assert db.run(stages.get_stages, team["rep2"]) == saved
    assert refused(db, stages.put_stages, team["admin"], documents, expected_version=0).details == {
        "current_version": 1}

    made = deal(db, team["rep1"], account(db, team["rep1"]).id)
    assert refused(db, opportunities.update_opportunity, team["rep1"], made.id, {"stage": "Demo"}
                   ).details == {"stage": "Demo", "missing": ["next_step"]}
    db.run(opportunities.update_opportunity, team["rep1"], made.id, {"stage": "Demo", "next_step": "Book it"})
    without_demo = [d for d in documents if d["name"] != "Demo"]
    in_use = refused(db, stages.put_stages, team["admin"], without_demo)
    assert (in_use.kind, in_use.code, in_use.details["stages"]) == ("rule", "stage_in_use", ["Demo"])
    assert refused(db, stages.put_stages, team["admin"], [{"name": "Only"}]).kind == "invalid"


# -- lead conversion -----------------------------------------------------------------------
def lead(lead_id: str = "lead-1", **values) -> LeadToConvert:
    return LeadToConvert(**{"lead_id": lead_id, "first_name": "Carla", "last_name": "Customer",
                            "company": "Initech", "email": "carla@initech.example", "title": "CIO",
                            "lead_owner_id": "rep1", **values})


REFERRAL = {"referral_id": "ref-1", "case_id": "case-1", "case_number": "1042", "agent_id": "agent",
            "kind": "upsell", "product_interest": "50 more seats"}


def test_conversion_makes_the_account_contact_and_opportunity_once(db, team):
    done = conversion.convert_lead(db.sessions, team["manager"], lead(referrals=[REFERRAL]))
    assert (done.account_created, done.replayed) == (True, False)
    made = db.run(opportunities.get_opportunity, team["rep1"], done.opportunity_id)
    assert (made.name, made.owner_id, made.lead_id, made.primary_contact_id, made.currency, made.amount) == (
        "Initech - 50 more seats", "rep1", "lead-1", done.contact_id, "USD", None)
    assert made.close_date == datetime.now(timezone.utc).date() + timedelta(days=90)
    assert made.referrals == (REFERRAL,) and made.stage == "Qualification"
    acme = db.run(customers.get_account, team["rep1"], done.account_id)
    contact = db.run(customers.get_contact, team["rep1"], done.contact_id)
    assert (acme.name, acme.domain, acme.owner_id) == ("Initech", "initech.example", "rep1")
    assert (contact.account_id, contact.email, contact.lead_id, contact.title) == (
        acme.id, "carla@initech.example", "lead-1", "CIO")
    assert [e.type for e in db.events()] == ["account_created", "contact_created", "opportunity_created"]
    assert db.events("opportunity_created")[0].data["opportunity"]["referrals"] == [REFERRAL]

    before = db.counts()
    again = conversion.convert_lead(db.sessions, team["manager"], lead(referrals=[REFERRAL]))
    assert (again.account_id, again.contact_id, again.opportunity_id, again.account_created, again.replayed) == (
        done.account_id, done.contact_id, done.opportunity_id, True, True)
    assert db.counts() == before


def test_conversion_reuses_the_account_at_the_leads_domain_and_its_contact(db, team):
    initech = account(db, team["rep2"], name="Initech Inc", domain="initech.example")
    carla = db.run(customers.create_contact, team["rep2"], {"account_id": initech.id, "first_name": "Carla",
                                                            "last_name": "C", "email": "carla@initech.example"})
    done = conversion.convert_lead(db.sessions, team["rep1"], lead(amount={"amount": "1200", "currency": "EUR"},
                                                                   opportunity_name="Initech renewal",
                                                                   close_date="2027-03-31"))
    assert (done.account_id, done.contact_id, done.account_created) == (initech.id, carla.id, False)
    made = db.run(opportunities.get_opportunity, team["rep1"], done.opportunity_id)
    assert (made.name, made.amount, made.currency, made.close_date) == (
        "Initech renewal", Decimal("1200.00"), "EUR", date(2027, 3, 31))
    assert db.events("account_created")[-1].data["account"]["id"] == initech.id  # none made for the lead

    free = conversion.convert_lead(db.sessions, team["rep1"], lead("lead-2", email="carla@gmail.com"))
    assert free.account_created and free.account_id != initech.id  # a personal mailbox says nothing
    given = conversion.convert_lead(db.sessions, team["rep1"], lead("lead-3", account_id=initech.id,
                                                                    email="new@initech.example"))
    assert (given.account_id, given.account_created) == (initech.id, False) and given.contact_id != carla.id


def test_bad_conversions_write_nothing(db, team):
    before = db.counts()
    with pytest.raises(Failure) as failure:
        conversion.convert_lead(db.sessions, team["rep1"], lead(first_name="", email="nope", close_date="soon",
                                                                amount={"amount": "1.234", "currency": "USD"}))
    assert set(failure.value.details["fields"]) == {"first_name", "email", "close_date", "amount"}
    with pytest.raises(Failure) as failure:
        conversion.convert_lead(db.sessions, team["rep1"], lead(account_id="ghost"))
    assert failure.value.kind == "not_found"
    with pytest.raises(Failure) as failure:
        conversion.convert_lead(db.sessions, team["agent"], lead())
    assert failure.value.kind == "forbidden"
    assert db.counts() == before


def test_two_conversions_of_one_lead_at_once_make_one_set_of_records(pg_sales_db):
    db = pg_sales_db
    rep = db.user("rep1")
    start = threading.Barrier(6)
    results = []

    def convert() -> None:
        start.wait()
        results.append(conversion.convert_lead(db.sessions, rep, lead()))

    threads = [threading.Thread(target=convert) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({(r.account_id, r.contact_id, r.opportunity_id) for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * 5
    counts = db.counts()
    assert (counts["accounts"], counts["contacts"], counts["opportunities"], counts["lead_conversions"]) == (
        1, 1, 1, 1)


# -- the account overview ------------------------------------------------------------------
def _activity(db, related_type: str, related_id: str, subject: str, at: datetime) -> None:
    def write(session):
        session.execute(insert(activities).values(
            id=uuid.uuid4().hex, type="call", subject=subject, related_type=related_type, related_id=related_id,
            owner_id="rep1", status="open", created_by="rep1", created_at=at, updated_at=at, version=1))
    db.run(write)


def test_the_account_overview_shows_what_the_caller_may_see(db, team):
    acme = account(db, team["rep1"], name="Acme")
    child = account(db, team["rep1"], name="Acme EU", domain=None, parent_id=acme.id)
    ada = db.run(customers.create_contact, team["rep1"], {"account_id": acme.id, "first_name": "Ada",
                                                          "last_name": "L"})
    open_deal = deal(db, team["rep1"], acme.id, close_date="2026-12-01")
    lost = deal(db, team["rep1"], acme.id, name="Old deal")
    db.run(opportunities.update_opportunity, team["rep1"], lost.id, {"stage": "Closed Lost", "loss_reason": "x"})
    other = deal(db, team["rep1"], child.id)
    t = datetime(2026, 11, 1, tzinfo=timezone.utc)
    _activity(db, "account", acme.id, "on the account", t)
    _activity(db, "contact", ada.id, "on the contact", t + timedelta(hours=1))
    _activity(db, "opportunity", open_deal.id, "on the deal", t + timedelta(hours=2))
    _activity(db, "opportunity", other.id, "on the child's deal", t + timedelta(hours=3))

    seen = db.run(overview.account_overview, team["manager"], acme.id)
    assert seen.account == acme and [c.id for c in seen.contacts] == [ada.id]
    assert [o.id for o in seen.open_opportunities] == [open_deal.id]
    assert [o.id for o in seen.closed_opportunities] == [lost.id]
    assert [a["subject"] for a in seen.recent_activities] == ["on the deal", "on the contact", "on the account"]
    assert [a.id for a in seen.children] == [child.id]
    assert [a["subject"] for a in db.run(overview.account_overview, team["rep1"], acme.id,
                                         activity_limit=1).recent_activities] == ["on the deal"]

    agent = db.run(overview.account_overview, team["agent"], acme.id)
    assert (agent.open_opportunities, agent.closed_opportunities) == ([], [])
    assert [a["subject"] for a in agent.recent_activities] == ["on the contact", "on the account"]
    assert refused(db, overview.account_overview, team["rep1"], "ghost").kind == "not_found"


def test_two_admins_saving_the_first_sales_path_at_once_never_fail_inside(pg_sales_db):
    db = pg_sales_db
    admin = db.user("admin", "admin")
    documents = [s.document() for s in DEFAULT_STAGES]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def put() -> None:
        start.wait()
        try:
            db.run(stages.put_stages, admin, documents)
            outcomes.append("ok")
        except Failure as failure:
            outcomes.append(failure.code)

    threads = [threading.Thread(target=put) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["ok", "ok"], ["ok", "version_mismatch"])
    assert db.run(stages.get_stages, admin).version == outcomes.count("ok")
