"""Fixtures for the sales tests: a migrated database of the service's own, users in
its directory copy, and what it wrote (rows, outbox events).

Module-level imports stay stdlib-only but for pytest and the `tandem_plumbing.testing`
plugin (an eventlet-patched consumer test process may load this); the rest is imported
inside fixtures.
"""
from __future__ import annotations

import pytest
from tandem_plumbing.testing import ServiceDb

# The tables the sales records live in, and the outbox: what `counts()` reports.
RECORDS = ("accounts", "contacts", "products", "opportunities", "line_items", "stage_history", "record_history",
           "sales_settings", "lead_conversions", "outbox")


def sales_database(url: str) -> ServiceDb:
    """A migrated sales database; users go in its `owners` directory copy."""
    return ServiceDb("tandem_sales", url, directory="owners", records=RECORDS)


@pytest.fixture(params=["postgresql", "sqlite"])
def sales_db(request, make_database, tmp_path):
    """A migrated sales database of each kind the service may own (SQLite is `make run`'s default)."""
    url = make_database("sales") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'sales.db'}"
    db = sales_database(url)
    yield db
    db.dispose()


@pytest.fixture
def pg_sales_db(make_database):
    db = sales_database(make_database("sales"))
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
