"""The sales part of the customer 360: one account with everything around it that
the caller may see, in one answer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy.orm import Session
from tandem_plumbing.failures import Caller

from ..adapters import repository
from ..domain.accounts import Account, Contact
from ..domain.opportunities import Opportunity
from .common import MAX_PAGE_SIZE, visible
from .customers import get_account

DEFAULT_ACTIVITIES = 20
MAX_OPEN = 500  # an account with more open deals than this shows the soonest to close


@dataclass(frozen=True)
class Overview:
    account: Account
    contacts: list[Contact]
    open_opportunities: list[Opportunity]  # by close date
    closed_opportunities: list[Opportunity]  # newest closed first
    recent_activities: list[Mapping[str, Any]]  # activity rows, newest first
    children: list[Account]


def account_overview(session: Session, caller: Caller, account_id: str, *, activity_limit: int = 0) -> Overview:
    """Contacts, opportunities (only those the caller sees: none for service agents),
    the recent activities on the account, its contacts and those opportunities, and
    its child accounts."""
    account = get_account(session, caller, account_id)
    contacts = repository.contacts_of(session, account_id)
    team = visible(session, caller)
    if team is not None and not team:
        open_ones, closed = [], []
    else:
        open_ones = repository.page_opportunities(session, visible=team, limit=MAX_OPEN, account_id=account_id,
                                                  is_closed=False)
        closed = repository.closed_opportunities(session, account_id, team)
    limit = DEFAULT_ACTIVITIES if activity_limit <= 0 else min(activity_limit, MAX_PAGE_SIZE)
    related = {"account": [account_id], "contact": [c.id for c in contacts],
               "opportunity": [o.id for o in open_ones + closed]}
    return Overview(account=account, contacts=contacts, open_opportunities=open_ones, closed_opportunities=closed,
                    recent_activities=repository.recent_activities(session, related, limit),
                    children=repository.child_accounts(session, account_id))
