"""Opportunities, their line items, stage history and field history. Only the owner's
chain sees one (admins all, managers their team, reps their own, agents none). Every
change bumps the version, is checked against `expected_version`, writes its field
history and announces the snapshot: opportunity_created / opportunity_changed, and
opportunity_closed on entering a closed stage. Writers of one opportunity take turns
(the row is read FOR UPDATE)."""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping

from sqlalchemy.orm import Session
from tandem_plumbing.failures import Caller

from ..adapters import repository
from ..domain import access, history, money
from ..domain.accounts import Account
from ..domain.fields import day, invalid, parse
from ..domain.opportunities import (
    LINE_ITEM,
    LINE_ITEM_CHANGES,
    OPPORTUNITY,
    LineItem,
    Opportunity,
    changed,
    changed_line_item,
    changes_between,
    new_line_item,
    new_opportunity,
    with_line_items,
)
from ..domain.stages import CATEGORIES
from .common import (
    check_owner,
    check_version,
    decode_token,
    emit,
    history_page,
    limit_of,
    not_found,
    now,
    paged,
    remember,
    visible,
)
from .stages import sales_path

OPPORTUNITY_CREATED, OPPORTUNITY_CHANGED, OPPORTUNITY_CLOSED = (
    "opportunity_created", "opportunity_changed", "opportunity_closed")
OPPORTUNITY_RECORD = "opportunity"  # its record_type in the field history


def account_for(session: Session, account_id: str) -> Account:
    account = repository.get_account(session, account_id)
    if account is None:
        raise invalid({"account_id": "is not an account"})
    return account


def _check_contact(session: Session, opportunity: Opportunity) -> None:
    contact_id = opportunity.primary_contact_id
    if contact_id is None:
        return
    contact = repository.get_contact(session, contact_id)
    if contact is None or contact.account_id != opportunity.account_id:
        raise invalid({"primary_contact_id": "is not a contact of the opportunity's account"})


def _closed(opportunity: Opportunity, snapshot: dict[str, Any]) -> dict[str, Any]:
    amount = opportunity.amount
    return {"opportunity": snapshot, "won": opportunity.is_won, "loss_reason": opportunity.loss_reason,
            "amount": None if amount is None else {"amount": money.text(amount), "currency": opportunity.currency}}


def insert_new(session: Session, caller: Caller, opportunity: Opportunity, account_name: str) -> None:
    """Write a checked new opportunity, its first stage history row and its events."""
    repository.insert_opportunity(session, opportunity, caller.user_id)
    repository.add_stage_change(session, opportunity, from_stage=None, actor_id=caller.user_id)
    remember(session, caller, OPPORTUNITY_RECORD, opportunity.id, history.opportunity_entries(None, opportunity),
             opportunity.created_at)
    snapshot = opportunity.snapshot(account_name)
    emit(session, OPPORTUNITY_CREATED, {"opportunity": snapshot}, caller)
    if opportunity.is_closed:
        emit(session, OPPORTUNITY_CLOSED, _closed(opportunity, snapshot), caller)


def _save_changed(session: Session, caller: Caller, before: Opportunity, after: Opportunity, *,
                  line_item: tuple[LineItem | None, LineItem | None] | None = None) -> Opportunity:
    """Write a change (`line_item`: the one added, changed or removed, as (before, after)),
    its stage and field history and its events."""
    after = after.with_changes(version=before.version + 1, updated_at=now())
    repository.save_opportunity(session, after, line_items_changed=line_item is not None)
    if after.stage != before.stage:
        repository.add_stage_change(session, after, from_stage=before.stage, actor_id=caller.user_id)
    entries = ([history.line_item_entry(before, after, *line_item)] if line_item is not None
               else history.opportunity_entries(before, after))
    remember(session, caller, OPPORTUNITY_RECORD, after.id, entries, after.updated_at)
    snapshot = after.snapshot(repository.account_names(session, [after.account_id]).get(after.account_id))
    emit(session, OPPORTUNITY_CHANGED, {"opportunity": snapshot, "changes": changes_between(before, after)}, caller)
    if after.is_closed and after.stage != before.stage:
        emit(session, OPPORTUNITY_CLOSED, _closed(after, snapshot), caller)
    return after


def create_opportunity(session: Session, caller: Caller, values: Mapping[str, Any], *,
                       validate_only: bool = False) -> Opportunity | None:
    """A new opportunity, the caller's unless they name an owner they may give it to, in
    the stage given (else the first), whose requirements it must meet."""
    access.check_sales(caller)
    fields = parse(OPPORTUNITY, values, new=True)
    owner_id = fields.pop("owner_id", caller.user_id)
    check_owner(session, caller, visible(session, caller), owner_id)
    account = account_for(session, fields["account_id"])
    opportunity = new_opportunity(fields, sales_path(session).stages, owner_id=owner_id, now=now())
    _check_contact(session, opportunity)
    if validate_only:
        return None
    insert_new(session, caller, opportunity, account.name)
    return opportunity


def get_opportunity(session: Session, caller: Caller, opportunity_id: str, *,
                    for_update: bool = False) -> Opportunity:
    opportunity = repository.get_opportunity(session, opportunity_id, for_update=for_update)
    if opportunity is None or not access.may_see(visible(session, caller), opportunity.owner_id):
        raise not_found("opportunity", opportunity_id)
    return opportunity


def _writable(session: Session, caller: Caller, opportunity_id: str, expected_version: int | None) -> Opportunity:
    opportunity = get_opportunity(session, caller, opportunity_id, for_update=True)
    check_version("opportunity", opportunity.version, expected_version)
    return opportunity


