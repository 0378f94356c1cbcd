"""What the service desk does. Each use case runs over a session inside the caller's
transaction: the change, its history and its outbox event (recorded last) commit
together or not at all; a refusal (domain.common.Failure) leaves nothing behind.
`now` is passed in, so tests move the clock."""
from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from sqlalchemy.orm import Session
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.outbox import record_event

from .adapters import repository
from .domain import access, cases, referrals
from .domain.cases import Case, Comment, HistoryEntry
from .domain.common import Actor, invalid, not_found, require_staff, stale
from .domain.referrals import Referral
from .domain.sla import SlaPolicy, SlaState, sla_state

log = logging.getLogger(__name__)

SOURCE = "service_desk"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
ESCALATION_BATCH = 200  # cases escalated per check at most; the next check takes the rest


@dataclass(frozen=True)
class CaseView:
    """A case as a reader sees it at a moment: with its SLA state and referrals."""

    case: Case
    sla: SlaState
    referrals: list[Referral]


def _view(case: Case, case_referrals: list[Referral], now: datetime, policy: SlaPolicy) -> CaseView:
    return CaseView(case, sla_state(case.clocks, now, policy.at_risk_fraction), case_referrals)


def _event(event_type: str, data: dict[str, Any], correlation_id: str | None) -> Envelope:
    return Envelope(type=event_type, source=SOURCE, data=data, correlation_id=correlation_id or None)


def _existing_case(session: Session, case_id: str, *, lock: bool = False) -> Case:
    case = repository.get_case(session, case_id, lock=lock)
    if case is None:
        raise not_found("case")
    return case


def _scope(session: Session, actor: Actor) -> access.CaseScope:
    managers = repository.managers(session) if access.needs_hierarchy(actor) else {}
    return access.case_scope(actor, managers)


def _readable_case(session: Session, actor: Actor, case_id: str) -> tuple[Case, list[Referral]]:
    """The case and its referrals, if `actor` may read it; else not_found, as for no case."""
    scope = _scope(session, actor)
    case = _existing_case(session, case_id)
    case_referrals = repository.referrals_of(session, [case.id])[case.id]
    if not scope.sees(case, case_referrals):
        raise not_found("case")
    return case, case_referrals


