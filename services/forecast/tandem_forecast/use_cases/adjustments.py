"""Managers' adjustments: a manager changes one number of their own or of anyone below
them (admins: anyone's), saying why. Every adjustment is kept with its author, reason,
time and the number it replaced; the newest one of (user, period, number) is in force,
and one without an amount takes the number back to the computed one."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session
from tandem_plumbing.failures import Caller, Failure

from ..adapters import forecasting_repository as repository
from ..domain import access, inputs
from .forecasts import compute, team_of
from .settings import current_settings


def adjust_forecast(
    session: Session,
    caller: Caller,
    *,
    user_id: Any,
    period: Any,
    category: Any,
    amount: Any,
    reason: Any,
    validate_only: bool = False,
) -> dict[str, Any] | None:
    """Record an adjustment (amount None: remove the one in force); the new row."""
    access.check_may_adjust(caller)
    settings = current_settings(session)
    problems: dict[str, str] = {}
    user_id = inputs.user_id(user_id, problems)
    checked = inputs.period(period, settings.fiscal_year_start_month, problems)
    category = inputs.category(category, problems, required=True)
    minor = None if amount is None else inputs.amount(amount, settings.currency, problems)
    reason = inputs.reason(reason, problems)
    if problems:
        raise inputs.invalid(problems)
    if validate_only:
        return None
    team = team_of(session, caller)
    access.check_may_see(team.visible, user_id, team.managers)
    view = compute(session, settings, checked, user_id, team)
    if amount is None and category not in view.tree.adjustments:
        raise Failure("rule", "not_adjusted", f"{user_id}'s {category} for {checked.name} has no adjustment to remove")
    return repository.insert_adjustment(
        session, user_id=user_id, period=checked.name, category=category, amount_minor=minor,
        previous_minor=view.tree.adjusted[category], currency=settings.currency, reason=reason,
        author_id=caller.user_id, created_at=datetime.now(timezone.utc))


def adjustment_history(session: Session, caller: Caller, user_id: Any, period: Any,
                       category: Any = None) -> list[dict[str, Any]]:
    """Every adjustment of `user_id` in the period (of one number, if given), newest first."""
    team = team_of(session, caller)
    settings = current_settings(session)
    problems: dict[str, str] = {}
    user_id = inputs.user_id(user_id, problems)
    checked = inputs.period(period, settings.fiscal_year_start_month, problems)
    category = inputs.category(category, problems, required=False)
    if problems:
        raise inputs.invalid(problems)
    access.check_may_see(team.visible, user_id, team.managers)
    return repository.adjustment_history(session, user_id, checked.name, category)
