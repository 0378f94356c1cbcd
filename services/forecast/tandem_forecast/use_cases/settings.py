"""The forecast settings: every sales user reads them (the numbers are in their
currency); admins replace them. Analytics and reports read them too."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tandem_plumbing.failures import Caller, Failure

from ..adapters import forecasting_repository as repository
from ..domain import access
from ..domain.inputs import invalid
from ..domain.settings import DEFAULT, Settings, from_document, parse

NAME = "forecast"


def current_settings(session: Session, *, for_update: bool = False) -> Settings:
    """The settings in force (the built-in default until an admin saves some)."""
    row = repository.load_setting(session, NAME, for_update=for_update)
    if row is None:
        return from_document(DEFAULT)
    return from_document(row["document"], version=row["version"], updated_at=row["updated_at"],
                         updated_by=row["updated_by"])


def get_settings(session: Session, caller: Caller) -> Settings:
    access.check_may_forecast(caller)
    return current_settings(session)


def put_settings(session: Session, caller: Caller, document: Any, *, expected_version: int | None = None) -> Settings:
    """Replace the document (what it leaves out takes the default); If-Match optional."""
    access.check_admin(caller)
    checked, problems = parse(document)
    if problems:
        raise invalid(problems)
    current = current_settings(session, for_update=True)
    if expected_version is not None and expected_version != current.version:
        raise _stale(current.version)
    at = datetime.now(timezone.utc)
    saved = from_document(checked, version=current.version + 1, updated_at=at, updated_by=caller.user_id)
    try:
        with session.begin_nested():
            repository.save_setting(session, NAME, saved.document(), version=saved.version, at=at, by=caller.user_id)
    except IntegrityError:  # another admin saved the first document meanwhile (nothing to lock before it)
        raise _stale(current_settings(session).version) from None
    return saved


def _stale(current_version: int) -> Failure:
    return Failure("stale", "version_mismatch", "the forecast settings changed since you read them; read them again",
                   {"current_version": current_version})
