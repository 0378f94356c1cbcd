"""The SQL behind the use cases: leads with their referrals, history, round-robin
pointers, the directory copy and reading the settings documents (tandem_plumbing.documents
writes them). Plain functions over a session.

The statements a referral's intake runs are built once, at import, with their values
passed apart at execute time: building `insert(t).values(**row)` or `col == value` coerces
and cache-keys every value on each call, a third of the intake's Python CPU. The bind
types still come from the tables' columns."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, bindparam, case, func, insert, literal, or_, select, text, update
from sqlalchemy.orm import Session
from tandem_plumbing.db import one_of, one_of_values, utc

from ..domain.assignment import Rep
from ..domain.leads import CLOSED_STATUSES, Conversion, Lead, Money, Referral, ScoreFactor
from .models import lead_history, lead_referrals, lead_settings, leads, reps, round_robin

# Held by every transaction that may assign or deduplicate, until it ends (PostgreSQL;
# SQLite transactions are serialised already by BEGIN IMMEDIATE).
ASSIGNMENT_LOCK_KEY = 0x1EAD_A551
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def lock_assignment(session: Session) -> None:
    """Serialise assignment and deduplication: two leads arriving at once must not both
    see the same round-robin pointer or open-lead counts, nor both miss each other as
    duplicates. Taken first in a transaction (before any lead row) so that it cannot
    deadlock with row locks."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"key": ASSIGNMENT_LOCK_KEY})


# -- leads ---------------------------------------------------------------------------------
def _referral(row: Mapping[str, Any]) -> Referral:
    details = json.loads(row["details"])
    value = details.get("estimated_value")
    return Referral(
        referral_id=row["referral_id"],
        case_id=row["case_id"],
        case_number=details.get("case_number"),
        agent_id=row["agent_id"],
        kind=details["kind"],
        product_interest=details["product_interest"],
        notes=details.get("notes"),
        estimated_value=Money(**value) if value else None,
        case_subject=details.get("case_subject"),
        attached_at=utc(row["attached_at"]),
    )


_NOT_COLUMNS = ("score_factors", "referrals", "conversion")


def _conversion(row: Mapping[str, Any]) -> Conversion | None:
    if row["converted_at"] is None:
        return None
    return Conversion(account_id=row["converted_account_id"], contact_id=row["converted_contact_id"],
                      opportunity_id=row["converted_opportunity_id"], converted_at=utc(row["converted_at"]),
                      converted_by=row["converted_by"], account_created=bool(row["conversion_created_account"]))


def _lead(row: Mapping[str, Any], referrals: Iterable[Referral]) -> Lead:
    values = {name: row[name] for name in Lead.__dataclass_fields__ if name not in _NOT_COLUMNS}
    values["score_factors"] = tuple(ScoreFactor(**f) for f in json.loads(row["score_factors"]))
    values["created_at"], values["updated_at"] = utc(row["created_at"]), utc(row["updated_at"])
    return Lead(**values, referrals=tuple(referrals), conversion=_conversion(row))


@lru_cache(maxsize=256)  # a page holds at most 200 leads
def _referrals_of(count: int):
    return (select(lead_referrals).where(one_of(lead_referrals.c.lead_id, count))
            .order_by(lead_referrals.c.attached_at, lead_referrals.c.referral_id))


def _with_referrals(session: Session, rows: list[Mapping[str, Any]]) -> list[Lead]:
    ids = [row["id"] for row in rows]
    found: dict[str, list[Referral]] = {lead_id: [] for lead_id in ids}
    if ids:
        for row in session.execute(_referrals_of(len(ids)), one_of_values(lead_referrals.c.lead_id, ids)).mappings():
            found[row["lead_id"]].append(_referral(row))
    return [_lead(row, found[row["id"]]) for row in rows]


_LEAD = select(leads).where(leads.c.id == bindparam("lead_id"))
_LEAD_FOR_UPDATE = _LEAD.with_for_update()


def get_lead(session: Session, lead_id: str, *, for_update: bool = False) -> Lead | None:
    row = session.execute(_LEAD_FOR_UPDATE if for_update else _LEAD, {"lead_id": lead_id}).mappings().one_or_none()
    return _with_referrals(session, [row])[0] if row else None


def _row_values(lead: Lead, email_key: str | None, name_key: str | None) -> dict[str, Any]:
    values = {name: getattr(lead, name) for name in Lead.__dataclass_fields__ if name not in _NOT_COLUMNS}
    values["score_factors"] = json.dumps([vars(f) for f in lead.score_factors])
    conversion = lead.conversion
    values.update(
        converted_account_id=conversion.account_id if conversion else None,
        converted_contact_id=conversion.contact_id if conversion else None,
        converted_opportunity_id=conversion.opportunity_id if conversion else None,
        converted_at=conversion.converted_at if conversion else None,
        converted_by=conversion.converted_by if conversion else None,
        conversion_created_account=conversion.account_created if conversion else None,
    )
    return {**values, "email_key": email_key, "name_key": name_key}


