"""`Idempotency-Key` on creating requests: a retry within 24 hours returns the first response.

The key is claimed in the same transaction as the creation, before it, so two
concurrent requests with one key cannot both create: the second waits on the
key's primary key, fails, and replays what the first stored. Only a successful
creation is remembered; a failed request may be retried with the same key. The
same key with another request is refused (422 `idempotency_key_reused`).

A key is remembered for `TTL`: after that it is neither replayed nor refused but
claimed anew, and expired keys are deleted now and then (at most once every
`PRUNE_INTERVAL` per process, on the way into a keyed request), so the table holds
about one day of keys.
"""
from __future__ import annotations

import hashlib
import json
import threading
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import g, request
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.db import transaction

from ..adapters.models import idempotency_keys
from .context import gateway
from .errors import ApiError, validation_failed
from .representations import record

MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
PRUNE_INTERVAL = timedelta(minutes=10)

Outcome = tuple[int, dict[str, Any]]  # status code and JSON body
REPLAYED = {"Idempotent-Replayed": {"description": "true on a replay", "schema": {"type": "string"}}}  # OpenAPI

# When each database (by its session factory) may next be pruned by this process.
_next_prune: weakref.WeakKeyDictionary[sessionmaker, datetime] = weakref.WeakKeyDictionary()
_prune_lock = threading.Lock()


def fingerprint(method: str, path: str, payload: Any) -> str:
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_key(header: str | None) -> str | None:
    if header is None:
        return None
    if not 0 < len(header) <= MAX_KEY_LENGTH or not header.isprintable():
        raise validation_failed({HEADER: f"must be 1 to {MAX_KEY_LENGTH} printable characters"})
    return header


def anonymous_caller(address: str) -> str:
    """The caller id under which a public route keeps keys: one per client address (a
    key is random per submission, so clients behind one address do not collide)."""
    return "addr:" + hashlib.sha256(address.encode()).hexdigest()[:27]  # 32 characters, never a user id


def created_once(payload: Any, make: Callable[[], Outcome], location: Callable[[dict[str, Any]], str] | None = None,
                 *, caller_id: str | None = None):
    """The response of `make()` -> (status, body), run once per Idempotency-Key of the
    caller (the signed-in user unless `caller_id` says otherwise); a retry replays the
    first answer. Without a key nothing is stored and no gateway transaction is held
    open during the call."""
    key = parse_key(request.headers.get(HEADER))
    if key is None:
        (status, body), replayed = make(), False
    else:
        (status, body), replayed = run_once(gateway().sessions, caller_id or g.user.id, key,
                                            fingerprint(request.method, request.path, payload), lambda _s: make())
    response = record(body, status, location(body) if location else None)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def run_once(
    sessions: sessionmaker[Session],
    caller_id: str,
    key: str | None,
    request_hash: str,
    work: Callable[[Session], Outcome],
    *,
    now: datetime | None = None,
) -> tuple[Outcome, bool]:
    """Run `work` in a transaction unless `key` already has a response younger than
    `TTL`; returns the outcome and whether it is a replay. `now` is for tests."""
    if key is None:
        with transaction(sessions) as session:
            return work(session), False
    now = now or datetime.now(timezone.utc)
    expired = now - TTL
    _prune_now_and_then(sessions, now)
    stored = _stored(sessions, caller_id, key, request_hash, expired)
    if stored is not None:
        return stored, True
    mine = (idempotency_keys.c.caller_id == caller_id, idempotency_keys.c.key == key)
    try:
        with transaction(sessions) as session:
            session.execute(delete(idempotency_keys).where(*mine, idempotency_keys.c.created_at < expired))
            session.execute(
                insert(idempotency_keys).values(caller_id=caller_id, key=key, request_hash=request_hash, created_at=now)
            )
            status, body = work(session)
            session.execute(update(idempotency_keys).where(*mine)
                            .values(status_code=status, response_body=json.dumps(body)))
            return (status, body), False
    except IntegrityError:
        stored = _stored(sessions, caller_id, key, request_hash, expired)
        if stored is None:
            raise  # not the key: some other constraint
        return stored, True


def prune(sessions: sessionmaker[Session], now: datetime) -> int:
    """Delete the keys older than `TTL`; returns how many."""
    with transaction(sessions) as session:
        return session.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < now - TTL)).rowcount


def _prune_now_and_then(sessions: sessionmaker[Session], now: datetime) -> None:
    # In its own short transaction: deleting inside a claim would hold the expired rows'
    # locks for as long as that request's call to a service, and stall other claims.
    with _prune_lock:
        due = _next_prune.get(sessions)
        if due is not None and now < due:
            return
        _next_prune[sessions] = now + PRUNE_INTERVAL
    prune(sessions, now)


def _stored(sessions: sessionmaker[Session], caller_id: str, key: str, request_hash: str,
            expired: datetime) -> Outcome | None:
    with sessions() as session:
        row = session.execute(
            select(idempotency_keys).where(idempotency_keys.c.caller_id == caller_id, idempotency_keys.c.key == key,
                                           idempotency_keys.c.created_at >= expired)
        ).one_or_none()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise ApiError(422, "idempotency_key_reused", f"this {HEADER} was used for a different request",
                       {"header": HEADER})
    return row.status_code, json.loads(row.response_body)
