"""The sales rules as plain functions: money, line item totals, the Sales Path and
moving an opportunity along it, field checks. No database."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from tandem_plumbing.failures import Caller, Failure

from tandem_sales.domain import access, money
from tandem_sales.domain.accounts import ACCOUNT, makes_cycle
from tandem_sales.domain.fields import parse
from tandem_sales.domain.opportunities import (
    changed,
    changed_line_item,
    changes_between,
    new_line_item,
    new_opportunity,
    with_line_items,
)
from tandem_sales.domain.products import Product, parse_product
from tandem_sales.domain.stages import DEFAULT_STAGES, check_not_dropped, parse_stages

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)


def fields_of(failure: Failure) -> dict[str, str]:
    assert (failure.kind, failure.code) == ("invalid", "validation_failed")
    return failure.details["fields"]


def product(**values) -> Product:
    base = dict(id="p1", name="Seat licence", code="SEAT-1", description=None, family=None,
                list_price=Decimal("120.00"), currency="USD", active=True, created_at=NOW, updated_at=NOW, version=1)
    return Product(**{**base, **values})


def opportunity(**values):
    return new_opportunity({"name": "Acme - seats", "account_id": "a1", **values}, DEFAULT_STAGES, owner_id="rep1",
                           now=NOW)


# -- money ---------------------------------------------------------------------------------
@pytest.mark.parametrize("quantity, price, discount, currency, total", [
    ("10", "120.00", "10", "USD", "1080.00"),
    ("3", "0.335", "0", "USD", "1.01"),  # 1.005 rounds half up, never to even
    ("1", "10.005", "0", "EUR", "10.01"),
    ("7", "999", "12.5", "JPY", "6119"),  # 6118.875 and no minor unit
    ("2.5", "19.99", "100", "USD", "0.00"),
])
def test_line_totals_round_half_up_to_the_currencys_minor_unit(quantity, price, discount, currency, total):
    assert money.text(money.line_total(Decimal(quantity), Decimal(price), Decimal(discount), currency)) == total


def test_money_is_exact_and_refuses_floats_and_extra_decimals():
    assert money.to_minor(Decimal("1234.50"), "USD") == 123450
    assert money.from_minor(123450, "USD") == Decimal("1234.50") and money.text(Decimal("1234.50")) == "1234.50"
    assert money.to_minor(Decimal("1500"), "JPY") == 1500 and money.digits("KWD") == 3
    with pytest.raises(ValueError):
        money.decimal(12.5)  # a float is never money
    with pytest.raises(ValueError):
        money.decimal("-3")
    with pytest.raises(ValueError, match="more decimals"):
        money.exact(Decimal("10.005"), "USD")
    with pytest.raises(ValueError):
        money.currency("usd dollars")
    assert money.currency("eur") == "EUR"


# -- field checks --------------------------------------------------------------------------
def test_account_fields_are_normalised_and_every_bad_one_named():
    clean = parse(ACCOUNT, {"name": " Acme ", "domain": "https://WWW.Acme.COM/about", "country": "us"}, new=True)
    assert clean == {"name": "Acme", "domain": "acme.com", "country": "US"}
    with pytest.raises(Failure) as refused:
        parse(ACCOUNT, {"domain": "not a domain", "employees": "many", "colour": "red"}, clear=["name", "x"],
              new=False)
    assert fields_of(refused.value) == {"domain": "must be a domain such as acme.com",
                                        "employees": "must be a whole number", "colour": "unknown field",
                                        "name": "cannot be cleared", "x": "unknown field"}


def test_a_product_price_is_money_with_a_currency():
    assert parse_product({"name": "Plan", "list_price": {"amount": "900", "currency": "eur"}}, new=True) == {
        "name": "Plan", "list_price": Decimal("900"), "currency": "EUR"}
    with pytest.raises(Failure) as refused:
        parse_product({"list_price": {"amount": "9.999", "currency": "EUR"}, "active": "yes"}, new=True)
    assert set(fields_of(refused.value)) == {"list_price.amount", "active", "name"}


def test_an_account_hierarchy_never_loops():
    parents = {"b": "a", "c": "b", "a": None}
    assert makes_cycle("a", "c", parents.get)  # a under c, which is under a
    assert makes_cycle("a", "a", parents.get)
    assert not makes_cycle("c", "a", parents.get)


# -- the Sales Path document ---------------------------------------------------------------
def test_the_defaults_are_the_issues():
    assert [(s.name, s.probability, s.forecast_category, s.requirements) for s in DEFAULT_STAGES] == [
        ("Qualification", 10, "pipeline", ()), ("Needs Analysis", 25, "pipeline", ()),
        ("Proposal", 50, "best_case", ("line_items", "close_date")),
        ("Negotiation", 75, "commit", ("amount", "primary_contact")),
        ("Closed Won", 100, "closed", ("line_items",)), ("Closed Lost", 0, "omitted", ("loss_reason",))]
    assert all(stage.guidance for stage in DEFAULT_STAGES)
    assert parse_stages([s.document() for s in DEFAULT_STAGES]) == DEFAULT_STAGES


def test_a_sales_path_is_checked_whole():
    documents = [s.document() for s in DEFAULT_STAGES]
    bad = [documents[0], {**documents[1], "name": "QUALIFICATION"},
           {**documents[2], "probability": 120, "forecast_category": "maybe", "requirements": ["charm"]}, "x"]
    with pytest.raises(Failure) as refused:
        parse_stages(bad)
    assert set(fields_of(refused.value)) == {"stages[0].name", "stages[1].name", "stages[2].probability",
                                             "stages[2].forecast_category", "stages[2].requirements", "stages[3]"}
    with pytest.raises(Failure) as refused:
        parse_stages([documents[4], documents[0]])  # no lost stage, and new deals would start closed
    assert "closed lost" in fields_of(refused.value)["stages"] and "first stage" in fields_of(refused.value)["stages"]
    with pytest.raises(Failure) as refused:
        parse_stages([{**documents[0], "is_won": True}])
    assert "stages[0].is_won" in fields_of(refused.value)
    with pytest.raises(Failure) as refused:
        parse_stages([])
    assert "stages" in fields_of(refused.value)


def test_a_stage_in_use_cannot_be_dropped():
    kept = [s for s in DEFAULT_STAGES if s.name != "Needs Analysis"]
    check_not_dropped(kept, {"Qualification": 3, "Needs Analysis": 0})
    with pytest.raises(Failure) as refused:
        check_not_dropped(kept, {"Needs Analysis": 2})
    assert (refused.value.code, refused.value.details["stages"]) == ("stage_in_use", ["Needs Analysis"])


# -- moving along the Sales Path -----------------------------------------------------------
def test_a_new_opportunity_starts_in_the_first_stage_with_its_numbers():
    made = opportunity()
    assert (made.stage, made.probability, made.forecast_category, made.currency, made.is_closed) == (
        "Qualification", 10, "pipeline", "USD", False)
    with pytest.raises(Failure) as refused:
        opportunity(stage="Negotiation")
    assert refused.value.details == {"stage": "Negotiation", "missing": ["amount", "primary_contact"]}


def test_requirements_are_checked_against_the_whole_change():
    made = opportunity()
    with pytest.raises(Failure) as refused:
        changed(made, {"stage": "Proposal"}, DEFAULT_STAGES, LATER)
    assert (refused.value.kind, refused.value.code) == ("rule", "stage_requirements_unmet")
    assert refused.value.details == {"stage": "Proposal", "missing": ["line_items", "close_date"]}
    with_items = with_line_items(made, [new_line_item(product(), {}, "USD")])
    moved = changed(with_items, {"stage": "Proposal", "close_date": date(2027, 1, 31)}, DEFAULT_STAGES, LATER)
    assert (moved.stage, moved.probability, moved.forecast_category) == ("Proposal", 50, "best_case")
    with pytest.raises(Failure) as refused:
        changed(moved, {"stage": "Negotiation", "amount": Decimal("5")}, DEFAULT_STAGES, LATER)
    assert refused.value.code == "amount_from_line_items"  # with line items the amount is theirs
    with pytest.raises(Failure) as refused:
        changed(moved, {"stage": "Negotiation"}, DEFAULT_STAGES, LATER)
    assert refused.value.details["missing"] == ["primary_contact"]


def test_a_reps_category_holds_until_cleared_or_the_deal_closes():
    made = opportunity(amount=Decimal("1000"))
    overridden = changed(made, {"forecast_category": "commit"}, DEFAULT_STAGES, LATER)
    assert (overridden.forecast_category, overridden.forecast_category_overridden) == ("commit", True)
    moved = changed(overridden, {"stage": "Needs Analysis"}, DEFAULT_STAGES, LATER)
    assert (moved.probability, moved.forecast_category, moved.forecast_category_overridden) == (25, "commit", True)
    cleared = changed(moved, {"forecast_category": None}, DEFAULT_STAGES, LATER)
    assert (cleared.forecast_category, cleared.forecast_category_overridden) == ("pipeline", False)
    lost = changed(moved, {"stage": "Closed Lost", "loss_reason": "price"}, DEFAULT_STAGES, LATER)
    assert (lost.forecast_category, lost.forecast_category_overridden, lost.is_closed, lost.is_won) == (
        "omitted", False, True, False)
    assert lost.closed_at == LATER
    reopened = changed(lost, {"stage": "Qualification"}, DEFAULT_STAGES, LATER)
    assert (reopened.is_closed, reopened.closed_at, reopened.probability) == (False, None, 10)
    assert changes_between(moved, lost) == {
        "stage": {"from": "Needs Analysis", "to": "Closed Lost"}, "probability": {"from": 25, "to": 0},
        "forecast_category": {"from": "commit", "to": "omitted"}, "is_closed": {"from": False, "to": True}}


def test_an_unknown_stage_or_an_inexact_amount_is_invalid():
    made = opportunity()
    with pytest.raises(Failure) as refused:
        changed(made, {"stage": "Dreaming"}, DEFAULT_STAGES, LATER)
    assert "stage" in fields_of(refused.value)
    with pytest.raises(Failure) as refused:
        changed(made, {"amount": Decimal("10.5"), "currency": "JPY"}, DEFAULT_STAGES, LATER)
    assert "amount" in fields_of(refused.value)


# -- line items ----------------------------------------------------------------------------
def test_line_items_price_from_the_product_and_set_the_amount():
    made = opportunity(amount=Decimal("1"))
    first = new_line_item(product(), {"quantity": Decimal("10"), "discount": Decimal("10")}, "USD")
    second = new_line_item(product(list_price=Decimal("99.99")), {"unit_price": Decimal("50")}, "USD")
    priced = with_line_items(made, [first, second])
    assert [(i.unit_price, i.total, i.position) for i in priced.line_items] == [
        (Decimal("120.00"), Decimal("1080.00"), 1), (Decimal("50"), Decimal("50.00"), 2)]
    assert priced.amount == Decimal("1130.00")
    cheaper = changed_line_item(first, {"quantity": Decimal("2"), "unit_price": Decimal("100")}, "USD")
    assert cheaper.total == Decimal("180.00")
    emptied = with_line_items(priced, [])
    assert emptied.amount == Decimal("1130.00") and emptied.line_items == ()  # kept until someone sets it
    with pytest.raises(Failure) as refused:
        changed(priced, {"currency": "EUR"}, DEFAULT_STAGES, LATER)
    assert refused.value.code == "currency_from_line_items"


def test_a_product_must_be_sold_and_priced_in_the_deals_currency():
    with pytest.raises(Failure) as refused:
        new_line_item(product(active=False), {}, "USD")
    assert (refused.value.kind, refused.value.code) == ("rule", "product_inactive")
    with pytest.raises(Failure) as refused:
        new_line_item(product(currency="EUR"), {}, "USD")
    assert refused.value.code == "currency_mismatch"
    assert new_line_item(product(currency="EUR"), {"unit_price": Decimal("130")}, "USD").total == Decimal("130.00")
    with pytest.raises(Failure) as refused:
        new_line_item(product(), {"unit_price": Decimal("1.5")}, "JPY")
    assert "unit_price" in fields_of(refused.value)


def test_the_snapshot_has_the_catalogue_shape():
    made = replace(opportunity(amount=Decimal("25000.50"), close_date=date(2026, 12, 15)), lead_id="l1")
    snapshot = made.snapshot("Acme")
    assert list(snapshot) == ["id", "version", "name", "account_id", "account_name", "owner_id", "amount",
                              "currency", "close_date", "stage", "probability", "forecast_category",
                              "forecast_category_overridden", "is_closed", "is_won", "lead_id",
                              "primary_contact_id", "loss_reason", "referrals", "line_item_count", "created_at",
                              "updated_at", "closed_at"]
    assert (snapshot["amount"], snapshot["close_date"], snapshot["created_at"]) == (
        "25000.50", "2026-12-15", "2026-11-27T12:00:00.000Z")


# -- access --------------------------------------------------------------------------------
def test_who_sees_and_gives_what():
    managers = {"manager": None, "rep1": "manager", "rep2": "manager", "rep3": None}
    assert access.visible_owners(Caller("admin", "admin"), managers) is None
    assert access.visible_owners(Caller("manager", "sales_manager"), managers) == {"manager", "rep1", "rep2"}
    assert access.visible_owners(Caller("rep1", "sales_rep"), managers) == {"rep1"}
    assert access.visible_owners(Caller("agent", "service_agent"), managers) == set()
    rep = Caller("rep1", "sales_rep")
    access.check_may_give(rep, {"rep1"}, "rep1")
    with pytest.raises(Failure):
        access.check_may_give(rep, {"rep1"}, "rep2")
    with pytest.raises(Failure):
        access.check_may_give(Caller("manager", "sales_manager"), {"manager", "rep1"}, "rep3")
    assert access.may_read_customers(Caller("agent", "service_agent"))
