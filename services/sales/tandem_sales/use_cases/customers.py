"""Accounts and contacts: every sales user and service agent reads them; their owner,
the owner's managers and admins change them. Each change writes its field history.
Events: account_created/changed, contact_created/changed, each with the whole snapshot
and the changed fields."""
from __future__ import annotations

import uuid
from typing import Any, Iterable, Mapping

from sqlalchemy.orm import Session
from tandem_plumbing.failures import Caller

from ..adapters import repository
from ..adapters.models import accounts, contacts
from ..domain import access, history
from ..domain.accounts import ACCOUNT, CONTACT, Account, Contact, makes_cycle
from ..domain.fields import invalid, parse
from .common import (
    check_owner,
    check_version,
    decode_token,
    emit,
    history_page,
    limit_of,
    not_found,
    now,
    paged,
    remember,
    visible,
)

ACCOUNT_CREATED, ACCOUNT_CHANGED = "account_created", "account_changed"
CONTACT_CREATED, CONTACT_CHANGED = "contact_created", "contact_changed"


def _check_parent(session: Session, account_id: str | None, parent_id: str | None) -> None:
    if parent_id is None:
        return
    if repository.get_account(session, parent_id) is None:
        raise invalid({"parent_id": "is not an account"})
    if account_id is not None and makes_cycle(account_id, parent_id, lambda a: repository.parent_of(session, a)):
        raise invalid({"parent_id": "would make the account its own ancestor"})


def _check_account(session: Session, account_id: str | None) -> None:
    if account_id is not None and repository.get_account(session, account_id) is None:
        raise invalid({"account_id": "is not an account"})


# -- what accounts and contacts share -----------------------------------------------------
_KINDS = {"account": (ACCOUNT, accounts, repository.get_account, ACCOUNT_CHANGED),
          "contact": (CONTACT, contacts, repository.get_contact, CONTACT_CHANGED)}


