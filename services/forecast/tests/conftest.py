"""Fixtures for the forecast tests: a migrated database of the service's own, users in
its directory copy, opportunities and leads in its read model, and what it wrote.

Module-level imports stay stdlib-only but for pytest and the `tandem_plumbing.testing`
plugin (an eventlet-patched consumer test process may load this); the rest is imported
inside fixtures and methods.
"""
from __future__ import annotations

import itertools
from typing import Any

import pytest
from tandem_plumbing.testing import ServiceDb

# The read model's tables and the outbox: what `counts()` reports.
RECORDS = ("opportunities", "leads", "backfill", "outbox")


def opportunity_snapshot(opportunity_id: str, version: int = 1, **values: Any) -> dict[str, Any]:
    """An OpportunitySnapshot as sales sends it (defaults: an open USD pipeline deal)."""
    return {
        "id": opportunity_id, "version": version, "name": f"Deal {opportunity_id}", "account_id": "acc-1",
        "account_name": "Acme", "owner_id": "rep1", "amount": "1000.00", "currency": "USD",
        "close_date": "2026-11-15", "stage": "Prospecting", "probability": 10, "forecast_category": "pipeline",
        "forecast_category_overridden": False, "is_closed": False, "is_won": False, "lead_id": None,
        "primary_contact_id": None, "loss_reason": None, "referrals": [], "line_item_count": 0,
        "created_at": "2026-10-01T09:00:00Z", "updated_at": "2026-10-01T09:00:00Z", "closed_at": None,
        **values,
    }


def lead_snapshot(lead_id: str, version: int = 1, **values: Any) -> dict[str, Any]:
    """A LeadSnapshot as leads sends it (defaults: a new web lead of rep1)."""
    return {
        "id": lead_id, "version": version, "first_name": "Ann", "last_name": "Lee", "email": "ann@acme.example",
        "company": "Acme", "title": None, "industry": None, "country": None, "employees": None, "source": "web",
        "status": "new", "status_reason": None, "score": 10, "score_factors": [], "owner_id": "rep1",
        "referrals": [], "conversion": None, **values,
    }


class ForecastDb(ServiceDb):
    """A migrated forecast database; users go in its `users` directory copy."""

    def __init__(self, url: str) -> None:
        super().__init__("tandem_forecast", url, directory="users", records=RECORDS)
        self._ids = itertools.count(1)

    def opportunity(self, opportunity_id: str | None = None, version: int = 1, **values: Any) -> dict[str, Any]:
        """Put an opportunity in the read model (what its event does); returns its snapshot."""
        from tandem_forecast.use_cases import feed

        snapshot = opportunity_snapshot(opportunity_id or f"opp-{next(self._ids)}", version, **values)
        self.run(feed.record_opportunity, snapshot)
        return snapshot

    def rows(self, table_name: str, order_by: str = "id") -> list[dict[str, Any]]:
        from sqlalchemy import select

        table = self.models.metadata.tables[table_name]
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(select(table).order_by(table.c[order_by])).mappings()]


@pytest.fixture(params=["postgresql", "sqlite"])
def forecast_db(request, make_database, tmp_path):
    """A migrated forecast database of each kind the service may own (SQLite is `make run`'s default)."""
    url = make_database("forecast") if request.param == "postgresql" else f"sqlite:///{tmp_path / 'forecast.db'}"
    db = ForecastDb(url)
    yield db
    db.dispose()


@pytest.fixture
def pg_forecast_db(make_database):
    db = ForecastDb(make_database("forecast"))
    yield db
    db.dispose()


@pytest.fixture
def team(request):
    """admin; manager over rep1 and rep2; rep3 outside the team; a service agent (on the
    test's `db` fixture)."""
    db = request.getfixturevalue("db")
    return {
        "admin": db.user("admin", "admin"),
        "manager": db.user("manager", "sales_manager"),
        "rep1": db.user("rep1", "sales_rep", manager_id="manager"),
        "rep2": db.user("rep2", "sales_rep", manager_id="manager"),
        "rep3": db.user("rep3", "sales_rep"),
        "agent": db.user("agent", "service_agent"),
    }
