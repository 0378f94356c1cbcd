"""What a request handler needs, built once per app (so once per gunicorn worker)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import current_app
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from ..config import GatewayConfig
from ..identity.security import Passwords, Tokens
from .limits import TokenBuckets


@dataclass(frozen=True)
class Gateway:
    config: GatewayConfig
    engine: Engine
    sessions: sessionmaker[Session]
    # A connection for one read outside any unit of work (the per-request user lookup):
    # autocommit on PostgreSQL, so the SELECT is the only round trip (no BEGIN, no ROLLBACK).
    reads: Callable[[], Connection]
    passwords: Passwords
    tokens: Tokens
    rate_limit: TokenBuckets


def gateway() -> Gateway:
    return current_app.extensions["tandem_gateway"]
