"""Who sees and changes which sales records.

Opportunities: admins all; sales managers their own and their team's (everyone below
them in the directory copy's hierarchy); reps their own; service agents none.
Accounts and contacts: read by every sales user and by service agents (cases need
them), changed by their owner, the owner's managers and admins. Products: read by
sales users, kept by admins. A record the caller may not see is "not found". Any
other role (a system caller, a role this service does not know) is refused outright.
"""
from __future__ import annotations

from tandem_plumbing.directory import may_see, visible_owners  # noqa: F401 (the sales rule)
from tandem_plumbing.failures import Caller, Failure

ADMIN, SALES_MANAGER, SALES_REP, SERVICE_AGENT = "admin", "sales_manager", "sales_rep", "service_agent"
SALES_ROLES = (ADMIN, SALES_MANAGER, SALES_REP)  # also the roles that may own records
READERS = (*SALES_ROLES, SERVICE_AGENT)  # of accounts and contacts


def check_user(caller: Caller) -> None:
    """A role this service serves; any other (a system caller such as `service`, which
    only streams, or a role it does not know) is refused outright, never read as someone
    who sees nothing, or everything."""
    if caller.role not in READERS:
        raise Failure("forbidden", "forbidden", f"the role {caller.role!r} has no access to sales records")


def may_read_customers(caller: Caller) -> bool:
    """Accounts and contacts."""
    return caller.role in READERS


def check_sales(caller: Caller) -> None:
    if caller.role not in SALES_ROLES:
        raise Failure("forbidden", "forbidden", "this needs a sales role")


def check_admin(caller: Caller) -> None:
    if caller.role != ADMIN:
        raise Failure("forbidden", "forbidden", "this needs the role admin")


def check_may_change(caller: Caller, visible: set[str] | None, owner_id: str, what: str) -> None:
    """Changing an account or contact: its owner, their managers, admins."""
    check_sales(caller)
    if not may_see(visible, owner_id):
        raise Failure("forbidden", "forbidden", f"only the {what}'s owner, their managers and admins change it")


def check_may_give(caller: Caller, visible: set[str] | None, owner_id: str) -> None:
    """Giving a record to `owner_id`: admins to anyone, managers within their team, reps
    only to themselves."""
    if owner_id == caller.user_id:
        return
    if caller.role == SALES_REP:
        raise Failure("forbidden", "forbidden", "a sales rep's records are their own; a manager reassigns them")
    if not may_see(visible, owner_id):
        raise Failure("forbidden", "forbidden", "you can give records only to yourself or someone in your team")
