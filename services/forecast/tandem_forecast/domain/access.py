"""Who sees and changes which forecasts (and the analytics and reports built on the
same numbers).

Admins: everyone's. Sales managers: their own and everyone's below them in the
hierarchy (the directory copy's `manager_id`). Sales reps: their own. Service agents
and any other role: forbidden outright. A user the caller may not see is "not found",
never "forbidden": their existence is not revealed.

Adjusting: managers for themselves or anyone below, admins for anyone. Quotas: managers
for anyone strictly below them (a manager's own target comes from above), admins for
anyone.
"""
from __future__ import annotations

from typing import Mapping

from tandem_plumbing.directory import may_see, visible_owners
from tandem_plumbing.failures import Caller, Failure

ADMIN, SALES_MANAGER, SALES_REP = "admin", "sales_manager", "sales_rep"
SALES = (ADMIN, SALES_MANAGER, SALES_REP)


def check_may_forecast(caller: Caller) -> None:
    if caller.role not in SALES:
        raise Failure("forbidden", "forbidden", "forecasts, analytics and reports are for admins and sales users")


def visible_users(caller: Caller, managers: Mapping[str, str | None]) -> set[str] | None:
    """The users whose numbers the caller may see; None means everyone."""
    check_may_forecast(caller)
    return visible_owners(caller, managers)


def not_found(user_id: str) -> Failure:
    return Failure("not_found", "not_found", f"no user {user_id}")


def check_may_see(visible: set[str] | None, user_id: str, managers: Mapping[str, str | None]) -> None:
    """`user_id` exists in the directory and the caller may see them."""
    if user_id not in managers or not may_see(visible, user_id):
        raise not_found(user_id)


def check_may_adjust(caller: Caller) -> None:
    """Before anything else: whether the caller's role adjusts at all (whom: `check_may_see`)."""
    if caller.role not in (ADMIN, SALES_MANAGER):
        raise Failure("forbidden", "forbidden", "only managers and admins adjust forecasts")


def check_may_set_quotas(caller: Caller) -> None:
    if caller.role not in (ADMIN, SALES_MANAGER):
        raise Failure("forbidden", "forbidden", "only managers and admins set quotas")


def check_quota_of(caller: Caller, visible: set[str] | None, user_id: str,
                   managers: Mapping[str, str | None]) -> None:
    """The caller may set `user_id`'s quota: they see them and, if a manager, are above them."""
    check_may_see(visible, user_id, managers)
    if caller.role == SALES_MANAGER and user_id == caller.user_id:
        raise Failure("forbidden", "forbidden", "a manager's own quota is set by their manager or an admin")


def check_admin(caller: Caller) -> None:
    if caller.role != ADMIN:
        raise Failure("forbidden", "forbidden", "this needs the role admin")
