"""The Sales Path document: built-in defaults until an admin saves their own."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tandem_plumbing.documents import load_document, save_document
from tandem_plumbing.failures import Caller, Failure

from ..adapters import repository
from ..adapters.models import sales_settings
from ..domain import access
from ..domain.stages import DEFAULT_STAGES, Stage, check_not_dropped, parse_stages
from .common import check_version, now

STAGES = "stages"


@dataclass(frozen=True)
class SalesPath:
    stages: tuple[Stage, ...]
    version: int  # 0: the built-in defaults, never saved
    updated_at: datetime | None
    updated_by: str | None


def sales_path(session: Session, *, for_update: bool = False) -> SalesPath:
    row = load_document(session, sales_settings, STAGES, for_update=for_update)
    if row is None:
        return SalesPath(DEFAULT_STAGES, 0, None, None)
    stages = tuple(Stage(**{**stage, "requirements": tuple(stage["requirements"])}) for stage in row["document"])
    return SalesPath(stages, row["version"], row["updated_at"], row["updated_by"])


def get_stages(session: Session, caller: Caller) -> SalesPath:
    access.check_sales(caller)
    return sales_path(session)


def put_stages(session: Session, caller: Caller, raw: Any, *, expected_version: int | None = None) -> SalesPath:
    """Replace the whole ordered list. Opportunities keep their probability and category
    until they next change stage; a stage some are in may not be dropped."""
    access.check_admin(caller)
    stages = parse_stages(raw)
    current = sales_path(session, for_update=True)
    check_version("Sales Path", current.version, expected_version)
    check_not_dropped(stages, repository.opportunities_in_stages(session))
    at, version = now(), current.version + 1
    try:
        with session.begin_nested():
            save_document(session, sales_settings, STAGES, [stage.document() for stage in stages], version=version,
                          at=at, by=caller.user_id)
    except IntegrityError:  # another admin saved the first version meanwhile (there was no row to lock)
        raise Failure("stale", "version_mismatch", "the Sales Path changed since you read it; read it again",
                      {"current_version": sales_path(session).version}) from None
    return SalesPath(stages, version, at, caller.user_id)
