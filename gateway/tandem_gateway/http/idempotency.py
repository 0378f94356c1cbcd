"""`Idempotency-Key` on creating requests: a retry returns the first response.

The key is claimed in the same transaction as the creation, before it, so two
concurrent requests with one key cannot both create: the second waits on the
key's primary key, fails, and replays what the first stored. Only a successful
creation is remembered; a failed request may be retried with the same key.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Callable

from flask import g, request
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.db import transaction

from ..adapters.models import idempotency_keys
from .context import gateway
from .errors import ApiError, validation_failed
from .representations import record

MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"

Outcome = tuple[int, dict[str, Any]]  # status code and JSON body


def fingerprint(method: str, path: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_key(header: str | None) -> str | None:
    if header is None:
        return None
    if not 0 < len(header) <= MAX_KEY_LENGTH or not header.isprintable():
        raise validation_failed({HEADER: f"must be 1 to {MAX_KEY_LENGTH} printable characters"})
    return header


def created_once(payload: Any, make: Callable[[], Outcome], location: Callable[[dict[str, Any]], str] | None = None):
    """The response of `make()` -> (status, body), run once per Idempotency-Key (a retry
    replays the first answer). Without a key nothing is stored and no gateway
    transaction is held open during the call."""
    key = parse_key(request.headers.get(HEADER))
    if key is None:
        (status, body), replayed = make(), False
    else:
        (status, body), replayed = run_once(gateway().sessions, g.user.id, key,
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
) -> tuple[Outcome, bool]:
    """Run `work` in a transaction unless `key` already has a response; returns the
    outcome and whether it is a replay."""
    if key is None:
        with transaction(sessions) as session:
            return work(session), False
    stored = _stored(sessions, caller_id, key, request_hash)
    if stored is not None:
        return stored, True
    try:
        with transaction(sessions) as session:
            session.execute(
                insert(idempotency_keys).values(
                    caller_id=caller_id, key=key, request_hash=request_hash, created_at=datetime.now(timezone.utc)
                )
            )
            status, body = work(session)
            session.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.caller_id == caller_id, idempotency_keys.c.key == key)
                .values(status_code=status, response_body=json.dumps(body))
            )
            return (status, body), False
    except IntegrityError:
        stored = _stored(sessions, caller_id, key, request_hash)
        if stored is None:
            raise  # not the key: some other constraint
        return stored, True


def _stored(sessions: sessionmaker[Session], caller_id: str, key: str, request_hash: str) -> Outcome | None:
    with sessions() as session:
        row = session.execute(
            select(idempotency_keys).where(idempotency_keys.c.caller_id == caller_id, idempotency_keys.c.key == key)
        ).one_or_none()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise ApiError(422, "idempotency_key_reused", f"this {HEADER} was used for a different request")
    return row.status_code, json.loads(row.response_body)