_INSERT_LEAD = insert(leads)
# Every column is in the row, `id` too (set to itself): the WHERE's parameter needs another name.
_UPDATE_LEAD = update(leads).where(leads.c.id == bindparam("lead_id"))


def insert_lead(session: Session, lead: Lead, email_key: str | None, name_key: str | None) -> None:
    session.execute(_INSERT_LEAD, _row_values(lead, email_key, name_key))


def save_lead(session: Session, lead: Lead, email_key: str | None, name_key: str | None) -> None:
    session.execute(_UPDATE_LEAD, {**_row_values(lead, email_key, name_key), "lead_id": lead.id})


# Open: the closed statuses as plain parameters (`not_in(a list)` would render the list
# anew on every execution).
_IS_OPEN = leads.c.status.not_in([literal(status) for status in sorted(CLOSED_STATUSES)])
# One statement for both keys: the email's matches sort first, each key's oldest first
# (a missing key is NULL, which equals nothing).
_OPEN_DUPLICATE = (
    select(leads)
    .where(or_(leads.c.email_key == bindparam("email_key"), leads.c.name_key == bindparam("name_key")), _IS_OPEN)
    .order_by(case((leads.c.email_key == bindparam("email_key"), 0), else_=1), leads.c.created_at, leads.c.id)
    .limit(1).with_for_update()
)


def find_open_duplicate(session: Session, email_key: str | None, name_key: str | None) -> Lead | None:
    """The oldest open lead with this email, else the oldest with this name at this company."""
    if email_key is None and name_key is None:
        return None
    row = session.execute(_OPEN_DUPLICATE, {"email_key": email_key, "name_key": name_key}).mappings().one_or_none()
    return _with_referrals(session, [row])[0] if row is not None else None


def page_leads(
    session: Session,
    *,
    visible: set[str] | None,
    limit: int,
    after: tuple[datetime, str] | None = None,
    status: str | None = None,
    owner_id: str | None = None,
    unassigned: bool = False,
    source: str | None = None,
    q: str | None = None,
    account_id: str | None = None,
    email_domain: str | None = None,
) -> list[Lead]:
    """Newest first; `visible` None means every owner (and the unassigned)."""
    query = select(leads)
    if visible is not None:
        query = query.where(leads.c.owner_id.in_(sorted(visible)))
    if status:
        query = query.where(leads.c.status == status)
    if owner_id:
        query = query.where(leads.c.owner_id == owner_id)
    if unassigned:
        query = query.where(leads.c.owner_id.is_(None))
    if source:
        query = query.where(leads.c.source == source)
    if account_id:
        query = query.where(leads.c.converted_account_id == account_id)
    if email_domain:  # email_key is the trimmed, case-folded email
        query = query.where(leads.c.email_key.endswith("@" + email_domain.casefold(), autoescape=True))
    if q:
        needle = q.casefold()
        full_name = func.lower(leads.c.first_name + " " + leads.c.last_name)
        query = query.where(or_(*(
            column.contains(needle, autoescape=True)
            for column in (full_name, func.lower(leads.c.email), func.lower(leads.c.company))
        )))
    if after is not None:
        created_at, lead_id = after
        query = query.where(or_(leads.c.created_at < created_at,
                                and_(leads.c.created_at == created_at, leads.c.id < lead_id)))
    query = query.order_by(leads.c.created_at.desc(), leads.c.id.desc()).limit(limit)
    return _with_referrals(session, list(session.execute(query).mappings()))


def open_leads(session: Session, owner_id: str | None = None) -> list[Lead]:
    """Open leads, oldest first (all of them, or one owner's)."""
    query = select(leads).where(_IS_OPEN)
    if owner_id is not None:
        query = query.where(leads.c.owner_id == owner_id)
    rows = session.execute(query.order_by(leads.c.created_at, leads.c.id).with_for_update()).mappings().all()
    return _with_referrals(session, list(rows))


@lru_cache(maxsize=64)
def _open_lead_counts(owners: int):
    return (select(leads.c.owner_id, func.count()).where(one_of(leads.c.owner_id, owners), _IS_OPEN)
            .group_by(leads.c.owner_id))


def open_lead_counts(session: Session, owner_ids: Iterable[str]) -> dict[str, int]:
    owner_ids = sorted(set(owner_ids))
    if not owner_ids:
        return {}
    return dict(session.execute(_open_lead_counts(len(owner_ids)), one_of_values(leads.c.owner_id, owner_ids)).all())


