"""The SQL behind the use cases: accounts, contacts, products, opportunities with line
items and stage history, the records' field history, lead conversions and the directory
copy (the settings documents are tandem_plumbing.documents'). Plain functions over a
session."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import ColumnElement, Table, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session
from tandem_plumbing.db import utc

from ..domain import money
from ..domain.accounts import Account, Contact, column_names
from ..domain.opportunities import LineItem, Opportunity
from ..domain.products import Product
from .models import (
    accounts,
    activities,
    contacts,
    lead_conversions,
    line_items,
    opportunities,
    owners,
    products,
    record_history,
    stage_history,
)

FAR_FUTURE = date(9999, 12, 31)  # where opportunities without a close date sort


def _times(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"created_at": utc(row["created_at"]), "updated_at": utc(row["updated_at"])}


def _one(session: Session, table: Table, record_id: str, for_update: bool) -> Mapping[str, Any] | None:
    query = select(table).where(table.c.id == record_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).mappings().one_or_none()


def _page(session: Session, query, keys: Sequence[ColumnElement], after: Sequence[Any] | None, limit: int):
    """Rows in the order of `keys` (ascending), after the row whose keys were `after`."""
    if after is not None:
        query = query.where(tuple_(*keys) > tuple_(*after))
    return session.execute(query.order_by(*keys).limit(limit)).mappings().all()


def _contains(columns: Iterable[ColumnElement], needle: str) -> ColumnElement:
    return or_(*(func.lower(column).contains(needle.casefold(), autoescape=True) for column in columns))


def _save(session: Session, table: Table, values: Mapping[str, Any]) -> None:
    """Write a record read with `for_update` (so no one else wrote it meanwhile)."""
    session.execute(update(table).where(table.c.id == values["id"]).values(**values))


# -- accounts and contacts -----------------------------------------------------------------
def _account(row: Mapping[str, Any]) -> Account:
    return Account(**{name: row[name] for name in column_names(Account)} | _times(row))


def _contact(row: Mapping[str, Any]) -> Contact:
    return Contact(**{name: row[name] for name in column_names(Contact)} | _times(row))


def get_account(session: Session, account_id: str, *, for_update: bool = False) -> Account | None:
    row = _one(session, accounts, account_id, for_update)
    return _account(row) if row else None


def insert_record(session: Session, table: Table, record: Account | Contact) -> None:
    session.execute(insert(table).values(**vars(record)))


def save_record(session: Session, table: Table, record: Account | Contact) -> None:
    _save(session, table, vars(record))


def parent_of(session: Session, account_id: str) -> str | None:
    return session.execute(select(accounts.c.parent_id).where(accounts.c.id == account_id)).scalar_one_or_none()


def account_by_domain(session: Session, domain: str) -> Account | None:
    """The oldest account with this domain."""
    row = session.execute(select(accounts).where(accounts.c.domain == domain)
                          .order_by(accounts.c.created_at, accounts.c.id).limit(1)).mappings().one_or_none()
    return _account(row) if row else None


def account_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    return dict(session.execute(select(accounts.c.id, accounts.c.name).where(accounts.c.id.in_(ids))).all())


def page_accounts(session: Session, *, limit: int, after: Sequence[Any] | None = None, owner_id: str | None = None,
                  q: str | None = None, domain: str | None = None, parent_id: str | None = None) -> list[Account]:
    query = select(accounts)
    if owner_id:
        query = query.where(accounts.c.owner_id == owner_id)
    if domain:
        query = query.where(accounts.c.domain == domain.strip().lower())
    if parent_id:
        query = query.where(accounts.c.parent_id == parent_id)
    if q:
        query = query.where(_contains((accounts.c.name, accounts.c.domain), q))
    return [_account(row) for row in _page(session, query, (accounts.c.name, accounts.c.id), after, limit)]


def child_accounts(session: Session, account_id: str) -> list[Account]:
    query = select(accounts).where(accounts.c.parent_id == account_id).order_by(accounts.c.name, accounts.c.id)
    return [_account(row) for row in session.execute(query).mappings()]


def contacts_of(session: Session, account_id: str) -> list[Contact]:
    query = (select(contacts).where(contacts.c.account_id == account_id)
             .order_by(contacts.c.last_name, contacts.c.first_name, contacts.c.id))
    return [_contact(row) for row in session.execute(query).mappings()]


def get_contact(session: Session, contact_id: str, *, for_update: bool = False) -> Contact | None:
    row = _one(session, contacts, contact_id, for_update)
    return _contact(row) if row else None


def contact_by_email(session: Session, account_id: str, email: str) -> Contact | None:
    row = session.execute(select(contacts).where(contacts.c.account_id == account_id, contacts.c.email == email)
                          .order_by(contacts.c.created_at, contacts.c.id).limit(1)).mappings().one_or_none()
    return _contact(row) if row else None


def page_contacts(session: Session, *, limit: int, after: Sequence[Any] | None = None,
                  account_id: str | None = None, owner_id: str | None = None, q: str | None = None,
                  email: str | None = None) -> list[Contact]:
    query = select(contacts)
    if account_id:
        query = query.where(contacts.c.account_id == account_id)
    if owner_id:
        query = query.where(contacts.c.owner_id == owner_id)
    if email:
        query = query.where(contacts.c.email == email.strip().lower())
    if q:
        full_name = contacts.c.first_name + " " + contacts.c.last_name
        query = query.where(_contains((full_name, contacts.c.email), q))
    keys = (contacts.c.last_name, contacts.c.first_name, contacts.c.id)
    return [_contact(row) for row in _page(session, query, keys, after, limit)]


# -- products ------------------------------------------------------------------------------
def _product(row: Mapping[str, Any]) -> Product:
    values = {name: row[name] for name in column_names(Product) if name != "list_price"}
    return Product(**values | _times(row), list_price=money.from_minor(row["list_price_minor"], row["currency"]))


def _product_values(product: Product) -> dict[str, Any]:
    values = {name: value for name, value in vars(product).items() if name != "list_price"}
    return {**values, "list_price_minor": money.to_minor(product.list_price, product.currency)}


def get_product(session: Session, product_id: str, *, for_update: bool = False) -> Product | None:
    row = _one(session, products, product_id, for_update)
    return _product(row) if row else None


def product_with_code(session: Session, code: str) -> str | None:
    return session.execute(select(products.c.id).where(products.c.code == code)).scalar_one_or_none()


def insert_product(session: Session, product: Product) -> None:
    session.execute(insert(products).values(**_product_values(product)))


def save_product(session: Session, product: Product) -> None:
    _save(session, products, _product_values(product))


def page_products(session: Session, *, limit: int, after: Sequence[Any] | None = None, active: bool | None = None,
                  q: str | None = None) -> list[Product]:
    query = select(products)
    if active is not None:
        query = query.where(products.c.active == active)
    if q:
        query = query.where(_contains((products.c.name, products.c.code, products.c.family), q))
    return [_product(row) for row in _page(session, query, (products.c.name, products.c.id), after, limit)]


# -- opportunities -------------------------------------------------------------------------
def _line_item(row: Mapping[str, Any], currency: str) -> LineItem:
    return LineItem(id=row["id"], product_id=row["product_id"], product_name=row["product_name"],
                    quantity=Decimal(row["quantity"]), discount=Decimal(row["discount"]),
                    unit_price=money.from_minor(row["unit_price_minor"], currency),
                    total=money.from_minor(row["total_minor"], currency), position=row["position"])


_OPPORTUNITY_COLUMNS = [name for name in column_names(Opportunity) if name not in ("amount", "referrals", "line_items")]


def _opportunities(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[Opportunity]:
    items: dict[str, list[Mapping[str, Any]]] = {row["id"]: [] for row in rows}
    if items:
        query = (select(line_items).where(line_items.c.opportunity_id.in_(list(items)))
                 .order_by(line_items.c.opportunity_id, line_items.c.position))
        for item in session.execute(query).mappings():
            items[item["opportunity_id"]].append(item)
    found = []
    for row in rows:
        currency = row["currency"]
        amount = row["amount_minor"]
        values = {name: row[name] for name in _OPPORTUNITY_COLUMNS} | _times(row)
        found.append(Opportunity(
            **values | {"closed_at": utc(row["closed_at"])},
            amount=None if amount is None else money.from_minor(amount, currency),
            referrals=tuple(json.loads(row["referrals"])),
            line_items=tuple(_line_item(item, currency) for item in items[row["id"]]),
        ))
    return found


def get_opportunity(session: Session, opportunity_id: str, *, for_update: bool = False) -> Opportunity | None:
    """With `for_update`, concurrent writers of one opportunity take turns (each then
    sees the version the one before it wrote)."""
    row = _one(session, opportunities, opportunity_id, for_update)
    return _opportunities(session, [row])[0] if row else None


def _opportunity_values(opportunity: Opportunity) -> dict[str, Any]:
    values = {name: getattr(opportunity, name) for name in _OPPORTUNITY_COLUMNS}
    amount = opportunity.amount
    return {**values, "referrals": json.dumps(list(opportunity.referrals)),
            "amount_minor": None if amount is None else money.to_minor(amount, opportunity.currency)}


def _line_item_values(opportunity: Opportunity, item: LineItem) -> dict[str, Any]:
    currency = opportunity.currency
    return {"id": item.id, "opportunity_id": opportunity.id, "product_id": item.product_id,
            "product_name": item.product_name, "quantity": money.text(item.quantity),
            "discount": money.text(item.discount), "unit_price_minor": money.to_minor(item.unit_price, currency),
            "total_minor": money.to_minor(item.total, currency), "position": item.position}


def insert_opportunity(session: Session, opportunity: Opportunity, created_by: str | None) -> None:
    session.execute(insert(opportunities).values(**_opportunity_values(opportunity), created_by=created_by))
    _write_line_items(session, opportunity)


def save_opportunity(session: Session, opportunity: Opportunity, *, line_items_changed: bool = False) -> None:
    _save(session, opportunities, _opportunity_values(opportunity))
    if line_items_changed:  # few per opportunity: rewritten whole, renumbered
        session.execute(delete(line_items).where(line_items.c.opportunity_id == opportunity.id))
        _write_line_items(session, opportunity)


def _write_line_items(session: Session, opportunity: Opportunity) -> None:
    if opportunity.line_items:
        session.execute(insert(line_items), [_line_item_values(opportunity, item) for item in opportunity.line_items])


def page_opportunities(session: Session, *, visible: set[str] | None, limit: int, after: Sequence[Any] | None = None,
                       owner_id: str | None = None, account_id: str | None = None, stage: str | None = None,
                       is_closed: bool | None = None, forecast_category: str | None = None,
                       close_date_from: date | None = None, close_date_to: date | None = None,
                       q: str | None = None, lead_id: str | None = None) -> list[Opportunity]:
    """By close date (none last), then name; `visible` None means every owner."""
    query = select(opportunities)
    if visible is not None:
        query = query.where(opportunities.c.owner_id.in_(sorted(visible)))
    for column, value in ((opportunities.c.owner_id, owner_id), (opportunities.c.account_id, account_id),
                          (opportunities.c.stage, stage), (opportunities.c.forecast_category, forecast_category),
                          (opportunities.c.lead_id, lead_id)):
        if value:
            query = query.where(column == value)
    if is_closed is not None:
        query = query.where(opportunities.c.is_closed == is_closed)
    if close_date_from:
        query = query.where(opportunities.c.close_date >= close_date_from)
    if close_date_to:
        query = query.where(opportunities.c.close_date <= close_date_to)
    if q:
        query = query.where(_contains((opportunities.c.name,), q))
    keys = (func.coalesce(opportunities.c.close_date, FAR_FUTURE), opportunities.c.name, opportunities.c.id)
    return _opportunities(session, _page(session, query, keys, after, limit))


def closed_opportunities(session: Session, account_id: str, visible: set[str] | None) -> list[Opportunity]:
    """An account's closed opportunities the caller sees, newest closed first."""
    query = select(opportunities).where(opportunities.c.account_id == account_id, opportunities.c.is_closed)
    if visible is not None:
        query = query.where(opportunities.c.owner_id.in_(sorted(visible)))
    query = query.order_by(opportunities.c.closed_at.desc(), opportunities.c.id)
    return _opportunities(session, session.execute(query).mappings().all())


