"""Engines and transactions on real SQLite files and PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import column, select, table, text

from tandem_plumbing.db import make_engine, normalise_url, one_of, one_of_values, session_factory, transaction


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///data/leads.db", "sqlite:///data/leads.db"),
    ],
)
def test_normalise_url_means_psycopg_3(url, expected):
    assert normalise_url(url) == expected


def test_plain_postgresql_url_connects_with_psycopg(make_database):
    url = make_database("driver").replace("postgresql+psycopg://", "postgresql://")
    engine = make_engine(url)
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_sqlite_engine_uses_wal_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'svc.db'}")  # directories are created
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_transaction_commits_or_rolls_back(kind, make_database, tmp_path):
    url = make_database("tx") if kind == "postgresql" else f"sqlite:///{tmp_path / 'tx.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER NOT NULL)"))
    factory = session_factory(engine)
    with transaction(factory) as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(ZeroDivisionError):
        with transaction(factory) as session:
            session.execute(text("INSERT INTO t VALUES (2)"))
            1 / 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT v FROM t")).scalars().all() == [1]
    engine.dispose()


# Each transaction reads, then writes, and lasts a moment so the two processes overlap.
# With plain pysqlite (BEGIN only before the INSERT) both complete but read stale
# counts; with a deferred BEGIN they deadlock on the lock upgrade ("database is locked").
WRITER = """
import sys, time
from sqlalchemy import text
from tandem_plumbing.db import make_engine, session_factory, transaction
factory = session_factory(make_engine(sys.argv[1]))
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # start together
for i in range(200):
    with transaction(factory) as session:
        seen = session.execute(text("SELECT count(*) FROM t")).scalar()
        time.sleep(0.002)
        session.execute(text("INSERT INTO t (writer, seen) VALUES (:w, :s)"), {"w": sys.argv[2], "s": seen})
"""


def test_two_processes_write_one_sqlite_file_without_locking_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, writer TEXT NOT NULL, seen INTEGER NOT NULL)"))
    start_at = time.time() + 1.5  # after both interpreters have imported SQLAlchemy
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, url, name, str(start_at)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ))
        for name in ("a", "b")
    ]
    outputs = [proc.communicate(timeout=60)[0].decode() for proc in procs]
    for proc, output in zip(procs, outputs):
        assert proc.returncode == 0, output
        assert "locked" not in output
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT writer, count(*) FROM t GROUP BY writer")).all())
        seen = conn.execute(text("SELECT seen FROM t ORDER BY id")).scalars().all()
    assert rows == {"a": 200, "b": 200}
    assert seen == list(range(400))  # every transaction saw all earlier ones: serialised, none lost
    engine.dispose()


def test_an_idle_pooled_connection_is_pinged_and_replaced_when_its_backend_died(make_database):
    """Only a connection idle longer than the threshold is pinged; one whose server
    session died meanwhile is replaced before use, so the transaction succeeds."""
    engine = make_engine(make_database("idle_ping"), idle_ping_seconds=0.3)
    pings = []
    real_ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda conn: (pings.append(1), real_ping(conn))[1]
    try:
        factory = session_factory(engine)

        def backend_pid() -> int:
            with transaction(factory) as session:
                return session.execute(text("SELECT pg_backend_pid()")).scalar_one()

        first = backend_pid()
        assert backend_pid() == first and pings == []  # in steady use: no ping
        with make_engine(make_database("idle_ping_admin")).connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        time.sleep(0.5)
        assert backend_pid() != first  # pinged, found dead, replaced: no error reached us
        assert len(pings) == 1
    finally:
        engine.dispose()


def test_one_of_is_a_list_of_plain_parameters(tmp_path):
    """Built once for a length, rendered once: no `expanding` parameter to render per execution."""
    things = table("things", column("name"))
    statement = select(things.c.name).where(one_of(things.c.name, 2)).order_by(things.c.name)
    assert "POSTCOMPILE" not in str(statement.compile())
    engine = make_engine(f"sqlite:///{tmp_path / 'one_of.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE things (name TEXT)"))
        conn.execute(text("INSERT INTO things VALUES ('a'), ('b'), ('c')"))
        assert conn.execute(statement, one_of_values(things.c.name, ["c", "a"])).scalars().all() == ["a", "c"]
        assert conn.execute(statement, one_of_values(things.c.name, ["b", "x"])).scalars().all() == ["b"]
