"""Users, roles and the manager hierarchy: plain rules, no I/O.

Hierarchy invariant: every active user's manager is an active `admin` or
`sales_manager`, and the manager chain never loops. So a manager is checked when
it is assigned and when its report is re-activated, and a user who still has
active direct reports can be neither deactivated nor given a role that cannot
manage. At least one active admin always remains.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

ADMIN, SALES_MANAGER, SALES_REP, SERVICE_AGENT = "admin", "sales_manager", "sales_rep", "service_agent"
ROLES = (ADMIN, SALES_MANAGER, SALES_REP, SERVICE_AGENT)
MANAGER_ROLES = frozenset({ADMIN, SALES_MANAGER})

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # hashing is deliberately slow; don't let a request make it slower
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

UPDATABLE = ("name", "role", "manager_id", "active", "password")
# `current_password` is not stored: it proves who changes a password (see needs_current_password).
CHANGEABLE = (*UPDATABLE, "current_password")
SELF_SERVICE = ("name", "password", "current_password")  # what a non-admin may change on themselves


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: str
    manager_id: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int
    password_hash: str = field(repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def directory_entry(self) -> dict[str, Any]:
        """What other services keep of a user (the `user` of user events)."""
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "manager_id": self.manager_id,
            "active": self.active,
            "version": self.version,
        }


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    password: str
    role: str
    manager_id: str | None


# -- errors: each says which rule a request broke ----------------------------------------
class IdentityError(Exception):
    pass


class ValidationFailed(IdentityError):
    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields.items()))
        self.fields = dict(fields)


class UserNotFound(IdentityError):
    pass


class EmailTaken(IdentityError):
    def __init__(self, existing_id: str | None) -> None:
        super().__init__("a user with this email already exists")
        self.existing_id = existing_id


class NotAllowed(IdentityError):
    pass


class VersionMismatch(IdentityError):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"the user is at version {current_version}")
        self.current_version = current_version


class RuleViolation(IdentityError):
    """A valid request that a business rule refuses (HTTP 422)."""

    def __init__(self, code: str, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.fields = dict(fields or {})


# -- validation ---------------------------------------------------------------------------
def normalise_email(value: str) -> str:
    return value.strip().lower()


def parse_new_user(payload: Mapping[str, Any]) -> NewUser:
    """Check a create request; every bad field is reported at once."""
    problems = _unknown(payload, ("email", "name", "password", "role", "manager_id"))
    for name in ("email", "name", "password", "role"):
        if name not in payload:
            problems[name] = "is required"
    values = _check_fields(payload, problems)
    if problems:
        raise ValidationFailed(problems)
    values.setdefault("manager_id", None)
    return NewUser(**values)


def parse_changes(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Check an update request (who may change what is `check_may_change`'s business)."""
    problems = {
        name: "cannot be changed" if name in ("email", "id") else "unknown field"
        for name in payload
        if name not in CHANGEABLE
    }
    values = _check_fields(payload, problems)
    if problems:
        raise ValidationFailed(problems)
    return values


def parse_credentials(payload: Mapping[str, Any]) -> tuple[str, str]:
    problems = _unknown(payload, ("email", "password"))
    for name in ("email", "password"):
        if not isinstance(payload.get(name), str):
            problems[name] = "is required and must be a string"
    if problems:
        raise ValidationFailed(problems)
    return normalise_email(payload["email"]), payload["password"]


def _unknown(payload: Mapping[str, Any], known: Iterable[str]) -> dict[str, str]:
    return {name: "unknown field" for name in payload if name not in known}