def opportunities_in_stages(session: Session) -> dict[str, int]:
    return dict(session.execute(select(opportunities.c.stage, func.count()).group_by(opportunities.c.stage)).all())


# -- stage history -------------------------------------------------------------------------
def add_stage_change(session: Session, opportunity: Opportunity, *, from_stage: str | None,
                     actor_id: str | None) -> None:
    values = _opportunity_values(opportunity)
    session.execute(insert(stage_history).values(
        opportunity_id=opportunity.id, at=opportunity.updated_at, actor_id=actor_id, from_stage=from_stage,
        to_stage=opportunity.stage, amount_minor=values["amount_minor"], currency=opportunity.currency,
        close_date=opportunity.close_date, probability=opportunity.probability,
        forecast_category=opportunity.forecast_category,
    ))


def stage_changes(session: Session, opportunity_id: str) -> list[dict[str, Any]]:
    query = select(stage_history).where(stage_history.c.opportunity_id == opportunity_id).order_by(stage_history.c.seq)
    changes = []
    for row in session.execute(query).mappings():
        amount = row["amount_minor"]
        changes.append({**row, "at": utc(row["at"]),
                        "amount": None if amount is None else money.from_minor(amount, row["currency"])})
    return changes


# -- field history -------------------------------------------------------------------------
def add_history(session: Session, record_type: str, record_id: str, entries: Sequence[tuple[str, Mapping]], *,
                at: datetime, actor_id: str | None, correlation_id: str | None) -> None:
    """Entries (action, {field: {"from", "to"}}) of one change of one record, in order."""
    if entries:
        session.execute(insert(record_history), [
            {"record_type": record_type, "record_id": record_id, "at": at, "actor_id": actor_id, "action": action,
             "changes": json.dumps(changes), "correlation_id": correlation_id} for action, changes in entries])


