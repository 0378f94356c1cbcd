"""The read model's totals behind pipeline analytics: grouped per currency (converted in
domain.analytics), for the deals of `owners` (None: everyone's)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import leads, opportunities

deals = opportunities.c


def _owned(query, column, owners: Iterable[str] | None):
    return query if owners is None else query.where(column.in_(sorted(owners)))


def stage_totals(session: Session, first_day: date, last_day: date, owners: Iterable[str] | None
                 ) -> list[Mapping[str, Any]]:
    """(stage, is_closed, is_won, probability (lowest), currency, deals, priced, minor) of
    the deals closing in the period; `priced`: those with an amount."""
    query = (select(deals.stage, deals.is_closed, deals.is_won, func.min(deals.probability).label("probability"),
                    deals.currency, func.count().label("deals"), func.count(deals.amount_minor).label("priced"),
                    func.sum(deals.amount_minor).label("minor"))
             .where(deals.close_date.between(first_day, last_day))
             .group_by(deals.stage, deals.is_closed, deals.is_won, deals.currency))
    return session.execute(_owned(query, deals.owner_id, owners)).mappings().all()


def won_lifetimes(session: Session, first_day: date, last_day: date, owners: Iterable[str] | None
                  ) -> list[tuple[datetime, datetime]]:
    """(created_at, closed_at) of the won deals closing in the period."""
    query = select(deals.created_at, deals.closed_at).where(
        deals.close_date.between(first_day, last_day), deals.is_won.is_(True), deals.closed_at.is_not(None))
    return [tuple(row) for row in session.execute(_owned(query, deals.owner_id, owners))]


def lead_funnel(session: Session, start: datetime, end: datetime, owners: Iterable[str] | None) -> Mapping[str, int]:
    """Leads created in [start, end): how many, and how many of them converted."""
    query = select(func.count().label("created"), func.count(leads.c.converted_at).label("converted")).where(
        leads.c.created_at >= start, leads.c.created_at < end)
    return session.execute(_owned(query, leads.c.owner_id, owners)).mappings().one()


def opportunity_funnel(session: Session, start: datetime, end: datetime, owners: Iterable[str] | None
                       ) -> Mapping[str, int]:
    """Opportunities created in [start, end): how many, how many from a lead, how many won."""
    query = select(func.count().label("created"), func.count(deals.lead_id).label("from_leads"),
                   func.count().filter(deals.is_won.is_(True)).label("won")).where(
        deals.created_at >= start, deals.created_at < end)
    return session.execute(_owned(query, deals.owner_id, owners)).mappings().one()


def referral_totals(session: Session, first_day: date, last_day: date, owners: Iterable[str] | None
                    ) -> list[Mapping[str, Any]]:
    """(agent_id, is_closed, is_won, currency, deals, minor) of the deals closing in the
    period that came from a service referral; omitted deals never count as pipeline."""
    query = (select(deals.referral_agent_id.label("agent_id"), deals.is_closed, deals.is_won, deals.currency,
                    func.count().label("deals"), func.sum(deals.amount_minor).label("minor"))
             .where(deals.close_date.between(first_day, last_day), deals.referral_agent_id.is_not(None),
                    (deals.forecast_category != "omitted") | deals.is_closed.is_(True))
             .group_by(deals.referral_agent_id, deals.is_closed, deals.is_won, deals.currency))
    return session.execute(_owned(query, deals.owner_id, owners)).mappings().all()
