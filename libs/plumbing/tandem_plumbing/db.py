"""Engines and sessions for the two kinds of database a service may own.

SQLite (the embedded default) gets WAL and a busy timeout so that a service's
gRPC, events and relay processes can share one file. PostgreSQL uses psycopg 3;
in an eventlet (nameko) process call `make_psycopg_green()` before psycopg is
imported, or every query blocks the whole hub.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import bindparam, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A pooled PostgreSQL connection idle longer than this is pinged before use.
IDLE_PING_SECONDS = 5.0
_CHECKED_IN = "tandem_checked_in"


def make_psycopg_green() -> None:
    """Make psycopg wait with select() so eventlet can switch while it waits."""
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here, not psycopg2."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    idle_ping = kwargs.pop("idle_ping_seconds", IDLE_PING_SECONDS)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, idle_ping)
    return engine


def _ping_when_idle(engine: Engine, seconds: float) -> None:
    """Like `pool_pre_ping`, but only for a connection that sat in the pool longer than
    `seconds`: a server restart or an idle timeout shows there, and is replaced before
    use. A connection in steady use skips the round trip (pre_ping cost one per
    transaction: a tenth of a consumer's statements). A backend killed within the last
    seconds fails the one transaction that meets it (the pool is then invalidated); the
    caller's retry (events) or the client's (503 / UNAVAILABLE) covers it."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy) -> None:
        since = record.info.get(_CHECKED_IN)
        if since is None or time.monotonic() - since <= seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool discards this connection and opens another
            raise DisconnectionError(f"stale pooled connection: {exc!r}") from exc


def _sqlite_begin(conn) -> None:
    """pysqlite's own transaction handling defers BEGIN; take it over so that a
    transaction that may write takes the lock up front (a deferred one can fail to
    upgrade with "database is locked"). A connection marked
    `execution_options(read_only=True)` reads a snapshot without blocking writers."""
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # BEGIN is issued by the "begin" listener
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware one: SQLite gives back naive datetimes, written in UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def one_of(column, count: int):
    """`column IN (:<key>_0, ..., :<key>_<count-1>)` with plain parameters: a statement built
    once per list length (cache the builder, e.g. `functools.lru_cache`) runs without being
    rendered again, where an `expanding` list parameter renders its SQL on every execution.
    Pass the values with `one_of_values`."""
    return column.in_([bindparam(f"{column.key}_{i}") for i in range(count)])


def one_of_values(column, values) -> dict:
    """The parameters of `one_of(column, len(values))`."""
    return {f"{column.key}_{i}": value for i, value in enumerate(values)}