def history_page(session: Session, record_type: str, record_id: str, *, limit: int,
                 after_seq: int = 0) -> list[dict[str, Any]]:
    query = (select(record_history)
             .where(record_history.c.record_type == record_type, record_history.c.record_id == record_id,
                    record_history.c.seq > after_seq)
             .order_by(record_history.c.seq).limit(limit))
    return [{**row, "at": utc(row["at"]), "changes": json.loads(row["changes"])}
            for row in session.execute(query).mappings()]


# -- lead conversions ----------------------------------------------------------------------
def get_conversion(session: Session, lead_id: str) -> Mapping[str, Any] | None:
    query = select(lead_conversions).where(lead_conversions.c.lead_id == lead_id)
    return session.execute(query).mappings().one_or_none()


def insert_conversion(session: Session, **values: Any) -> None:
    session.execute(insert(lead_conversions).values(**values))


# -- the account overview's activities -----------------------------------------------------
def recent_activities(session: Session, related: Mapping[str, Sequence[str]], limit: int) -> list[Mapping[str, Any]]:
    """Activity rows on any of `related` (type -> ids), newest first."""
    conditions = [(activities.c.related_type == kind) & activities.c.related_id.in_(list(ids))
                  for kind, ids in related.items() if ids]
    if not conditions:
        return []
    query = (select(activities).where(or_(*conditions))
             .order_by(activities.c.created_at.desc(), activities.c.id.desc()).limit(limit))
    return session.execute(query).mappings().all()


# -- the directory copy --------------------------------------------------------------------
def managers(session: Session) -> dict[str, str | None]:
    return dict(session.execute(select(owners.c.id, owners.c.manager_id)).all())


def owner(session: Session, user_id: str) -> Mapping[str, Any] | None:
    query = select(owners.c.role, owners.c.active).where(owners.c.id == user_id)
    return session.execute(query).mappings().one_or_none()
