"""What identity does, independent of HTTP. Each function runs inside the caller's
transaction; a change writes the user row and its event in that one transaction."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.outbox import record_event

from ..adapters import repository
from . import domain
from .domain import User
from .security import Passwords

SOURCE = "gateway"
USER_CREATED, USER_CHANGED = "user_created", "user_changed"


def create_user(
    session: Session, passwords: Passwords, payload: Mapping[str, Any], *, correlation_id: str | None
) -> User:
    new = domain.parse_new_user(payload)
    repository.lock_directory(session)
    existing = repository.get_by_email(session, new.email)
    if existing is not None:
        raise domain.EmailTaken(existing.id)
    if new.manager_id is not None:
        domain.check_manager(None, new.manager_id, repository.get(session, new.manager_id), [])
    now = datetime.now(timezone.utc)
    user = User(
        id=uuid.uuid4().hex,
        email=new.email,
        name=new.name,
        role=new.role,
        manager_id=new.manager_id,
        active=True,
        created_at=now,
        updated_at=now,
        version=1,
        password_hash=passwords.hash(new.password),
    )
    repository.add(session, user)
    _publish(session, USER_CREATED, user, [], correlation_id)
    return user


def update_user(
    session: Session,
    passwords: Passwords,
    actor: User,
    user_id: str,
    payload: Mapping[str, Any],
    *,
    expected_version: int | None,
    correlation_id: str | None,
) -> User:
    """Apply a partial update; `expected_version` (from If-Match) must be current."""
    repository.lock_directory(session)
    user = get_user(session, user_id)
    domain.check_may_edit(actor, user)
    if expected_version is not None and expected_version != user.version:
        raise domain.VersionMismatch(user.version)
    changes = domain.parse_changes(payload)
    domain.check_may_change(actor, user, changes)

    if domain.needs_current_password(actor, user, changes):
        if not passwords.verify(user.password_hash, changes.get("current_password", "")):
            raise domain.RuleViolation(
                "current_password_incorrect",
                "the current password is needed to set a new one",
                {"current_password": "is missing or incorrect"},
            )
    # A password cannot be compared with its hash: sending one always counts as a change.
    changed = [name for name in domain.UPDATABLE if name in changes and changes[name] != getattr(user, name, None)]
    if not changed:
        return user
    _check_hierarchy(session, user, {name: changes[name] for name in changed})

    values: dict[str, Any] = {name: changes[name] for name in changed if name != "password"}
    if "password" in changed:
        values["password_hash"] = passwords.hash(changes["password"])
    values["updated_at"] = datetime.now(timezone.utc)
    values["version"] = user.version + 1
    repository.save(session, user.id, values)
    user = replace(user, **values)
    _publish(session, USER_CHANGED, user, changed, correlation_id)
    return user


def _check_hierarchy(session: Session, user: User, changes: Mapping[str, Any]) -> None:
    manager_id = changes.get("manager_id", user.manager_id)
    reactivated = changes.get("active") is True
    if manager_id is not None and ("manager_id" in changes or reactivated):
        manager = repository.get(session, manager_id)
        domain.check_manager(user.id, manager_id, manager, repository.chain_above(session, manager_id))
    if domain.stops_managing(user, changes):
        domain.check_reports_remain_managed(repository.count_active_reports(session, user.id))
    if domain.stops_being_admin(user, changes):
        domain.check_admins_remain(repository.count_active_admins(session, excluding=user.id))


def get_user(session: Session, user_id: str) -> User:
    user = repository.get(session, user_id)
    if user is None:
        raise domain.UserNotFound(f"no user {user_id}")
    return user


def active_user(session: Session | Connection, user_id: str) -> User | None:
    """The user a token speaks for, while they may still act (a read: a plain connection will do)."""
    user = repository.get(session, user_id)
    return user if user is not None and user.active else None


def authenticate(session: Session, passwords: Passwords, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (whatever the reason)."""
    user = repository.get_by_email(session, domain.normalise_email(email))
    valid = passwords.verify(user.password_hash if user else None, password)
    return user if valid and user.active else None


def list_users(
    session: Session,
    *,
    limit: int,
    after_email: str | None = None,
    role: str | None = None,
    manager_id: str | None = None,
    active: bool | None = None,
) -> list[User]:
    return repository.page(
        session, limit=limit, after_email=after_email, role=role, manager_id=manager_id, active=active
    )


def has_active_admin(session: Session) -> bool:
    return repository.count_active_admins(session) > 0


def ensure_admin(
    session: Session, passwords: Passwords, email: str, password: str, *, correlation_id: str | None = None
) -> User | None:
    """Create this admin unless a user with the email exists (left as it is); the new user or None."""
    if repository.get_by_email(session, domain.normalise_email(email)) is not None:
        return None
    payload = {"email": email, "name": "Administrator", "password": password, "role": domain.ADMIN}
    return create_user(session, passwords, payload, correlation_id=correlation_id)


def _publish(session: Session, event_type: str, user: User, changed: list[str], correlation_id: str | None) -> None:
    data = {"user": user.directory_entry(), "changed": changed}
    record_event(session, Envelope(type=event_type, source=SOURCE, data=data, correlation_id=correlation_id))
