"""Lead conversion, asked by the leads service as the converting user: the account
(given, matched by the lead's email domain, or new), the contact and the opportunity
in one transaction, once per lead.

The `lead_conversions` row is written first: a second conversion of the same lead
waits on its primary key, fails when the first commits, and then answers with the
first one's ids (replayed), having written nothing; to a caller who may see the
opportunity it made, else "not found".
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping, Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.db import transaction
from tandem_plumbing.failures import Caller

from ..adapters import repository
from ..domain import access, money
from ..domain.accounts import Account
from ..domain.fields import IDENTIFIER, day, email, invalid, text
from ..domain.opportunities import new_opportunity
from .common import check_owner, not_found, now, visible
from .customers import insert_account, insert_contact
from .opportunities import insert_new
from .stages import sales_path

# Personal mailboxes: a lead writing from one says nothing about their company's domain.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de",
    "mail.com", "zoho.com", "yandex.com", "qq.com", "163.com",
})
DEFAULT_CLOSE_DAYS = 90


@dataclass(frozen=True)
class LeadToConvert:
    """What the leads service sends: the lead as it is and what the caller asked for."""

    lead_id: str
    first_name: str
    last_name: str
    company: str
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    industry: str | None = None
    country: str | None = None
    employees: int | None = None
    lead_owner_id: str | None = None
    referrals: Sequence[Mapping[str, Any]] = ()
    account_id: str | None = None
    opportunity_name: str | None = None
    amount: Mapping[str, str] | None = None  # {"amount", "currency"}
    close_date: str | None = None


@dataclass(frozen=True)
class Conversion:
    lead_id: str
    account_id: str
    contact_id: str
    opportunity_id: str
    account_created: bool
    replayed: bool


def email_domain(address: str | None) -> str | None:
    """The company domain of an email address; None for personal mailboxes."""
    if not address or "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].strip().lower()
    return None if domain in FREE_MAIL_DOMAINS else domain


def _checked(lead: LeadToConvert) -> dict[str, Any]:
    """The lead's values and the caller's choices, clean; every bad one named."""
    problems: dict[str, str] = {}
    clean: dict[str, Any] = {}
    checks = {"lead_id": IDENTIFIER, "first_name": text(100), "last_name": text(100), "company": text(200),
              "account_id": IDENTIFIER, "opportunity_name": text(200), "close_date": day, "email": email,
              "lead_owner_id": IDENTIFIER}
    for name, check in checks.items():
        value = getattr(lead, name)
        if value is None:
            continue
        try:
            clean[name] = check(value)
        except ValueError as why:
            problems[name] = str(why)
    for name in ("lead_id", "first_name", "last_name", "company"):
        if getattr(lead, name) in (None, ""):
            problems[name] = "is required"
    if lead.amount is not None:
        try:
            currency = money.currency(lead.amount.get("currency") or money.DEFAULT_CURRENCY)
            clean["currency"] = currency
            clean["amount"] = money.exact(money.decimal(lead.amount.get("amount")), currency)
        except ValueError as why:
            problems["amount"] = str(why)
    if problems:
        raise invalid(problems)
    return clean


def _replay(session: Session, caller: Caller, row: Mapping[str, Any]) -> Conversion:
    """The first conversion's ids, for a caller who may see the opportunity it made
    (others learn nothing: not found)."""
    opportunity = repository.get_opportunity(session, row["opportunity_id"])
    if opportunity is None or not access.may_see(visible(session, caller), opportunity.owner_id):
        raise not_found("conversion of lead", row["lead_id"])
    return Conversion(lead_id=row["lead_id"], account_id=row["account_id"], contact_id=row["contact_id"],
                      opportunity_id=row["opportunity_id"], account_created=row["account_created"], replayed=True)


def convert_lead(sessions: sessionmaker[Session], caller: Caller, lead: LeadToConvert) -> Conversion:
    """The records for `lead`, made once: asking again returns the same ids."""
    access.check_sales(caller)
    fields = _checked(lead)
    with sessions() as session:
        done = repository.get_conversion(session, fields["lead_id"])
        if done is not None:
            return _replay(session, caller, done)
    try:
        with transaction(sessions) as session:
            return _convert(session, caller, lead, fields)
    except IntegrityError:
        with sessions() as session:
            done = repository.get_conversion(session, fields["lead_id"])
            if done is None:
                raise
            return _replay(session, caller, done)


def _account(session: Session, lead: LeadToConvert, fields: Mapping[str, Any],
             owner_id: str) -> tuple[Account, bool]:
    """(the account, whether it is new): the one asked for, else the one at the lead's
    email domain, else a new one named after the company (not written yet)."""
    if "account_id" in fields:
        account = repository.get_account(session, fields["account_id"])
        if account is None:
            raise not_found("account", fields["account_id"])
        return account, False
    domain = email_domain(fields.get("email"))
    if domain is not None:
        account = repository.account_by_domain(session, domain)
        if account is not None:
            return account, False
    at = now()
    account = Account(id=uuid.uuid4().hex, name=fields["company"], domain=domain, industry=lead.industry,
                      employees=lead.employees, country=lead.country, website=None, phone=None, description=None,
                      owner_id=owner_id, parent_id=None, created_at=at, updated_at=at, version=1)
    return account, True


def _convert(session: Session, caller: Caller, lead: LeadToConvert, fields: Mapping[str, Any]) -> Conversion:
    owner_id = fields.get("lead_owner_id", caller.user_id)
    if owner_id != caller.user_id:
        check_owner(session, caller, visible(session, caller), owner_id)
    account, account_created = _account(session, lead, fields, owner_id)
    contact = repository.contact_by_email(session, account.id, fields["email"]) if (
        "email" in fields and not account_created) else None
    referrals = [dict(r) for r in lead.referrals]
    interest = referrals[0].get("product_interest") if referrals else None
    values = {
        "name": fields.get("opportunity_name") or f"{fields['company']} - {interest or 'New business'}"[:200],
        "account_id": account.id, "currency": fields.get("currency", money.DEFAULT_CURRENCY),
        "close_date": fields.get("close_date", now().date() + timedelta(days=DEFAULT_CLOSE_DAYS)),
    }
    if "amount" in fields:
        values["amount"] = fields["amount"]
    opportunity = new_opportunity(values, sales_path(session).stages, owner_id=owner_id, now=now(),
                                  lead_id=fields["lead_id"], referrals=referrals)
    contact_id = contact.id if contact else uuid.uuid4().hex
    # First: a concurrent conversion of this lead waits here, then fails on the key.
    repository.insert_conversion(session, lead_id=fields["lead_id"], account_id=account.id, contact_id=contact_id,
                                 opportunity_id=opportunity.id, account_created=account_created,
                                 converted_by=caller.user_id, converted_at=now())
    if account_created:
        insert_account(session, caller, account)
    if contact is None:
        contact_fields = {name: fields.get(name) for name in ("first_name", "last_name", "email")}
        contact_fields.update(account_id=account.id, phone=lead.phone, title=lead.title)
        insert_contact(session, caller, contact_fields, owner_id=owner_id, lead_id=fields["lead_id"],
                       contact_id=contact_id)
    insert_new(session, caller, opportunity.with_changes(primary_contact_id=contact_id), account.name)
    return Conversion(lead_id=fields["lead_id"], account_id=account.id, contact_id=contact_id,
                      opportunity_id=opportunity.id, account_created=account_created, replayed=False)
