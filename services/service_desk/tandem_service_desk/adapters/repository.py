"""The service desk's tables in domain terms: rows in, domain records out."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, Iterable, Sequence

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, Table, and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.orm import Session
from tandem_plumbing.db import one_of, one_of_values

from ..domain import sla
from ..domain.access import CaseScope
from ..domain.cases import CLOSED, Case, Comment, Contact, HistoryEntry
from ..domain.common import SERVICE_AGENT, utc
from ..domain.referrals import Money, Referral
from .models import CASE_NUMBER, agents, case_comments, case_history, case_rotation, cases, counters, referrals


def _utc(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment is not None else None


# -- cases ---------------------------------------------------------------------------------
def _case(row) -> Case:
    contact = (Contact(row.contact_name, row.contact_email, row.contact_phone, row.contact_company)
               if row.contact_name is not None else None)
    return Case(
        id=row.id, number=row.number, subject=row.subject, description=row.description, status=row.status,
        priority=row.priority, origin=row.origin, account_id=row.account_id, contact=contact, owner_id=row.owner_id,
        first_response_due=utc(row.first_response_due), resolution_due=utc(row.resolution_due),
        first_responded_at=_utc(row.first_responded_at), resolved_at=_utc(row.resolved_at),
        escalated_for=row.escalated_for, created_by=row.created_by, created_at=utc(row.created_at),
        updated_at=utc(row.updated_at), version=row.version,
    )


def _case_values(case: Case) -> dict[str, Any]:
    contact = case.contact.to_dict() if case.contact else dict.fromkeys(("name", "email", "phone", "company"))
    return {
        "id": case.id, "number": case.number, "subject": case.subject, "description": case.description,
        "status": case.status, "priority": case.priority, "origin": case.origin, "account_id": case.account_id,
        "contact_name": contact["name"], "contact_email": contact["email"], "contact_phone": contact["phone"],
        "contact_company": contact["company"], "owner_id": case.owner_id,
        "first_response_due": case.first_response_due, "resolution_due": case.resolution_due,
        "first_responded_at": case.first_responded_at, "resolved_at": case.resolved_at,
        "escalated_for": case.escalated_for, "created_by": case.created_by, "created_at": case.created_at,
        "updated_at": case.updated_at, "version": case.version,
    }


# Statements on the referral flow's hot path are built once, their values passed apart at
# execute time: building `select(...).where(col == value)` or `insert(t).values(**row)` on
# every call coerced and cache-keyed each value again (a third of a use case's Python CPU).
# The bind types still come from the tables' columns.
_GET_CASE = select(cases).where(cases.c.id == bindparam("case_id"))
_GET_CASE_LOCKED = _GET_CASE.with_for_update()


def get_case(session: Session, case_id: str, *, lock: bool = False) -> Case | None:
    row = session.execute(_GET_CASE_LOCKED if lock else _GET_CASE, {"case_id": case_id}).one_or_none()
    return _case(row) if row is not None else None


def insert_case(session: Session, case: Case) -> None:
    session.execute(insert(cases).values(**_case_values(case)))


def save_case(session: Session, case: Case) -> None:
    session.execute(update(cases).where(cases.c.id == case.id).values(**_case_values(case)))


def next_case_number(session: Session) -> int:
    """The next number; the counter row stays locked until the transaction ends, so
    concurrent creations queue there and never share a number."""
    return session.execute(
        update(counters).where(counters.c.name == CASE_NUMBER).values(value=counters.c.value + 1)
        .returning(counters.c.value)
    ).scalar_one()


def list_cases(session: Session, *, scope: CaseScope, status: str | None, owner_id: str | None,
               account_id: str | None, q: str | None, before_number: int | None, limit: int) -> list[Case]:
    """Newest first (by number), only those `scope` sees (the rule of `CaseScope.sees`, in SQL)."""
    query = select(cases).order_by(cases.c.number.desc()).limit(limit)
    if not scope.every_case:
        assigned = exists().where(referrals.c.case_id == cases.c.id,
                                  referrals.c.assignee_id.in_(sorted(scope.assignees)))
        query = query.where(or_(cases.c.account_id.is_not(None), assigned))
    for column, value in ((cases.c.status, status), (cases.c.owner_id, owner_id), (cases.c.account_id, account_id)):
        if value is not None:
            query = query.where(column == value)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = [column.ilike(pattern, escape="\\") for column in
                   (cases.c.subject, cases.c.contact_name, cases.c.contact_email, cases.c.contact_company)]
        if q.isdigit():
            matches.append(cases.c.number == int(q))
        query = query.where(or_(*matches))
    if before_number is not None:
        query = query.where(cases.c.number < before_number)
    return [_case(row) for row in session.execute(query)]


def overdue_cases(session: Session, now: datetime, limit: int) -> list[Case]:
    """Open cases with a running clock past due that were not escalated for it yet
    (the domain decides); locked, skipping those another checker holds."""
    first_response_overdue = and_(cases.c.first_responded_at.is_(None), cases.c.first_response_due < now,
                                  cases.c.escalated_for.is_(None))
    resolution_overdue = and_(cases.c.resolution_due < now,
                              or_(cases.c.escalated_for.is_(None), cases.c.escalated_for != sla.RESOLUTION))
    query = (select(cases).where(cases.c.status != CLOSED, or_(first_response_overdue, resolution_overdue))
             .order_by(cases.c.number).limit(limit).with_for_update(skip_locked=True))
    return [_case(row) for row in session.execute(query)]


# -- history ---------------------------------------------------------------------------------
def add_history(session: Session, case_id: str, actor_id: str | None, at: datetime,
                entries: Iterable[tuple[str, Any, Any]]) -> None:
    rows = [{"case_id": case_id, "at": at, "actor_id": actor_id, "field": field,
             "from_value": json.dumps(old), "to_value": json.dumps(new)} for field, old, new in entries]
    if rows:
        session.execute(insert(case_history), rows)


def list_history(session: Session, case_id: str, *, after_seq: int | None,
                 limit: int) -> list[tuple[int, HistoryEntry]]:
    """(seq, entry) pairs, oldest first."""
    query = select(case_history).where(case_history.c.case_id == case_id).order_by(case_history.c.seq).limit(limit)
    if after_seq is not None:
        query = query.where(case_history.c.seq > after_seq)
    return [(row.seq, HistoryEntry(utc(row.at), row.actor_id, row.field, row.from_value, row.to_value))
            for row in session.execute(query)]


# -- comments --------------------------------------------------------------------------------
def insert_comment(session: Session, comment: Comment) -> None:
    session.execute(insert(case_comments).values(
        id=comment.id, case_id=comment.case_id, author_id=comment.author_id, body=comment.body,
        internal=comment.internal, created_at=comment.created_at))


def list_comments(session: Session, case_id: str, *, include_internal: bool, after_seq: int | None,
                  limit: int) -> list[tuple[int, Comment]]:
    """(seq, comment) pairs, oldest first."""
    query = (select(case_comments).where(case_comments.c.case_id == case_id).order_by(case_comments.c.seq)
             .limit(limit))
    if not include_internal:
        query = query.where(case_comments.c.internal.is_(False))
    if after_seq is not None:
        query = query.where(case_comments.c.seq > after_seq)
    return [(row.seq, Comment(row.id, row.case_id, row.author_id, row.body, row.internal, utc(row.created_at)))
            for row in session.execute(query)]


# -- agents and the rotation -------------------------------------------------------------
def managers(session: Session) -> dict[str, str | None]:
    """user id -> manager id, from the directory copy."""
    return dict(session.execute(select(agents.c.id, agents.c.manager_id)).all())


def agent(session: Session, user_id: str):
    return session.execute(select(agents.c.role, agents.c.active).where(agents.c.id == user_id)).one_or_none()


def active_service_agents(session: Session) -> list[str]:
    return list(session.execute(
        select(agents.c.id).where(agents.c.role == SERVICE_AGENT, agents.c.active.is_(True))).scalars())


def last_rotated_agent(session: Session) -> str | None:
    """Where the rotation stands, locked until the transaction ends (one turn at a time)."""
    return session.execute(
        select(case_rotation.c.last_agent_id).where(case_rotation.c.id == 1).with_for_update()).scalar_one()


def rotate_to(session: Session, agent_id: str) -> None:
    session.execute(update(case_rotation).where(case_rotation.c.id == 1).values(last_agent_id=agent_id))


# -- referrals -------------------------------------------------------------------------------
def _money(minor: int | None, currency: str | None) -> Money | None:
    return Money.from_minor_units(minor, currency) if minor is not None else None


def _referral(row) -> Referral:
    value = _money(row.estimated_value_minor, row.estimated_value_currency)
    return Referral(
        id=row.id, case_id=row.case_id, agent_id=row.agent_id, kind=row.kind, status=row.status, lead_id=row.lead_id,
        lead_version=row.lead_version, assignee_id=row.assignee_id, product_interest=row.product_interest,
        notes=row.notes, estimated_value=value, reason=row.reason, created_at=utc(row.created_at),
        updated_at=utc(row.updated_at), version=row.version, opportunity_id=row.opportunity_id,
        outcome_amount=_money(row.outcome_amount_minor, row.outcome_currency),
    )


def _referral_values(referral: Referral) -> dict[str, Any]:
    value, outcome = referral.estimated_value, referral.outcome_amount
    return {
        "id": referral.id, "case_id": referral.case_id, "agent_id": referral.agent_id, "kind": referral.kind,
        "status": referral.status, "lead_id": referral.lead_id, "lead_version": referral.lead_version,
        "assignee_id": referral.assignee_id, "product_interest": referral.product_interest, "notes": referral.notes,
        "estimated_value_minor": value.minor_units if value else None,
        "estimated_value_currency": value.currency if value else None,
        "reason": referral.reason, "created_at": referral.created_at, "updated_at": referral.updated_at,
        "version": referral.version, "opportunity_id": referral.opportunity_id,
        "outcome_amount_minor": outcome.minor_units if outcome else None,
        "outcome_currency": outcome.currency if outcome else None,
    }


_INSERT_REFERRAL = insert(referrals)
# Every column is SET (the id to itself, as before); the row is found by `where_id`, since
# a bind named after a column is the SET clause's own.
_SAVE_REFERRAL = update(referrals).where(referrals.c.id == bindparam("where_id"))


def insert_referral(session: Session, referral: Referral) -> None:
    session.execute(_INSERT_REFERRAL, _referral_values(referral))


def save_referral(session: Session, referral: Referral) -> None:
    session.execute(_SAVE_REFERRAL, {**_referral_values(referral), "where_id": referral.id})


def _labels(table: Table) -> tuple[tuple[str, str], ...]:
    """(column name, its label under LABEL_STYLE_TABLENAME_PLUS_COL) for each column of `table`."""
    return tuple((column.name, f"{table.name}_{column.name}") for column in table.c)


_REFERRAL_LABELS, _CASE_LABELS = _labels(referrals), _labels(cases)


def _columns(values, labels: tuple[tuple[str, str], ...]) -> SimpleNamespace:
    """One table's part of a joined row's mapping, by that table's `_labels`."""
    return SimpleNamespace(**{name: values[label] for name, label in labels})


