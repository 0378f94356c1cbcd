"""Pipeline analytics for a period over a user's subtree, computed when asked from the
read model (totals per currency from SQL, arithmetic in domain.analytics). Answers are
plain dicts shaped like the tandem.forecast.v1 Analytics messages.

Which deals count: the per-stage totals, win rate, won deal size, sales cycle and
referral revenue take the deals whose close date is in the period; the funnel takes the
leads and opportunities CREATED in the period (a cohort: of those leads, how many
converted; of those opportunities, how many came from a lead and how many are won).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session
from tandem_plumbing.db import utc
from tandem_plumbing.directory import subtree
from tandem_plumbing.failures import Caller

from ..adapters import analytics_repository as repository
from ..domain import access, inputs
from ..domain.analytics import (
    Converter,
    Tally,
    average_days,
    average_minor,
    ratio,
    referral_revenue,
    stage_totals,
)
from ..domain.periods import Period
from .forecasts import team_of
from .settings import current_settings


@dataclass(frozen=True)
class Scope:
    period: Period
    owners: set[str] | None  # None: everyone
    user_id: str  # whose subtree; "" for an admin's everyone
    converter: Converter
    directory: dict


def scope(session: Session, caller: Caller, period: Any, user_id: str | None) -> Scope:
    """The period and the owners whose deals count: `user_id`'s subtree (someone the
    caller sees, else not_found), by default the caller's own scope."""
    team = team_of(session, caller)  # service agents: forbidden before anything else
    settings = current_settings(session)
    problems: dict[str, str] = {}
    checked = inputs.period(period, settings.fiscal_year_start_month, problems)
    if problems:
        raise inputs.invalid(problems)
    if user_id:
        access.check_may_see(team.visible, user_id, team.managers)
        owners = subtree(user_id, team.managers)
    else:
        owners, user_id = team.visible, "" if team.visible is None else caller.user_id
    return Scope(checked, owners, user_id, Converter(settings.currency, settings.rates), team.directory)


def _header(found: Scope) -> dict[str, Any]:
    return {"period": found.period.name, "user_id": found.user_id, "currency": found.converter.currency,
            "period_start": found.period.first_day.isoformat(), "period_end": found.period.last_day.isoformat()}


def _stages(session: Session, found: Scope):
    rows = repository.stage_totals(session, found.period.first_day, found.period.last_day, found.owners)
    return rows, stage_totals(rows, found.converter)


def pipeline(session: Session, caller: Caller, period: Any, user_id: str | None = None) -> dict[str, Any]:
    """Totals and counts per stage (every deal closing in the period, whatever its category)."""
    found = scope(session, caller, period, user_id)
    _rows, stages = _stages(session, found)
    open_total, closed_total = Tally(), Tally()
    for stage in stages:
        (closed_total if stage.is_closed else open_total).add(stage.tally.count, stage.tally.minor)
    text = found.converter.text
    return {
        **_header(found),
        "stages": [{"stage": s.stage, "is_closed": s.is_closed, "is_won": s.is_won, "count": s.tally.count,
                    "amount": text(s.tally.minor)} for s in stages],
        "open_count": open_total.count, "open_amount": text(open_total.minor),
        "closed_count": closed_total.count, "closed_amount": text(closed_total.minor),
        "unconverted": found.converter.left_out(),
    }


def _referral(total, text) -> dict[str, Any]:
    return {"id": total.id or "", "name": total.name or "", "pipeline_count": total.pipeline.count,
            "pipeline_amount": text(total.pipeline.minor), "won_count": total.won.count,
            "won_amount": text(total.won.minor)}


def analytics(session: Session, caller: Caller, period: Any, user_id: str | None = None) -> dict[str, Any]:
    found = scope(session, caller, period, user_id)
    first, last, owners, text = found.period.first_day, found.period.last_day, found.owners, found.converter.text
    rows, stages = _stages(session, found)
    won, closed = Tally(), Tally()
    for stage in stages:
        if stage.is_closed:
            closed.add(stage.tally.count, stage.tally.minor)
        if stage.is_won:
            won.add(stage.tally.count, stage.tally.minor)
    priced_won = sum(row["priced"] for row in rows if row["is_won"])  # won deals that have an amount
    days = [(utc(closed_at).date() - utc(created_at).date()).days
            for created_at, closed_at in repository.won_lifetimes(session, first, last, owners)]
    start = datetime.combine(first, time(), timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(), timezone.utc)
    lead_funnel = repository.lead_funnel(session, start, end, owners)
    deal_funnel = repository.opportunity_funnel(session, start, end, owners)
    # Referral deals are among the stage totals' deals: what they leave unconverted is already listed.
    total, by_agent, by_team = referral_revenue(repository.referral_totals(session, first, last, owners),
                                                found.directory, Converter(found.converter.currency,
                                                                           found.converter.rates))
    average = average_minor(won.minor, priced_won)
    return {
        **_header(found),
        "win_rate": {"won_count": won.count, "closed_count": closed.count, "won_amount": text(won.minor),
                     "closed_amount": text(closed.minor), "by_count": ratio(won.count, closed.count),
                     "by_amount": ratio(won.minor, closed.minor)},
        "average_won_deal": {"count": priced_won, "total": text(won.minor),
                             "average": None if average is None else text(average)},
        "sales_cycle": {"count": len(days), "total_days": sum(days),
                        "average_days": average_days(sum(days), len(days))},
        "funnel": {"leads_created": lead_funnel["created"], "leads_converted": lead_funnel["converted"],
                   "opportunities_created": deal_funnel["created"],
                   "opportunities_from_leads": deal_funnel["from_leads"], "opportunities_won": deal_funnel["won"]},
        "referral_total": _referral(total, text),
        "referrals_by_agent": [_referral(t, text) for t in by_agent],
        "referrals_by_team": [_referral(t, text) for t in by_team],
        "unconverted": found.converter.left_out(),
    }
