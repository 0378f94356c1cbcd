"""What the sales use cases share: events, history, failures, who sees what, owners,
versions and page tokens."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.failures import Caller, Failure
from tandem_plumbing.outbox import record_event

from ..adapters import repository
from ..domain import access
from ..domain.fields import invalid

SOURCE = "sales"
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200


def now() -> datetime:
    return datetime.now(timezone.utc)


def emit(session: Session, event_type: str, data: dict[str, Any], caller: Caller) -> None:
    record_event(session, Envelope(type=event_type, source=SOURCE, data=data,
                                   correlation_id=caller.request_id or None))


def remember(session: Session, caller: Caller, record_type: str, record_id: str,
             entries: list[tuple[str, dict[str, Any]]], at: datetime) -> None:
    """A change's field-history entries, by the caller, in the change's transaction."""
    repository.add_history(session, record_type, record_id, entries, at=at, actor_id=caller.user_id,
                           correlation_id=caller.request_id or None)


def history_page(session: Session, record_type: str, record_id: str, page_size: int,
                 page_token: str) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a record's field history, oldest first (the caller was checked)."""
    after = decode_token(page_token, 1)
    seq = int(after[0]) if after and after[0].isdigit() and after[0].isascii() else None
    if after is not None and (seq is None or seq >= 2 ** 63):  # a seq, as the BIGINT column holds it
        raise invalid({"page_token": "is not a token this API returned"})
    limit = limit_of(page_size)
    found = repository.history_page(session, record_type, record_id, limit=limit + 1, after_seq=seq or 0)
    return paged(found, limit, lambda entry: [str(entry["seq"])])


def not_found(what: str, record_id: str) -> Failure:
    return Failure("not_found", "not_found", f"no {what} {record_id}")


def check_version(what: str, current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise Failure("stale", "version_mismatch", f"the {what} changed since you read it; read it again",
                      {"current_version": current})


def visible(session: Session, caller: Caller) -> set[str] | None:
    return access.visible_owners(caller, repository.managers(session))


def check_owner(session: Session, caller: Caller, visible_owners: set[str] | None, owner_id: str) -> None:
    """Giving a record to `owner_id`: the caller may, and they are an active sales user."""
    access.check_may_give(caller, visible_owners, owner_id)
    if owner_id == caller.user_id:  # the caller is active: the gateway just authenticated them
        return
    found = repository.owner(session, owner_id)
    if found is None or not found["active"] or found["role"] not in access.SALES_ROLES:
        raise invalid({"owner_id": "is not an active sales user"})


def encode_token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_token(token: str, size: int) -> list[str] | None:
    """The sort keys (text) of the last row of the page before; None for the first page."""
    if not token:
        return None
    try:
        keys = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        keys = None
    # Only what encode_token wrote: text keys a query can bind (no NUL, which PostgreSQL refuses).
    if (not isinstance(keys, list) or len(keys) != size
            or not all(isinstance(key, str) and "\x00" not in key for key in keys)):
        raise invalid({"page_token": "is not a token this API returned"})
    return keys


def limit_of(page_size: int) -> int:
    return DEFAULT_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)


def paged(found: list, limit: int, keys) -> tuple[list, str | None]:
    """The page and the token of the next one (`keys(last)`: its sort keys)."""
    more, found = len(found) > limit, found[:limit]
    return found, encode_token(keys(found[-1])) if more else None