def _check_fields(payload: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    """Validate the known fields present in `payload`; add problems, return clean values."""
    values: dict[str, Any] = {}
    for name, value in payload.items():
        if name in problems:
            continue
        checker = _CHECKERS.get(name)
        if checker is None:
            continue
        problem, clean = checker(value)
        if problem:
            problems[name] = problem
        else:
            values[name] = clean
    return values


def _check_email(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, str):
        return "must be a string", None
    email = normalise_email(value)
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        return "must be a valid email address", None
    return None, email


def _check_name(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string", None
    if len(value.strip()) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters", None
    return None, value.strip()


def _check_password(value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, str):
        return "must be a string", None
    if not MIN_PASSWORD_LENGTH <= len(value) <= MAX_PASSWORD_LENGTH:
        return f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long", None
    return None, value


def _check_current_password(value: Any) -> tuple[str | None, Any]:
    return (None, value) if isinstance(value, str) else ("must be a string", None)


def _check_role(value: Any) -> tuple[str | None, Any]:
    if value not in ROLES:
        return f"must be one of {', '.join(ROLES)}", None
    return None, value


def _check_manager_id(value: Any) -> tuple[str | None, Any]:
    if value is not None and (not isinstance(value, str) or not value):
        return "must be a user id or null", None
    return None, value


def _check_active(value: Any) -> tuple[str | None, Any]:
    return (None, value) if isinstance(value, bool) else ("must be true or false", None)


_CHECKERS = {
    "email": _check_email,
    "name": _check_name,
    "password": _check_password,
    "current_password": _check_current_password,
    "role": _check_role,
    "manager_id": _check_manager_id,
    "active": _check_active,
}


# -- who may change what ------------------------------------------------------------------
def check_may_edit(actor: User, target: User) -> None:
    """Admins change anyone; others only themselves (see check_may_change)."""
    if not actor.is_admin and actor.id != target.id:
        raise NotAllowed("only an admin can change another user")


def check_may_change(actor: User, target: User, changes: Mapping[str, Any]) -> None:
    check_may_edit(actor, target)
    refused = sorted(name for name in changes if name not in SELF_SERVICE)
    if refused and not actor.is_admin:
        raise NotAllowed(f"only an admin can change {', '.join(refused)}")


def needs_current_password(actor: User, target: User, changes: Mapping[str, Any]) -> bool:
    """A stolen token alone must not be enough to take over an account; a given
    current_password is always checked."""
    return "current_password" in changes or (
        "password" in changes and actor.id == target.id and not actor.is_admin
    )


# -- the hierarchy ------------------------------------------------------------------------
def check_manager(user_id: str | None, manager_id: str, manager: User | None, chain_above: Iterable[str]) -> None:
    """`manager` may manage `user_id`; `chain_above` are the ids above the manager."""
    if manager_id == user_id:
        raise _bad_manager("a user cannot be their own manager")
    if manager is None:
        raise _bad_manager("no such user")
    if not manager.active:
        raise _bad_manager("the manager is deactivated")
    if manager.role not in MANAGER_ROLES:
        raise _bad_manager(f"the manager must be one of {', '.join(sorted(MANAGER_ROLES))}")
    if user_id is not None and user_id in chain_above:
        raise _bad_manager("the user is above this manager: the hierarchy would loop")


def _bad_manager(reason: str) -> RuleViolation:
    return RuleViolation("invalid_manager", f"invalid manager_id: {reason}", {"manager_id": reason})


def stops_managing(user: User, changes: Mapping[str, Any]) -> bool:
    """Whether the change leaves `user` unable to manage anyone."""
    return user.active and user.role in MANAGER_ROLES and (
        changes.get("active") is False or changes.get("role", user.role) not in MANAGER_ROLES
    )


def check_reports_remain_managed(active_reports: int) -> None:
    if active_reports:
        raise RuleViolation(
            "has_direct_reports",
            f"the user manages {active_reports} active user(s); give them another manager first",
        )


def stops_being_admin(user: User, changes: Mapping[str, Any]) -> bool:
    return user.active and user.is_admin and (changes.get("active") is False or changes.get("role", ADMIN) != ADMIN)


def check_admins_remain(other_active_admins: int) -> None:
    if not other_active_admins:
        raise RuleViolation("last_admin", "at least one active admin must remain")