def _new(session: Session, caller: Caller, kind: str, values: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """(the checked fields of a new record, its owner: the caller unless they name one)."""
    access.check_sales(caller)
    fields = parse(_KINDS[kind][0], values, new=True)
    owner_id = fields.pop("owner_id", caller.user_id)
    check_owner(session, caller, visible(session, caller), owner_id)
    _check_parent(session, None, fields.get("parent_id"))
    _check_account(session, fields.get("account_id"))
    return fields, owner_id


def _get(session: Session, caller: Caller, kind: str, record_id: str, *, for_update: bool = False):
    record = _KINDS[kind][2](session, record_id, for_update=for_update)
    if record is None or not access.may_read_customers(caller):
        raise not_found(kind, record_id)
    return record


def _update(session: Session, caller: Caller, kind: str, record_id: str, values: Mapping[str, Any], *,
            clear: Iterable[str], expected_version: int | None, validate_only: bool):
    """Change an account or contact: its owner, their managers or an admin. Nothing
    changed: the record as it was (same version)."""
    spec, table, _load, event = _KINDS[kind]
    changes = parse(spec, values, clear=clear, new=False)
    record = _get(session, caller, kind, record_id, for_update=True)
    team = visible(session, caller)
    access.check_may_change(caller, team, record.owner_id, kind)  # before the version: 403, not a retry
    check_version(kind, record.version, expected_version)
    differences = record.differences(changes)
    if "owner_id" in differences:
        check_owner(session, caller, team, changes["owner_id"])
    if "parent_id" in differences:
        _check_parent(session, record.id, changes["parent_id"])
    if "account_id" in differences:
        _check_account(session, changes["account_id"])
    if validate_only or not differences:
        return None if validate_only else record
    changed = record.with_changes(**changes, version=record.version + 1, updated_at=now())
    repository.save_record(session, table, changed)
    remember(session, caller, kind, changed.id, history.record_entries(differences), changed.updated_at)
    emit(session, event, {kind: changed.snapshot(), "changed": sorted(differences)}, caller)
    return changed


def _history(session: Session, caller: Caller, kind: str, record_id: str, page_size: int,
             page_token: str) -> tuple[list[dict[str, Any]], str | None]:
    """Who changed which field, when, from what to what, oldest first; for whoever may read it."""
    _get(session, caller, kind, record_id)
    return history_page(session, kind, record_id, page_size, page_token)


# -- accounts ------------------------------------------------------------------------------
def create_account(session: Session, caller: Caller, values: Mapping[str, Any], *,
                   validate_only: bool = False) -> Account | None:
    fields, owner_id = _new(session, caller, "account", values)
    if validate_only:
        return None
    at = now()
    account = Account(id=uuid.uuid4().hex, **{name: fields.get(name) for name in (
        "name", "domain", "industry", "employees", "country", "website", "phone", "description", "parent_id")},
        owner_id=owner_id, created_at=at, updated_at=at, version=1)
    insert_account(session, caller, account)
    return account


def insert_account(session: Session, caller: Caller, account: Account) -> None:
    """Write a checked new account, its history and its event."""
    repository.insert_record(session, accounts, account)
    remember(session, caller, "account", account.id, history.new_record_entries(account), account.created_at)
    emit(session, ACCOUNT_CREATED, {"account": account.snapshot(), "changed": []}, caller)


def get_account(session: Session, caller: Caller, account_id: str) -> Account:
    return _get(session, caller, "account", account_id)


def update_account(session: Session, caller: Caller, account_id: str, values: Mapping[str, Any], *,
                   clear: Iterable[str] = (), expected_version: int | None = None,
                   validate_only: bool = False) -> Account | None:
    return _update(session, caller, "account", account_id, values, clear=clear, expected_version=expected_version,
                   validate_only=validate_only)


def account_history(session: Session, caller: Caller, account_id: str, *, page_size: int = 0,
                    page_token: str = "") -> tuple[list[dict[str, Any]], str | None]:
    return _history(session, caller, "account", account_id, page_size, page_token)


def list_accounts(session: Session, caller: Caller, *, owner_id: str | None = None, q: str | None = None,
                  domain: str | None = None, parent_id: str | None = None, page_size: int = 0,
                  page_token: str = "") -> tuple[list[Account], str | None]:
    """By name."""
    after = decode_token(page_token, 2)
    if not access.may_read_customers(caller):
        return [], None
    limit = limit_of(page_size)
    found = repository.page_accounts(session, limit=limit + 1, after=after, owner_id=owner_id, q=q, domain=domain,
                                     parent_id=parent_id)
    return paged(found, limit, lambda a: [a.name, a.id])


# -- contacts ------------------------------------------------------------------------------
def create_contact(session: Session, caller: Caller, values: Mapping[str, Any], *,
                   validate_only: bool = False) -> Contact | None:
    fields, owner_id = _new(session, caller, "contact", values)
    if validate_only:
        return None
    return insert_contact(session, caller, fields, owner_id=owner_id)


def insert_contact(session: Session, caller: Caller, fields: Mapping[str, Any], *, owner_id: str,
                   lead_id: str | None = None, contact_id: str | None = None) -> Contact:
    """Write a checked new contact, its history and its event."""
    at = now()
    contact = Contact(id=contact_id or uuid.uuid4().hex, **{name: fields.get(name) for name in (
        "account_id", "first_name", "last_name", "email", "phone", "title")},
        owner_id=owner_id, lead_id=lead_id, created_at=at, updated_at=at, version=1)
    repository.insert_record(session, contacts, contact)
    remember(session, caller, "contact", contact.id, history.new_record_entries(contact), at)
    emit(session, CONTACT_CREATED, {"contact": contact.snapshot(), "changed": []}, caller)
    return contact


def get_contact(session: Session, caller: Caller, contact_id: str) -> Contact:
    return _get(session, caller, "contact", contact_id)


def update_contact(session: Session, caller: Caller, contact_id: str, values: Mapping[str, Any], *,
                   clear: Iterable[str] = (), expected_version: int | None = None,
                   validate_only: bool = False) -> Contact | None:
    return _update(session, caller, "contact", contact_id, values, clear=clear, expected_version=expected_version,
                   validate_only=validate_only)


def contact_history(session: Session, caller: Caller, contact_id: str, *, page_size: int = 0,
                    page_token: str = "") -> tuple[list[dict[str, Any]], str | None]:
    return _history(session, caller, "contact", contact_id, page_size, page_token)


def list_contacts(session: Session, caller: Caller, *, account_id: str | None = None, owner_id: str | None = None,
                  q: str | None = None, email: str | None = None, page_size: int = 0,
                  page_token: str = "") -> tuple[list[Contact], str | None]:
    """By last name, first name."""
    after = decode_token(page_token, 3)
    if not access.may_read_customers(caller):
        return [], None
    limit = limit_of(page_size)
    found = repository.page_contacts(session, limit=limit + 1, after=after, account_id=account_id,
                                     owner_id=owner_id, q=q, email=email)
    return paged(found, limit, lambda c: [c.last_name, c.first_name, c.id])