# -- pages -------------------------------------------------------------------------------
def _page_size(requested: int) -> int:
    if requested < 0:
        raise invalid({"page_size": f"must be from 1 (more than {MAX_PAGE_SIZE} gives {MAX_PAGE_SIZE})"})
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _token(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


# Positions are case numbers and seqs, BIGINT columns that start at 1: a token beyond
# them was not written here and would fail in PostgreSQL ("bigint out of range").
_MAX_POSITION = 2 ** 63 - 1


def _position(token: str) -> int | None:
    """Where a page token says the previous page ended (None for the first page)."""
    if not token:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        position = None
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= _MAX_POSITION:
        raise invalid({"page_token": "is not a token this API returned"})
    return position


# -- owners ------------------------------------------------------------------------------
def _checked_owner(session: Session, owner_id: str) -> str:
    agent = repository.agent(session, owner_id)
    if agent is None or not cases.may_own_cases(agent.role, agent.active):
        raise cases.invalid_owner()
    return owner_id


def _next_in_rotation(session: Session) -> str | None:
    """The next active service agent, round-robin; None when there is none (the case
    waits unassigned). The rotation row stays locked until commit: one turn at a time."""
    last = repository.last_rotated_agent(session)
    agent_id = cases.next_in_rotation(repository.active_service_agents(session), last)
    if agent_id is not None:
        repository.rotate_to(session, agent_id)
    return agent_id


# -- cases -------------------------------------------------------------------------------
def create_case(session: Session, actor: Actor, values: Mapping[str, Any], *, now: datetime,
                policy: SlaPolicy) -> CaseView:
    require_staff(actor, "open cases")
    new = cases.parse_new_case(values)
    number = repository.next_case_number(session)
    owner_id = _checked_owner(session, new.owner_id) if new.owner_id else _next_in_rotation(session)
    case = cases.open_case(new, case_id=uuid.uuid4().hex, number=number, owner_id=owner_id,
                           created_by=actor.user_id, now=now, policy=policy)
    repository.insert_case(session, case)
    repository.add_history(session, case.id, actor.user_id, now, cases.changes_between(None, case))
    return _view(case, [], now, policy)


def get_case(session: Session, actor: Actor, case_id: str, *, now: datetime, policy: SlaPolicy) -> CaseView:
    return _view(*_readable_case(session, actor, case_id), now, policy)


def list_cases(session: Session, actor: Actor, *, status: str | None = None, owner_id: str | None = None,
               account_id: str | None = None, q: str | None = None, page_size: int = 0, page_token: str = "",
               now: datetime, policy: SlaPolicy) -> tuple[list[CaseView], str]:
    """The cases `actor` reads, newest first; returns the page and the next page's token
    ("" after the last)."""
    scope = _scope(session, actor)
    if status is not None and status not in cases.STATUSES:
        raise invalid({"status": f"must be one of {', '.join(cases.STATUSES)}"})
    size = _page_size(page_size)
    found = repository.list_cases(session, scope=scope, status=status, owner_id=owner_id, account_id=account_id,
                                  q=(q or "").strip() or None, before_number=_position(page_token),
                                  limit=size + 1)
    page = found[:size]
    by_case = repository.referrals_of(session, [case.id for case in page])
    next_token = _token(page[-1].number) if len(found) > size else ""
    return [_view(case, by_case[case.id], now, policy) for case in page], next_token


def update_case(session: Session, actor: Actor, case_id: str, values: Mapping[str, Any], *,
                expected_version: int | None, now: datetime, policy: SlaPolicy) -> CaseView:
    """A PATCH; nothing changes (no new version) when it asks for what already is."""
    require_staff(actor, "change cases")
    changes = cases.parse_case_patch(values)
    case = _existing_case(session, case_id, lock=True)
    if expected_version is not None and expected_version != case.version:
        raise stale("case", case.version)
    if changes.get("owner_id") not in (None, case.owner_id):
        _checked_owner(session, changes["owner_id"])
    changed = cases.change_case(case, changes, now, policy)
    if changed is not case:
        repository.save_case(session, changed)
        repository.add_history(session, case.id, actor.user_id, now, cases.changes_between(case, changed))
    return _view(changed, repository.referrals_of(session, [case.id])[case.id], now, policy)


def escalate_overdue_cases(session: Session, *, now: datetime, limit: int = ESCALATION_BATCH) -> list[Case]:
    """Escalate every open case overdue for a breach it was not escalated for yet
    (idempotent: a second run at the same moment does nothing). Emits `case_escalated`."""
    escalated = []
    for case in repository.overdue_cases(session, now, limit):
        after = cases.escalation(case, now)
        if after is case:
            continue
        repository.save_case(session, after)
        repository.add_history(session, case.id, None, now, cases.changes_between(case, after))
        escalated.append((after, case.status))
    for after, previous_status in escalated:
        record_event(session, _event("case_escalated", cases.escalated_event(after, previous_status), None))
    return [after for after, _ in escalated]


# -- comments and history ------------------------------------------------------------
def add_comment(session: Session, actor: Actor, case_id: str, values: Mapping[str, Any], *,
                now: datetime) -> Comment:
    """A comment; the first public one on an open case is its first response."""
    require_staff(actor, "comment on cases")
    new = cases.parse_comment(values)
    case = _existing_case(session, case_id, lock=True)
    comment = Comment(uuid.uuid4().hex, case.id, actor.user_id, new.body, new.internal, now)
    repository.insert_comment(session, comment)
    if not new.internal:
        responded = cases.respond(case, now)
        if responded is not case:
            repository.save_case(session, responded)
            repository.add_history(session, case.id, actor.user_id, now, cases.changes_between(case, responded))
    return comment


def list_comments(session: Session, actor: Actor, case_id: str, *, page_size: int = 0,
                  page_token: str = "") -> tuple[list[Comment], str]:
    """Oldest first; internal comments only for service agents and admins."""
    _readable_case(session, actor, case_id)
    size = _page_size(page_size)
    found = repository.list_comments(session, case_id, include_internal=actor.is_staff,
                                     after_seq=_position(page_token), limit=size + 1)
    page = found[:size]
    next_token = _token(page[-1][0]) if len(found) > size else ""
    return [comment for _seq, comment in page], next_token


def list_history(session: Session, actor: Actor, case_id: str, *, page_size: int = 0,
                 page_token: str = "") -> tuple[list[HistoryEntry], str]:
    """Every change of the case, oldest first."""
    _readable_case(session, actor, case_id)
    size = _page_size(page_size)
    found = repository.list_history(session, case_id, after_seq=_position(page_token), limit=size + 1)
    page = found[:size]
    next_token = _token(page[-1][0]) if len(found) > size else ""
    return [entry for _seq, entry in page], next_token


# -- referrals -----------------------------------------------------------------------
def submit_referral(session: Session, actor: Actor, case_id: str, values: Mapping[str, Any], *, now: datetime,
                    correlation_id: str | None) -> Referral:
    """The referral and its `referral_submitted` event (with what sales needs), together."""
    require_staff(actor, "refer upsells")
    new = referrals.parse_referral(values)
    case = _existing_case(session, case_id)
    referral = referrals.submit(new, referral_id=uuid.uuid4().hex, case=case, agent_id=actor.user_id, now=now)
    repository.insert_referral(session, referral)
    record_event(session, _event("referral_submitted", referrals.submitted_event(referral, case), correlation_id))
    return referral


def list_referrals(session: Session, actor: Actor, case_id: str) -> list[Referral]:
    return _readable_case(session, actor, case_id)[1]


def _follow(session: Session, record: Mapping[str, Any], what: str,
            follow: Callable[[Referral], Referral], correlation_id: str | None) -> list[Referral]:
    """Apply `follow` to this service's referrals listed in `record` (a lead or an
    opportunity snapshot); emits `referral_status_changed` for each whose status moved,
    and returns those. One read of the referrals (locked) with their cases, one write per
    referral that changed; nothing at all when `record` lists none."""
    listed = referrals.listed_in(record)
    found = repository.referrals_with_cases(session, listed) if listed else {}
    changed: list[tuple[Referral, Case, str]] = []
    for referral_id in listed:
        if referral_id not in found:
            log.warning("%s %s names referral %s, which is not ours; ignored", what, record["id"], referral_id)
            continue
        referral, case = found[referral_id]
        followed = follow(referral)
        if followed != referral:
            repository.save_referral(session, followed)
            if followed.status != referral.status:
                changed.append((followed, case, referral.status))
    for referral, case, previous_status in changed:
        data = referrals.status_changed_event(referral, case, previous_status)
        record_event(session, _event("referral_status_changed", data, correlation_id))
    return [referral for referral, _, _ in changed]


def follow_lead(session: Session, lead: Mapping[str, Any], *, now: datetime,
                correlation_id: str | None) -> list[Referral]:
    """The referrals a lead snapshot lists follow its status (see domain.referrals)."""
    return _follow(session, lead, "lead", lambda referral: referrals.follow_lead(referral, lead, now),
                   correlation_id)


def follow_opportunity(session: Session, opportunity: Mapping[str, Any], *, now: datetime,
                       correlation_id: str | None) -> list[Referral]:
    """`opportunity_created`: the referrals it carries point at it and are converted."""
    return _follow(session, opportunity, "opportunity",
                   lambda referral: referrals.follow_opportunity(referral, opportunity, now), correlation_id)


def opportunity_closed(session: Session, data: Mapping[str, Any], *, now: datetime,
                       correlation_id: str | None) -> list[Referral]:
    """`opportunity_closed`: the referrals it carries are won or lost with the deal's
    amount, for good."""
    opportunity, amount = data["opportunity"], referrals.event_money(data.get("amount"))
    return _follow(session, opportunity, "opportunity",
                   lambda referral: referrals.close_with_opportunity(referral, opportunity, bool(data.get("won")),
                                                                     amount, now), correlation_id)

