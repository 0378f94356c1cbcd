"""The login rate limit: failed logins per account and per client address over a
sliding window. The rule is a plain function; the use cases run in the caller's session.

Two workers may both let through the last allowed attempt at the same moment: the
limit can be passed by the number of concurrent requests, never more."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.db import transaction

from ..adapters import login_failures
from . import domain, use_cases
from .domain import User
from .security import Passwords

ACCOUNT, ADDRESS = "account", "address"


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Window:
    limit: int  # failures allowed within `seconds`
    seconds: int


@dataclass(frozen=True)
class LoginLimits:
    per_account: Window = Window(10, 300)
    per_address: Window = Window(50, 300)


def retry_after(failures: Sequence[datetime], window: Window, now: datetime) -> int | None:
    """Whole seconds until another attempt may be made, or None when one may be made now.
    `failures`: the latest failures (at least `window.limit` of them, when there are), oldest first."""
    span = timedelta(seconds=window.seconds)
    recent = [moment for moment in failures if moment > now - span]
    if len(recent) < window.limit:
        return None
    # Allowed again once enough of the oldest have left the window.
    reopens = recent[len(recent) - window.limit] + span
    return max(1, math.ceil((reopens - now).total_seconds()))


def _account(email: str) -> str:
    # A digest: what people type as their email is sometimes their password.
    return hashlib.sha256(domain.normalise_email(email).encode()).hexdigest()


def _subjects(limits: LoginLimits, email: str, address: str) -> list[tuple[str, str, Window]]:
    return [(ACCOUNT, _account(email), limits.per_account), (ADDRESS, address, limits.per_address)]


def login_blocked(session: Session, limits: LoginLimits, email: str, address: str, now: datetime) -> int | None:
    """Seconds to wait before this email may be tried from this address, or None."""
    waits = []
    for scope, subject, window in _subjects(limits, email, address):
        failures = login_failures.latest(session, scope, subject, now - timedelta(seconds=window.seconds), window.limit)
        waits.append(retry_after(failures, window, now))
    return max((wait for wait in waits if wait is not None), default=None)


def record_failed_login(session: Session, limits: LoginLimits, email: str, address: str, now: datetime) -> None:
    longest = max(limits.per_account.seconds, limits.per_address.seconds)
    login_failures.prune(session, now - timedelta(seconds=longest))
    for scope, subject, _ in _subjects(limits, email, address):
        login_failures.record(session, scope, subject, now)


def record_successful_login(session: Session, email: str) -> None:
    """The account's count starts again; the address's does not (one good password
    must not clear a spray across many accounts)."""
    login_failures.forget(session, ACCOUNT, _account(email))


def authenticate(
    sessions: sessionmaker[Session],
    passwords: Passwords,
    limits: LoginLimits,
    email: str,
    password: str,
    *,
    address: str,
    now: datetime,
) -> User | None:
    """use_cases.authenticate behind the limit: raises TooManyAttempts before the
    password is even checked, so a blocked guess learns nothing."""
    with sessions() as session:
        wait = login_blocked(session, limits, email, address, now)
        if wait is not None:
            raise TooManyAttempts(wait)
        user = use_cases.authenticate(session, passwords, email, password)
    with transaction(sessions) as session:
        if user is None:
            record_failed_login(session, limits, email, address, now)
        else:
            record_successful_login(session, email)
    return user