def update_opportunity(session: Session, caller: Caller, opportunity_id: str, values: Mapping[str, Any], *,
                       clear: Iterable[str] = (), expected_version: int | None = None,
                       validate_only: bool = False) -> Opportunity | None:
    """Change fields and move along the Sales Path in one step. Nothing changed: the
    opportunity as it was (same version)."""
    changes = parse(OPPORTUNITY, values, clear=clear, new=False)
    opportunity = _writable(session, caller, opportunity_id, expected_version)
    if changes.get("owner_id", opportunity.owner_id) != opportunity.owner_id:
        check_owner(session, caller, visible(session, caller), changes["owner_id"])
    if changes.get("account_id", opportunity.account_id) != opportunity.account_id:
        account_for(session, changes["account_id"])
    after = changed(opportunity, changes, sales_path(session).stages, now())
    if (after.primary_contact_id, after.account_id) != (opportunity.primary_contact_id, opportunity.account_id):
        _check_contact(session, after)
    if validate_only:
        return None
    if after == opportunity:
        return opportunity
    return _save_changed(session, caller, opportunity, after)


def add_line_item(session: Session, caller: Caller, opportunity_id: str, values: Mapping[str, Any], *,
                  expected_version: int | None = None, validate_only: bool = False) -> Opportunity | None:
    """A product on the deal, priced at its list price unless a unit price is given."""
    fields = parse(LINE_ITEM, values, new=True)
    opportunity = _writable(session, caller, opportunity_id, expected_version)
    product = repository.get_product(session, fields["product_id"])
    if product is None:
        raise invalid({"product_id": "is not a product"})
    item = new_line_item(product, fields, opportunity.currency)
    if validate_only:
        return None
    after = with_line_items(opportunity, [*opportunity.line_items, item])
    return _save_changed(session, caller, opportunity, after, line_item=(None, item))


def _item_index(opportunity: Opportunity, line_item_id: str) -> int:
    for n, item in enumerate(opportunity.line_items):
        if item.id == line_item_id:
            return n
    raise not_found("line item", line_item_id)


def update_line_item(session: Session, caller: Caller, opportunity_id: str, line_item_id: str,
                     values: Mapping[str, Any], *, expected_version: int | None = None,
                     validate_only: bool = False) -> Opportunity | None:
    changes = parse(LINE_ITEM_CHANGES, values, new=False)
    opportunity = _writable(session, caller, opportunity_id, expected_version)
    n = _item_index(opportunity, line_item_id)
    items = list(opportunity.line_items)
    items[n] = changed_line_item(items[n], changes, opportunity.currency)
    if validate_only:
        return None
    if items[n] == opportunity.line_items[n]:
        return opportunity
    return _save_changed(session, caller, opportunity, with_line_items(opportunity, items),
                         line_item=(opportunity.line_items[n], items[n]))


def remove_line_item(session: Session, caller: Caller, opportunity_id: str, line_item_id: str, *,
                     expected_version: int | None = None) -> Opportunity:
    opportunity = _writable(session, caller, opportunity_id, expected_version)
    n = _item_index(opportunity, line_item_id)
    items = [*opportunity.line_items[:n], *opportunity.line_items[n + 1:]]
    return _save_changed(session, caller, opportunity, with_line_items(opportunity, items),
                         line_item=(opportunity.line_items[n], None))


def stage_history(session: Session, caller: Caller, opportunity_id: str) -> list[dict[str, Any]]:
    """Every stage change, oldest first: who, when, from, to, and the deal at that moment."""
    get_opportunity(session, caller, opportunity_id)
    return repository.stage_changes(session, opportunity_id)


def opportunity_history(session: Session, caller: Caller, opportunity_id: str, *, page_size: int = 0,
                        page_token: str = "") -> tuple[list[dict[str, Any]], str | None]:
    """Who changed which field, when, from what to what, oldest first; for whoever may
    read the opportunity."""
    get_opportunity(session, caller, opportunity_id)
    return history_page(session, OPPORTUNITY_RECORD, opportunity_id, page_size, page_token)


def list_opportunities(session: Session, caller: Caller, *, owner_id: str | None = None,
                       account_id: str | None = None, stage: str | None = None, is_closed: bool | None = None,
                       forecast_category: str | None = None, close_date_from: str | None = None,
                       close_date_to: str | None = None, q: str | None = None, lead_id: str | None = None,
                       page_size: int = 0, page_token: str = "") -> tuple[list[Opportunity], str | None]:
    """The caller's visible opportunities by close date (none last), then name."""
    problems, dates = {}, {}
    if forecast_category is not None and forecast_category not in CATEGORIES:
        problems["forecast_category"] = f"must be one of {', '.join(CATEGORIES)}"
    for name, value in (("close_date_from", close_date_from), ("close_date_to", close_date_to)):
        try:
            dates[name] = day(value) if value is not None else None
        except ValueError as why:
            problems[name] = str(why)
    try:
        after = decode_token(page_token, 3)
        if after is not None:
            after[0] = date.fromisoformat(after[0])
    except (TypeError, ValueError):
        problems["page_token"] = "is not a token this API returned"
    if problems:
        raise invalid(problems)
    team = visible(session, caller)
    if team is not None and not team:
        return [], None
    limit = limit_of(page_size)
    found = repository.page_opportunities(
        session, visible=team, limit=limit + 1, after=after, owner_id=owner_id, account_id=account_id, stage=stage,
        is_closed=is_closed, forecast_category=forecast_category, q=q, lead_id=lead_id, **dates)
    return paged(found, limit,
                 lambda o: [(o.close_date or repository.FAR_FUTURE).isoformat(), o.name, o.id])
