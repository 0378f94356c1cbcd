"""Opportunities and their line items: the values they accept, how a change moves
one along the Sales Path, and how line items set its amount.

A change is applied whole and the stage's requirements are checked against the
result, so a rep may add the close date and move to Proposal in one request.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping, Sequence

from tandem_plumbing.failures import Failure

from . import money
from .fields import IDENTIFIER, Spec, day, invalid, rfc3339, text
from .products import Product
from .stages import CATEGORIES, Stage, find, missing

MAX_QUANTITY = Decimal(10_000_000)


def _category(value: Any) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"must be one of {', '.join(CATEGORIES)}")
    return value


def _quantity(value: Any) -> Decimal:
    quantity = money.decimal(value)
    if not 0 < quantity <= MAX_QUANTITY:
        raise ValueError(f"must be above 0 and at most {MAX_QUANTITY}")
    return quantity


def _discount(value: Any) -> Decimal:
    discount = money.decimal(value)
    if discount > 100:
        raise ValueError("must be a percentage from 0 to 100")
    return discount


OPPORTUNITY = Spec(
    checkers={"name": text(200), "account_id": IDENTIFIER, "owner_id": IDENTIFIER, "amount": money.decimal,
              "currency": money.currency, "close_date": day, "stage": text(100), "forecast_category": _category,
              "next_step": text(500), "description": text(10_000), "primary_contact_id": IDENTIFIER,
              "loss_reason": text(500)},
    required=("name", "account_id"),
    clearable=("amount", "close_date", "forecast_category", "next_step", "description", "primary_contact_id",
               "loss_reason"),
)
LINE_ITEM = Spec(
    checkers={"product_id": IDENTIFIER, "quantity": _quantity, "unit_price": money.decimal, "discount": _discount},
    required=("product_id",),
)
LINE_ITEM_CHANGES = Spec(checkers={"quantity": _quantity, "unit_price": money.decimal, "discount": _discount})

# The fields `opportunity_changed` reports from/to (the event catalogue).
TRACKED = ("name", "account_id", "owner_id", "amount", "currency", "close_date", "stage", "probability",
           "forecast_category", "is_closed", "is_won")


@dataclass(frozen=True)
class LineItem:
    id: str
    product_id: str
    product_name: str
    quantity: Decimal
    unit_price: Decimal  # in the opportunity's currency
    discount: Decimal  # percent
    total: Decimal
    position: int


@dataclass(frozen=True)
class Opportunity:
    id: str
    name: str
    account_id: str
    owner_id: str
    amount: Decimal | None
    currency: str
    close_date: date | None
    stage: str
    probability: int
    forecast_category: str
    forecast_category_overridden: bool
    next_step: str | None
    description: str | None
    lead_id: str | None
    primary_contact_id: str | None
    loss_reason: str | None
    referrals: tuple[dict[str, Any], ...]  # ReferralRef dicts
    line_items: tuple[LineItem, ...]
    is_closed: bool
    is_won: bool
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    def with_changes(self, **values: Any) -> "Opportunity":
        return replace(self, **values)

    def value(self, name: str) -> Any:
        """A field as events and history show it (decimal and date strings)."""
        value = getattr(self, name)
        if isinstance(value, Decimal):
            return money.text(value)
        if isinstance(value, datetime):
            return rfc3339(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def snapshot(self, account_name: str | None) -> dict[str, Any]:
        """The catalogue's OpportunitySnapshot."""
        return {
            **{name: self.value(name) for name in (
                "id", "version", "name", "account_id")},
            "account_name": account_name,
            **{name: self.value(name) for name in (
                "owner_id", "amount", "currency", "close_date", "stage", "probability", "forecast_category",
                "forecast_category_overridden", "is_closed", "is_won", "lead_id", "primary_contact_id",
                "loss_reason")},
            "referrals": [dict(r) for r in self.referrals],
            "line_item_count": len(self.line_items),
            **{name: self.value(name) for name in ("created_at", "updated_at", "closed_at")},
        }


def facts(opportunity: Opportunity) -> dict[str, bool]:
    """Which stage requirements the opportunity meets."""
    return {
        "line_items": bool(opportunity.line_items),
        "close_date": opportunity.close_date is not None,
        "amount": opportunity.amount is not None and opportunity.amount > 0,
        "primary_contact": opportunity.primary_contact_id is not None,
        "loss_reason": opportunity.loss_reason is not None,
        "next_step": opportunity.next_step is not None,
    }


def _enter(opportunity: Opportunity, stage: Stage, now: datetime) -> Opportunity:
    """In `stage`: its probability, and its category unless the rep overrode it. A closed
    stage's category always applies (a closed deal is closed or omitted in forecasts);
    leaving a closed stage reopens the deal."""
    overridden = opportunity.forecast_category_overridden and not stage.is_closed
    return opportunity.with_changes(
        stage=stage.name, probability=stage.probability,
        forecast_category=opportunity.forecast_category if overridden else stage.forecast_category,
        forecast_category_overridden=overridden,
        is_closed=stage.is_closed, is_won=stage.is_won,
        closed_at=(opportunity.closed_at or now) if stage.is_closed else None,
    )


def _check_requirements(opportunity: Opportunity, stage: Stage) -> None:
    unmet = missing(stage, facts(opportunity))
    if unmet:
        raise Failure("rule", "stage_requirements_unmet",
                      f"{stage.name} needs {', '.join(unmet)} first", {"stage": stage.name, "missing": unmet})


def _stage(stages: Sequence[Stage], name: str) -> Stage:
    stage = find(stages, name)
    if stage is None:
        raise invalid({"stage": f"must be one of {', '.join(s.name for s in stages)}"})
    return stage


