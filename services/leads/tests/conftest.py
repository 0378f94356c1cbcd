"""Fixtures for the leads tests: a migrated database of the service's own, users in
its directory copy, and what it wrote (rows, outbox events).

Also loaded by `consumers/` (an eventlet-patched process): module-level imports stay
stdlib-only; the rest is imported inside fixtures.
"""
from __future__ import annotations

import itertools

import pytest


class LeadsDb:
    """A migrated leads database and the helpers tests use on it."""

    def __init__(self, url: str) -> None:
        from importlib.resources import files

        from tandem_plumbing.db import make_engine, session_factory
        from tandem_plumbing.migrations import upgrade

        upgrade(files("tandem_leads") / "migrations", url)
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

        from tandem_leads.adapters.models import reps

        user = {"id": user_id, "email": f"{user_id}@example.com", "name": user_id.title(), "role": role,
                "manager_id": manager_id, "active": active, "version": next(self._versions)}
        self.run(record_user, reps, user)
        return Caller(user_id=user_id, role=role, request_id=f"req-{user_id}")

    def events(self, event_type: str | None = None) -> list:
        from sqlalchemy import select
        from tandem_plumbing.envelope import Envelope

        from tandem_leads.adapters.models import outbox

        with self.sessions() as session:
            bodies = session.execute(select(outbox.c.body).order_by(outbox.c.seq)).scalars().all()
        found = [Envelope.from_dict(body) for body in bodies]
        return [e for e in found if event_type is None or e.type == event_type]

    def count(self, table_name: str) -> int:
        from sqlalchemy import func, select

        from tandem_leads.adapters.models import metadata

        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(metadata.tables[table_name])).scalar_one()

    def dispose(self) -> None:
        self.engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def leads_db(request, make_database, tmp_path):
    """A migrated leads database of each kind the service may own (SQLite is `make run`'s default)."""
    url = make_database("leads") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'leads.db'}"
    db = LeadsDb(url)
    yield db
    db.dispose()


@pytest.fixture
def pg_leads_db(make_database):
    db = LeadsDb(make_database("leads"))
    yield db
    db.dispose()


def referral_event_data(referral_id: str = "ref-1", *, case_id: str = "case-1", email: str = "carla@acme.example",
                        name: str = "Carla Customer", company: str | None = "Acme Corp", agent_id: str = "agent-1",
                        **referral) -> dict:
    """`referral_submitted` data, shaped as the event catalogue says."""
    return {
        "referral": {"id": referral_id, "case_id": case_id, "case_number": 1042, "case_subject": "Seat limit",
                     "kind": "upsell", "product_interest": "50 more seats", "notes": "hitting the seat limit",
                     "estimated_value": {"amount": "12000.00", "currency": "USD"}, "agent_id": agent_id,
                     "submitted_at": "2026-11-27T10:00:00.000Z", **referral},
        "case": {"id": case_id, "number": 1042, "subject": "Seat limit", "account_id": None, "priority": "high"},
        "contact": {"name": name, "email": email, "phone": "+1 555 0100", "company": company},
    }


@pytest.fixture
def referral_data():
    return referral_event_data
