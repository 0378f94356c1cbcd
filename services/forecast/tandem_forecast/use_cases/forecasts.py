"""A user's forecast for a period and the deals behind its numbers, computed when asked
from the read model: the deals' totals per owner and category over the period's close
dates (one query), converted to the forecast currency, then rolled up the directory
copy's hierarchy as it is now (domain.forecasts). No counters are kept, so replays,
reordering, a backfill and a rep moving to another manager all give the right numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy.orm import Session
from tandem_plumbing.directory import subtree
from tandem_plumbing.failures import Caller

from ..adapters import forecasting_repository as repository
from ..domain import access, inputs, money
from ..domain.forecasts import COUNTED, INCLUDES, Forecast, cumulative, roll_up
from ..domain.periods import Period
from ..domain.settings import Settings
from .settings import current_settings


@dataclass(frozen=True)
class Team:
    """The directory copy and what of it the caller sees."""

    directory: dict[str, Mapping[str, Any]]
    managers: dict[str, str | None]
    visible: set[str] | None


def team_of(session: Session, caller: Caller) -> Team:
    directory = repository.directory(session)
    managers = {user_id: row["manager_id"] for user_id, row in directory.items()}
    return Team(directory, managers, access.visible_users(caller, managers))


@dataclass(frozen=True)
class ForecastView:
    period: Period
    settings: Settings
    tree: Forecast
    directory: dict[str, Mapping[str, Any]]
    quotas: dict[str, int]  # user -> quota in the forecast currency (those with one and a rate)
    adjustments: dict[str, dict[str, dict[str, Any]]]  # user -> number -> the adjustment in force (its row)


def compute(session: Session, settings: Settings, period: Period, root: str, team: Team) -> ForecastView:
    """`root`'s forecast over their subtree."""
    members = subtree(root, team.managers)
    managers = {user_id: None if user_id == root else team.managers.get(user_id) for user_id in members}
    by_category: dict[str, dict[str, int]] = {}
    unconverted: dict[str, dict[str, tuple[int, int]]] = {}
    for owner, category, currency, deals, minor in repository.deal_totals(
            session, period.first_day, period.last_day, members, COUNTED):
        converted = money.convert(minor, currency, settings.currency, settings.rates)
        if converted is None:
            before = unconverted.setdefault(owner, {}).get(currency, (0, 0))
            unconverted[owner][currency] = (before[0] + deals, before[1] + minor)
        else:
            totals = by_category.setdefault(owner, {})
            totals[category] = totals.get(category, 0) + converted
    adjustments: dict[str, dict[str, dict[str, Any]]] = {}
    for row in repository.current_adjustments(session, period.name, members):
        amount = money.convert(row["amount_minor"], row["currency"], settings.currency, settings.rates)
        if amount is not None:  # made in an earlier forecast currency that has no rate now: not applied
            adjustments.setdefault(row["user_id"], {})[row["category"]] = {**row, "amount_minor": amount}
    quotas = {}
    for row in repository.list_quotas(session, period.name, members):
        amount = money.convert(row["amount_minor"], row["currency"], settings.currency, settings.rates)
        if amount is not None:
            quotas[row["user_id"]] = amount
    tree = roll_up(
        root, managers, {owner: cumulative(totals) for owner, totals in by_category.items()},
        {user_id: {number: row["amount_minor"] for number, row in numbers.items()}
         for user_id, numbers in adjustments.items()},
        unconverted,
    )
    return ForecastView(period, settings, tree, team.directory, quotas, adjustments)


def get_forecast(session: Session, caller: Caller, period: str, user_id: str | None = None) -> ForecastView:
    """`user_id`'s forecast (default: the caller's) with each direct report's."""
    team = team_of(session, caller)
    settings = current_settings(session)
    problems: dict[str, str] = {}
    checked = inputs.period(period, settings.fiscal_year_start_month, problems)
    if problems:
        raise inputs.invalid(problems)
    root = user_id or caller.user_id
    access.check_may_see(team.visible, root, team.managers)
    return compute(session, settings, checked, root, team)


def forecast_opportunities(
    session: Session,
    caller: Caller,
    period: str,
    *,
    user_id: str | None = None,
    category: str | None = None,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[Settings, list[dict[str, Any]], str | None]:
    """The deals behind `category`'s number (default: every deal that counts in any) in
    `user_id`'s subtree, by close date then id: (settings, deals with `owner_name` and
    `forecast_minor` (None: no amount or no rate), next page token)."""
    team = team_of(session, caller)
    settings = current_settings(session)
    problems: dict[str, str] = {}
    checked = inputs.period(period, settings.fiscal_year_start_month, problems)
    category = inputs.category(category, problems, required=False)
    after = inputs.decode_token(page_token, problems)
    if problems:
        raise inputs.invalid(problems)
    root = user_id or caller.user_id
    access.check_may_see(team.visible, root, team.managers)
    limit = inputs.limit_of(page_size)
    rows = repository.deals_page(session, checked.first_day, checked.last_day, subtree(root, team.managers),
                                 INCLUDES[category] if category else COUNTED, limit=limit + 1, after=after)
    more, rows = len(rows) > limit, rows[:limit]
    deals = [{**row, "owner_name": team.directory[row["owner_id"]]["name"],
              "forecast_minor": None if row["amount_minor"] is None else money.convert(
                  row["amount_minor"], row["currency"], settings.currency, settings.rates)}
             for row in rows]
    token = inputs.encode_token(rows[-1]["close_date"], rows[-1]["id"]) if more else None
    return settings, deals, token
