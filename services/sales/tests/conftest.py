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


# (user id, role, manager id): admin; manager over rep1 and rep2; rep3 outside the team; a service agent.
TEAM = (("admin", "admin", None), ("manager", "sales_manager", None), ("rep1", "sales_rep", "manager"),
        ("rep2", "sales_rep", "manager"), ("rep3", "sales_rep", None), ("agent", "service_agent", None))


@pytest.fixture
def team(request):
    """The TEAM in the test's `db`: user id -> their Caller."""
    db = request.getfixturevalue("db")
    return {user_id: db.user(user_id, role, manager_id=manager_id) for user_id, role, manager_id in TEAM}


class LeadsServer:
    """A real leads gRPC server (the leads service's own servicer) on its own migrated
    PostgreSQL database `db`, whose directory holds the TEAM."""

    def __init__(self, db: ServiceDb, address: str) -> None:
        self.db, self.address = db, address
        self.team = {user_id: db.user(user_id, role, manager_id=manager_id) for user_id, role, manager_id in TEAM}

    def lead(self, owner_id: str) -> str:
        """The id of a new lead that `owner_id` owns (made by the admin)."""
        from tandem_leads.use_cases import create_lead

        made = self.db.run(create_lead, self.team["admin"], {
            "first_name": "Lena", "last_name": "Lead", "company": "Globex", "email": "lena@globex.example"},
            owner_id=owner_id, allow_duplicate=True)
        return made.id


@pytest.fixture
def leads_server(make_database, serve_grpc, monkeypatch):
    """A real leads gRPC server where the sales code under test finds it (LEADS_GRPC_ADDR).
    Test-only: the sales code never imports the leads service; without the leads package
    installed (an isolated sales venv) the tests that need it are skipped."""
    pytest.importorskip("tandem_leads", reason="the leads service is not installed (test-only dependency)")
    from tandem_leads.adapters.grpc_server import register

    db = ServiceDb("tandem_leads", make_database("leads"), directory="reps")
    address, _server = serve_grpc(lambda server: register(server, db.engine))
    monkeypatch.setenv("LEADS_GRPC_ADDR", address)
    yield LeadsServer(db, address)
    db.dispose()
