"""Quotas: what a user is expected to close in a period, in the forecast currency.
Managers set them for anyone below them, admins for anyone; whoever sees a user's
forecast sees their quota."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tandem_plumbing.directory import subtree
from tandem_plumbing.failures import Caller, Failure

from ..adapters import forecasting_repository as repository
from ..domain import access, inputs
from .forecasts import team_of
from .settings import current_settings


def set_quota(session: Session, caller: Caller, *, user_id: Any, period: Any, amount: Any,
              expected_version: int | None = None, validate_only: bool = False) -> dict[str, Any] | None:
    """Set (or replace) a quota; If-Match optional. The quota as saved."""
    access.check_may_set_quotas(caller)
    settings = current_settings(session)
    problems: dict[str, str] = {}
    user_id = inputs.user_id(user_id, problems)
    checked = inputs.period(period, settings.fiscal_year_start_month, problems)
    minor = inputs.amount(amount, settings.currency, problems)
    if problems:
        raise inputs.invalid(problems)
    if validate_only:
        return None
    team = team_of(session, caller)
    access.check_quota_of(caller, team.visible, user_id, team.managers)
    current = repository.get_quota(session, user_id, checked.name, for_update=True)
    version = current["version"] if current else 0
    if expected_version is not None and expected_version != version:
        raise _stale(version)
    quota = {"user_id": user_id, "period": checked.name, "amount_minor": minor, "currency": settings.currency,
             "version": version + 1, "updated_at": datetime.now(timezone.utc), "updated_by": caller.user_id}
    try:
        with session.begin_nested():
            repository.save_quota(session, quota)
    except IntegrityError:  # a first quota for the same user and period was saved meanwhile
        raise _stale(repository.get_quota(session, user_id, checked.name)["version"]) from None
    return quota


def _stale(current_version: int) -> Failure:
    return Failure("stale", "version_mismatch", "the quota changed since you read it; read it again",
                   {"current_version": current_version})


def list_quotas(session: Session, caller: Caller, *, period: Any = None, user_id: Any = None) -> list[dict[str, Any]]:
    """Quotas (of one period, if given) of `user_id` and everyone below them, or of
    everyone the caller sees; by period, then user."""
    team = team_of(session, caller)
    settings = current_settings(session)
    problems: dict[str, str] = {}
    checked = None if period is None else inputs.period(period, settings.fiscal_year_start_month, problems)
    if problems:
        raise inputs.invalid(problems)
    owners = team.visible
    if user_id is not None:
        access.check_may_see(team.visible, user_id, team.managers)
        owners = subtree(user_id, team.managers)
    return repository.list_quotas(session, checked.name if checked else None, owners)