# -- referrals -----------------------------------------------------------------------------
_LEAD_OF_REFERRAL = select(lead_referrals.c.lead_id).where(lead_referrals.c.referral_id == bindparam("referral_id"))
_INSERT_REFERRAL = insert(lead_referrals)


def lead_of_referral(session: Session, referral_id: str) -> str | None:
    return session.execute(_LEAD_OF_REFERRAL, {"referral_id": referral_id}).scalar_one_or_none()


def attach_referral(session: Session, lead_id: str, referral: Referral) -> None:
    details = {
        "case_number": referral.case_number,
        "kind": referral.kind,
        "product_interest": referral.product_interest,
        "notes": referral.notes,
        "estimated_value": vars(referral.estimated_value) if referral.estimated_value else None,
        "case_subject": referral.case_subject,
    }
    session.execute(_INSERT_REFERRAL, {
        "referral_id": referral.referral_id, "lead_id": lead_id, "case_id": referral.case_id,
        "agent_id": referral.agent_id, "details": json.dumps(details), "attached_at": referral.attached_at,
    })


# -- history -------------------------------------------------------------------------------
# RETURNING (unread) makes several entries one multi-row INSERT on PostgreSQL (insertmanyvalues);
# without it psycopg runs one INSERT per entry. Rows of one VALUES list are numbered in its order.
_INSERT_HISTORY = insert(lead_history).returning(lead_history.c.seq)


def history_entry(
    lead_id: str,
    action: str,
    *,
    at: datetime,
    actor_id: str | None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    note: str | None = None,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """One history row, for `add_history_entries`."""
    return {
        "lead_id": lead_id, "at": at, "actor_id": actor_id, "action": action,
        "changes": json.dumps({name: {"from": old, "to": new} for name, (old, new) in (changes or {}).items()}),
        "note": note, "correlation_id": correlation_id,
    }


def add_history_entries(session: Session, entries: list[dict[str, Any]]) -> None:
    """The entries in one statement, numbered in list order."""
    if entries:
        session.execute(_INSERT_HISTORY, entries)


def add_history(session: Session, lead_id: str, action: str, **entry: Any) -> None:
    add_history_entries(session, [history_entry(lead_id, action, **entry)])


def history_page(session: Session, lead_id: str, *, limit: int, after_seq: int = 0) -> list[dict[str, Any]]:
    query = (select(lead_history).where(lead_history.c.lead_id == lead_id, lead_history.c.seq > after_seq)
             .order_by(lead_history.c.seq).limit(limit))
    return [{**row, "at": utc(row["at"]), "changes": json.loads(row["changes"])}
            for row in session.execute(query).mappings()]


# -- round-robin pointers ------------------------------------------------------------------
_LAST_GIVEN = select(round_robin.c.last_user_id).where(round_robin.c.target == bindparam("target"))
# The WHERE's parameter named apart from the column: a parameter named `target` would also SET it.
_UPDATE_LAST_GIVEN = update(round_robin).where(round_robin.c.target == bindparam("target_key"))
_INSERT_LAST_GIVEN = insert(round_robin)


def last_given(session: Session, target: str) -> str | None:
    return session.execute(_LAST_GIVEN, {"target": target}).scalar_one_or_none()


def set_last_given(session: Session, target: str, user_id: str) -> None:
    done = session.execute(_UPDATE_LAST_GIVEN, {"target_key": target, "last_user_id": user_id})
    if done.rowcount == 0:
        session.execute(_INSERT_LAST_GIVEN, {"target": target, "last_user_id": user_id})


# -- settings documents --------------------------------------------------------------------
@lru_cache(maxsize=8)
def _setting_documents(count: int):
    return select(lead_settings.c.name, lead_settings.c.document).where(one_of(lead_settings.c.name, count))


def setting_documents(session: Session, names: Iterable[str]) -> dict[str, Any]:
    """The saved documents among `names`, decoded, in one statement (an unsaved one is absent)."""
    names = sorted(set(names))
    if not names:
        return {}
    rows = session.execute(_setting_documents(len(names)), one_of_values(lead_settings.c.name, names))
    return {name: json.loads(document) for name, document in rows}


# -- the directory copy --------------------------------------------------------------------
_DIRECTORY = select(reps.c.id, reps.c.role, reps.c.active, reps.c.manager_id)


def directory(session: Session) -> dict[str, Rep]:
    rows = session.execute(_DIRECTORY).all()
    return {row.id: Rep(row.id, row.role, row.active, row.manager_id) for row in rows}


def managers(session: Session) -> dict[str, str | None]:
    return dict(session.execute(select(reps.c.id, reps.c.manager_id)).all())