@lru_cache(maxsize=16)
def _referrals_with_cases(count: int):
    """Built once per number of referrals (a lead lists one or a few)."""
    return (select(referrals, cases).join(cases, cases.c.id == referrals.c.case_id)
            .where(one_of(referrals.c.id, count)).order_by(referrals.c.id)
            .with_for_update(of=referrals).set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL))


def referrals_with_cases(session: Session, referral_ids: Sequence[str]) -> dict[str, tuple[Referral, Case]]:
    """Those of `referral_ids` that exist, each with its case, in one read. The referral
    rows stay locked until the transaction ends (taken in id order, so that two
    transactions following the same referrals never deadlock); the cases are not locked."""
    found: dict[str, tuple[Referral, Case]] = {}
    referral_ids = list(referral_ids)
    if not referral_ids:
        return found
    for row in session.execute(_referrals_with_cases(len(referral_ids)), one_of_values(referrals.c.id, referral_ids)):
        values = row._mapping
        referral = _referral(_columns(values, _REFERRAL_LABELS))
        found[referral.id] = (referral, _case(_columns(values, _CASE_LABELS)))
    return found


def referrals_of(session: Session, case_ids: Sequence[str]) -> dict[str, list[Referral]]:
    """Each case's referrals, oldest first."""
    found: dict[str, list[Referral]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        query = (select(referrals).where(referrals.c.case_id.in_(case_ids))
                 .order_by(referrals.c.created_at, referrals.c.id))
        for row in session.execute(query):
            found[row.case_id].append(_referral(row))
    return found

