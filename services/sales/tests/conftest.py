"""Fixtures for the sales tests: a migrated database of the service's own, users in
its directory copy, and what it wrote (rows, outbox events).

Module-level imports stay stdlib-only (an eventlet-patched consumer test process may
load this); the rest is imported inside fixtures.
"""
from __future__ import annotations

import itertools

import pytest


class SalesDb:
    """A migrated sales database and the helpers tests use on it."""

    def __init__(self, url: str) -> None:
        from importlib.resources import files

        from tandem_plumbing.db import make_engine, session_factory
        from tandem_plumbing.migrations import upgrade

        upgrade(files("tandem_sales") / "migrations", url)
        self.url = url
        self.engine = make_engine(url)
        self.sessions = session_factory(self.engine)
        self._versions = itertools.count(1)

    def run(self, use_case, *args, **kwargs):
        """Run a use case in one transaction, as the gRPC servicer does."""
        from tandem_plumbing.db import transaction

        with transaction(self.sessions) as session:
            return use_case(session, *args, **kwargs)

    def user(self, user_id: str, role: str = "sales_rep", manager_id: str | None = None, active: bool = True):
        """Put a user in the directory copy (what a user event does); returns a Caller for them."""
        from tandem_plumbing.directory import record_user
        from tandem_plumbing.failures import Caller

        from tandem_sales.adapters.models import owners

        user = {"id": user_id, "email": f"{user_id}@example.com", "name": user_id.title(), "role": role,
                "manager_id": manager_id, "active": active, "version": next(self._versions)}
        self.run(record_user, owners, user)
        return Caller(user_id=user_id, role=role, request_id=f"req-{user_id}")

    def events(self, event_type: str | None = None) -> list:
        from sqlalchemy import select
        from tandem_plumbing.envelope import Envelope

        from tandem_sales.adapters.models import outbox

        with self.sessions() as session:
            bodies = session.execute(select(outbox.c.body).order_by(outbox.c.seq)).scalars().all()
        found = [Envelope.from_dict(body) for body in bodies]
        return [e for e in found if event_type is None or e.type == event_type]

    def counts(self) -> dict[str, int]:
        """Rows in each table the sales records live in, and the outbox."""
        from sqlalchemy import func, select

        from tandem_sales.adapters.models import metadata

        names = ("accounts", "contacts", "products", "opportunities", "line_items", "stage_history",
                 "sales_settings", "lead_conversions", "outbox")
        with self.engine.connect() as conn:
            return {name: conn.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
                    for name in names}

    def dispose(self) -> None:
        self.engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def sales_db(request, make_database, tmp_path):
    """A migrated sales database of each kind the service may own (SQLite is `make run`'s default)."""
    url = make_database("sales") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'sales.db'}"
    db = SalesDb(url)
    yield db
    db.dispose()


@pytest.fixture
def pg_sales_db(make_database):
    db = SalesDb(make_database("sales"))
    yield db
    db.dispose()


@pytest.fixture
def team(request):
    """admin; manager over rep1 and rep2; rep3 outside the team; a service agent."""
    db = request.getfixturevalue("db")
    return {
        "admin": db.user("admin", "admin"),
        "manager": db.user("manager", "sales_manager"),
        "rep1": db.user("rep1", "sales_rep", manager_id="manager"),
        "rep2": db.user("rep2", "sales_rep", manager_id="manager"),
        "rep3": db.user("rep3", "sales_rep"),
        "agent": db.user("agent", "service_agent"),
    }
