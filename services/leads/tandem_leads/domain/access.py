"""Who sees and changes which leads.

Admins: every lead. Sales managers: their own and those owned by anyone below them
in the hierarchy (from the directory copy's `manager_id`). Sales reps: their own.
Service agents: none (they follow their referrals on the cases). A lead no one may
see is "not found", never "forbidden": its existence is not revealed.

The public web-to-lead form reaches the service as the system caller role `web_form`:
it creates web leads owned by the rules, and sees nothing (no lead is visible to it).
Any other role is refused outright, never read as someone who sees everything.
"""
from __future__ import annotations

from typing import Mapping

from tandem_plumbing.directory import may_see, visible_owners
from tandem_plumbing.failures import Caller, Failure

ADMIN, SALES_MANAGER, SALES_REP, SERVICE_AGENT = "admin", "sales_manager", "sales_rep", "service_agent"
CREATORS = (ADMIN, SALES_MANAGER, SALES_REP)
WEB_FORM = "web_form"
KNOWN_ROLES = (*CREATORS, SERVICE_AGENT, WEB_FORM)
# What a visitor may fill in on the form; the gateway sets the source.
WEB_FORM_FIELDS = frozenset(("first_name", "last_name", "email", "company", "title", "phone", "industry", "country",
                             "employees", "description", "source"))


def visible_leads(caller: Caller, managers: Mapping[str, str | None]) -> set[str] | None:
    """Whose leads the caller sees (None: everyone's; agents and the web form: nobody's)."""
    if caller.role not in KNOWN_ROLES:
        raise Failure("forbidden", "forbidden", f"the role {caller.role!r} has no access to leads")
    return visible_owners(caller, managers)


def check_may_create(caller: Caller) -> None:
    if caller.role not in CREATORS:
        raise Failure("forbidden", "forbidden", "only admins and sales users create leads")


def check_may_create_lead(caller: Caller, values: Mapping[str, object], *, owner_id: str | None,
                          allow_duplicate: bool) -> None:
    """Sales users create leads; the web form only a visitor's own web lead, with no
    owner, status or duplicate of its choosing."""
    if caller.role != WEB_FORM:
        check_may_create(caller)
    elif (values.get("source") != "web" or not set(values) <= WEB_FORM_FIELDS or owner_id is not None
          or allow_duplicate):
        raise Failure("forbidden", "forbidden", "the web form creates only web leads, owned by the rules")


def check_may_give(caller: Caller, visible: set[str] | None, owner_id: str) -> None:
    """Giving a lead to `owner_id` (on creation or by reassigning): admins to anyone,
    managers within their team, reps only to themselves."""
    if caller.role == SALES_REP and owner_id != caller.user_id:
        raise Failure("forbidden", "forbidden", "a sales rep's leads are their own; a manager reassigns them")
    if not may_see(visible, owner_id):
        raise Failure("forbidden", "forbidden", "you can give leads only to yourself or someone in your team")


def check_may_reassign(caller: Caller) -> None:
    if caller.role not in (ADMIN, SALES_MANAGER):
        raise Failure("forbidden", "forbidden", "only managers and admins reassign leads")


def check_admin(caller: Caller) -> None:
    if caller.role != ADMIN:
        raise Failure("forbidden", "forbidden", "this needs the role admin")
