"""Who reads which cases (and so their comments, history and referrals).

Service agents and admins work cases: they read every case and every referral on it
(a case moves between agents; whoever takes it over must see what was referred).
Sales users read cases only where they need them, and never change them:
- a case on an account: every sales user reads accounts and their 360, which lists
  the account's cases;
- a case with a referral whose lead is owned by them or, for a manager, by anyone
  below them in the hierarchy (`assignee_id`, followed from the leads events): the
  case behind a referred lead.
Any other case answers "not found" to them, in lists too; its existence is not
revealed. A role that is none of these is refused outright.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from tandem_plumbing.directory import SALES_MANAGER, SALES_REP, visible_owners
from tandem_plumbing.failures import Caller

from .cases import Case
from .common import Actor, Failure
from .referrals import Referral

SALES_ROLES = frozenset({SALES_MANAGER, SALES_REP})


@dataclass(frozen=True)
class CaseScope:
    """The cases a reader sees: every case, or (a sales user's) those on an account and
    those with a referral assigned to one of `assignees`."""

    every_case: bool
    assignees: frozenset[str] = frozenset()

    def sees(self, case: Case, case_referrals: Iterable[Referral]) -> bool:
        return (self.every_case or case.account_id is not None
                or any(referral.assignee_id in self.assignees for referral in case_referrals))


def needs_hierarchy(actor: Actor) -> bool:
    """Whether `case_scope` needs the manager hierarchy for this reader."""
    return actor.role == SALES_MANAGER


def case_scope(actor: Actor, managers: Mapping[str, str | None]) -> CaseScope:
    """What `actor` reads; `managers` maps user id -> manager id (the directory copy)."""
    if actor.is_staff:
        return CaseScope(every_case=True)
    if actor.role in SALES_ROLES:
        visible = visible_owners(Caller(actor.user_id, actor.role, ""), managers)
        return CaseScope(every_case=False, assignees=frozenset(visible or ()))
    raise Failure("forbidden", "forbidden", "cases are for service agents, admins and sales users")