def _amount(amount: Decimal | None, currency: str) -> Decimal | None:
    try:
        return None if amount is None else money.exact(amount, currency)
    except ValueError as why:
        raise invalid({"amount": str(why)}) from None


def new_opportunity(values: Mapping[str, Any], stages: Sequence[Stage], *, owner_id: str, now: datetime,
                    lead_id: str | None = None, referrals: Sequence[Mapping[str, Any]] = ()) -> Opportunity:
    """A new opportunity in the given stage (else the first), meeting its requirements."""
    currency = values.get("currency", money.DEFAULT_CURRENCY)
    stage = _stage(stages, values["stage"]) if "stage" in values else stages[0]
    opportunity = Opportunity(
        id=uuid.uuid4().hex, name=values["name"], account_id=values["account_id"], owner_id=owner_id,
        amount=_amount(values.get("amount"), currency), currency=currency, close_date=values.get("close_date"),
        stage=stage.name, probability=stage.probability, forecast_category=stage.forecast_category,
        forecast_category_overridden=False, next_step=values.get("next_step"),
        description=values.get("description"), lead_id=lead_id, primary_contact_id=values.get("primary_contact_id"),
        loss_reason=values.get("loss_reason"), referrals=tuple(dict(r) for r in referrals), line_items=(),
        is_closed=False, is_won=False, closed_at=None, created_at=now, updated_at=now, version=1,
    )
    opportunity = _enter(opportunity, stage, now)
    if "forecast_category" in values:
        opportunity = opportunity.with_changes(forecast_category=values["forecast_category"],
                                               forecast_category_overridden=True)
    _check_requirements(opportunity, stage)
    return opportunity


def changed(opportunity: Opportunity, changes: Mapping[str, Any], stages: Sequence[Stage],
            now: datetime) -> Opportunity:
    """The opportunity after `changes` (clean values; None: cleared), moved along the
    Sales Path when the stage changes. Version and time are the caller's to set."""
    has_items = bool(opportunity.line_items)
    if has_items and "amount" in changes:
        raise Failure("rule", "amount_from_line_items",
                      "the amount is the sum of the line items: change those instead")
    if has_items and changes.get("currency", opportunity.currency) != opportunity.currency:
        raise Failure("rule", "currency_from_line_items",
                      "the currency is fixed while the opportunity has line items")
    plain = {name: value for name, value in changes.items()
             if name not in ("stage", "forecast_category", "amount")}
    after = opportunity.with_changes(**plain)
    if "amount" in changes or "currency" in changes:
        amount = changes["amount"] if "amount" in changes else opportunity.amount
        after = after.with_changes(amount=_amount(amount, after.currency))
    stage = None
    if "stage" in changes and changes["stage"] != opportunity.stage:
        stage = _stage(stages, changes["stage"])
        after = _enter(after, stage, now)
    if "forecast_category" in changes:
        chosen = changes["forecast_category"]
        current = find(stages, after.stage)
        after = after.with_changes(
            forecast_category=chosen if chosen is not None else (current.forecast_category if current
                                                                 else after.forecast_category),
            forecast_category_overridden=chosen is not None,
        )
    if stage is not None:
        _check_requirements(after, stage)
    return after


def with_line_items(opportunity: Opportunity, items: Sequence[LineItem]) -> Opportunity:
    """Its line items renumbered in order; the amount is their sum while there are any
    (when the last goes, the amount stays what it was until someone sets it)."""
    items = tuple(replace(item, position=n) for n, item in enumerate(items, start=1))
    amount = sum((item.total for item in items), Decimal(0)) if items else opportunity.amount
    return opportunity.with_changes(line_items=items, amount=money.rounded(amount, opportunity.currency)
                                    if amount is not None else None)


def _unit_price(value: Decimal, currency: str) -> Decimal:
    try:
        return money.exact(value, currency)
    except ValueError as why:
        raise invalid({"unit_price": str(why)}) from None


def new_line_item(product: Product, values: Mapping[str, Any], currency: str) -> LineItem:
    """A line item for `product` in the opportunity's `currency`: priced at the list
    price unless a unit price is given."""
    if not product.active:
        raise Failure("rule", "product_inactive", f"{product.name} is no longer sold",
                      {"product_id": product.id})
    if "unit_price" in values:
        unit_price = _unit_price(values["unit_price"], currency)
    elif product.currency != currency:
        raise Failure("rule", "currency_mismatch",
                      f"{product.name} is priced in {product.currency} and the opportunity in {currency}: "
                      "give the unit price", {"product_currency": product.currency, "currency": currency})
    else:
        unit_price = product.list_price
    quantity, discount = values.get("quantity", Decimal(1)), values.get("discount", Decimal(0))
    return LineItem(id=uuid.uuid4().hex, product_id=product.id, product_name=product.name, quantity=quantity,
                    unit_price=unit_price, discount=discount,
                    total=money.line_total(quantity, unit_price, discount, currency), position=0)


def changed_line_item(item: LineItem, changes: Mapping[str, Any], currency: str) -> LineItem:
    values = {**changes}
    if "unit_price" in values:
        values["unit_price"] = _unit_price(values["unit_price"], currency)
    item = replace(item, **values)
    return replace(item, total=money.line_total(item.quantity, item.unit_price, item.discount, currency))


def changes_between(before: Opportunity, after: Opportunity) -> dict[str, dict[str, Any]]:
    """`opportunity_changed`'s changes: the tracked fields that moved."""
    return {name: {"from": before.value(name), "to": after.value(name)}
            for name in TRACKED if getattr(before, name) != getattr(after, name)}
