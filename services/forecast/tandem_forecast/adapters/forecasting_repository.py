"""Reading and writing what forecasts are made of: the directory copy, the period's deal
totals, adjustments, quotas, the settings document and the deals behind a number."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Collection, Iterable, Mapping

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from tandem_plumbing.db import utc
from tandem_plumbing.documents import load_document, save_document

from .models import adjustments, forecast_settings, opportunities, quotas, users  # models.py imports them first


# -- the directory copy --------------------------------------------------------------------
def directory(session: Session) -> dict[str, Mapping[str, Any]]:
    """user id -> {id, name, manager_id, active, role}."""
    rows = session.execute(select(users.c.id, users.c.name, users.c.manager_id, users.c.active, users.c.role))
    return {row["id"]: row for row in rows.mappings()}


# A large team is filtered in Python: hundreds of bind parameters cost more than the
# period's rows of other owners (measured with 500 users and 100,000 deals).
SQL_FILTER_MAX = 50


def _owned_by(query, column, owners: Collection[str] | None):
    if owners is not None and len(owners) <= SQL_FILTER_MAX:
        return query.where(column.in_(list(owners)))
    return query


def _kept(owner: str, owners: Collection[str] | None) -> bool:
    return owners is None or len(owners) <= SQL_FILTER_MAX or owner in owners


# -- deals -----------------------------------------------------------------------------------
def deal_totals(session: Session, first_day: date, last_day: date, owners: Collection[str] | None,
                categories: Iterable[str]) -> list[tuple[str, str, str, int, int]]:
    """(owner_id, forecast_category, currency, deals, amount_minor) of the deals closing in
    the period, for `owners` (None: everyone) and `categories`."""
    query = (
        select(opportunities.c.owner_id, opportunities.c.forecast_category, opportunities.c.currency,
               func.count(), func.coalesce(func.sum(opportunities.c.amount_minor), 0))
        .where(opportunities.c.close_date.between(first_day, last_day),
               opportunities.c.forecast_category.in_(list(categories)))
        .group_by(opportunities.c.owner_id, opportunities.c.forecast_category, opportunities.c.currency)
    )
    rows = session.execute(_owned_by(query, opportunities.c.owner_id, owners)).all()  # fetched at once
    # PostgreSQL sums a bigint into a numeric: back to whole minor units
    return [(owner, category, currency, deals, int(minor))
            for owner, category, currency, deals, minor in rows if _kept(owner, owners)]


def deals_page(session: Session, first_day: date, last_day: date, owners: Iterable[str] | None,
               categories: Iterable[str], *, limit: int, after: tuple[date, str] | None) -> list[Mapping[str, Any]]:
    """The deals behind a number, by close date then id, after the (close_date, id) given."""
    columns = opportunities.c
    query = (select(opportunities)
             .where(columns.close_date.between(first_day, last_day), columns.forecast_category.in_(list(categories)))
             .order_by(columns.close_date, columns.id).limit(limit))
    if owners is not None:
        query = query.where(columns.owner_id.in_(list(owners)))
    if after is not None:
        day, last_id = after
        query = query.where((columns.close_date > day) | ((columns.close_date == day) & (columns.id > last_id)))
    return session.execute(query).mappings().all()


# -- adjustments -----------------------------------------------------------------------------
def _adjustment(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "created_at": utc(row["created_at"])}


def current_adjustments(session: Session, period: str, owners: Collection[str] | None) -> list[dict[str, Any]]:
    """The newest adjustment of each (user, category) in the period that still has an
    amount (a newest one without an amount took the number back)."""
    newest = (select(func.max(adjustments.c.id))
              .where(adjustments.c.period == period)
              .group_by(adjustments.c.user_id, adjustments.c.category))
    query = select(adjustments).where(adjustments.c.id.in_(_owned_by(newest, adjustments.c.user_id, owners)),
                                      adjustments.c.amount_minor.is_not(None))
    return [_adjustment(row) for row in session.execute(query).mappings() if _kept(row["user_id"], owners)]


def adjustment_history(session: Session, user_id: str, period: str, category: str | None) -> list[dict[str, Any]]:
    query = (select(adjustments).where(adjustments.c.user_id == user_id, adjustments.c.period == period)
             .order_by(adjustments.c.id.desc()))
    if category is not None:
        query = query.where(adjustments.c.category == category)
    return [_adjustment(row) for row in session.execute(query).mappings()]


def insert_adjustment(session: Session, **values: Any) -> dict[str, Any]:
    new_id = session.execute(insert(adjustments).values(**values).returning(adjustments.c.id)).scalar_one()
    return {"id": new_id, **values}


# -- quotas ----------------------------------------------------------------------------------
def _quota(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "updated_at": utc(row["updated_at"])}


def get_quota(session: Session, user_id: str, period: str, *, for_update: bool = False) -> dict[str, Any] | None:
    query = select(quotas).where(quotas.c.user_id == user_id, quotas.c.period == period)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).mappings().one_or_none()
    return None if row is None else _quota(row)


def list_quotas(session: Session, period: str | None, owners: Collection[str] | None) -> list[dict[str, Any]]:
    query = select(quotas).order_by(quotas.c.period, quotas.c.user_id)
    if period is not None:
        query = query.where(quotas.c.period == period)
    query = _owned_by(query, quotas.c.user_id, owners)
    return [_quota(row) for row in session.execute(query).mappings() if _kept(row["user_id"], owners)]


def save_quota(session: Session, values: dict[str, Any]) -> None:
    if values["version"] == 1:
        session.execute(insert(quotas).values(**values))
    else:
        key = (quotas.c.user_id == values["user_id"]) & (quotas.c.period == values["period"])
        session.execute(update(quotas).where(key).values(**values))


# -- the settings document -------------------------------------------------------------------
def load_setting(session: Session, name: str, *, for_update: bool = False) -> dict[str, Any] | None:
    return load_document(session, forecast_settings, name, for_update=for_update)


def save_setting(session: Session, name: str, document: Any, *, version: int, at: datetime, by: str) -> None:
    save_document(session, forecast_settings, name, document, version=version, at=at, by=by)
