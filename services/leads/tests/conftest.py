"""Fixtures for the leads tests: a migrated database of the service's own, users in
its directory copy, and what it wrote (rows, outbox events).

Also loaded by `consumers/` (an eventlet-patched process): module-level imports stay
stdlib-only but for pytest and the `tandem_plumbing.testing` plugin; the rest is
imported inside fixtures.
"""
from __future__ import annotations

import pytest
from tandem_plumbing.testing import ServiceDb


def leads_database(url: str) -> ServiceDb:
    """A migrated leads database; users go in its `reps` directory copy."""
    return ServiceDb("tandem_leads", url, directory="reps")


@pytest.fixture(params=["postgresql", "sqlite"])
def leads_db(request, make_database, tmp_path):
    """A migrated leads database of each kind the service may own (SQLite is `make run`'s default)."""
    url = make_database("leads") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'leads.db'}"
    db = leads_database(url)
    yield db
    db.dispose()


@pytest.fixture
def pg_leads_db(make_database):
    db = leads_database(make_database("leads"))
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
