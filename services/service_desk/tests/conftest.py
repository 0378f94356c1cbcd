"""Fixtures for the service desk tests: a migrated PostgreSQL database of its own, the
agents directory, callers and the outbox.

This conftest also applies to `consumers/` (an eventlet-patched pytest process whose
conftest must run first): module-level imports stay stdlib-only but for pytest and the
`tandem_plumbing.testing` plugin; the rest is imported inside fixtures."""
from __future__ import annotations

import itertools

import pytest
from tandem_plumbing.testing import ServiceDb


@pytest.fixture
def sd_db(make_database):
    """A fresh, migrated service_desk database (a ServiceDb: url, engine, sessions, models,
    run, events, count); `counts()` covers the business tables and the outbox."""
    db = ServiceDb("tandem_service_desk", make_database("service_desk"), directory="agents",
                   records=("cases", "case_comments", "case_history", "referrals", "outbox"))
    yield db
    db.dispose()


@pytest.fixture
def directory(sd_db):
    """directory(role, active=True) -> the id of a user recorded in `agents` (as the
    gateway's user events would)."""
    counter = itertools.count(1)

    def add(role: str = "service_agent", active: bool = True, user_id: str | None = None, version: int = 1) -> str:
        user_id = user_id or f"{role}-{next(counter):03d}"
        sd_db.user(user_id, role, active=active, version=version)
        return user_id

    return add


def _short(statement: str) -> str:
    """'SELECT referrals FOR UPDATE', 'UPDATE referrals', 'INSERT outbox',
    'SELECT pg_advisory_xact_lock', ...: what a statement does to which table."""
    import re

    verb = statement.split(None, 1)[0].upper()
    table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement)
    if table is None:
        return statement.split("(", 1)[0].strip()
    return f"{verb} {table.group(1)}" + (" FOR UPDATE" if "FOR UPDATE" in statement else "")


@pytest.fixture
def statements():
    """statements(target): a context manager yielding the SQL statements run on `target`
    (an engine, or the Engine class for every engine) inside it, as a
    `before_cursor_execute` listener sees them (the commit is not one), each shortened to
    what it does to which table: 'UPDATE referrals'. With `per` (a function naming the
    current unit of work, e.g. the green thread), a dict: unit -> its statements."""
    from collections import defaultdict
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def record(target, per=None):
        seen: defaultdict[object, list[str]] = defaultdict(list)

        def listener(_conn, _cursor, statement, _parameters, _context, _executemany):
            seen[per() if per else None].append(_short(statement))

        event.listen(target, "before_cursor_execute", listener)
        try:
            yield seen if per else seen[None]
        finally:
            event.remove(target, "before_cursor_execute", listener)

    return record


def lead_snapshot(version: int, referral_ids, *, status: str = "new", owner_id: str | None = None,
                  reason: str | None = None, lead_id: str = "lead-1") -> dict:
    """A LeadSnapshot of the event catalogue."""
    return {
        "id": lead_id, "version": version, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.test",
        "company": "Acme", "title": "CTO", "industry": "software", "country": "GB", "employees": 120,
        "source": "service_referral", "status": status, "status_reason": reason, "score": 80,
        "score_factors": [], "owner_id": owner_id,
        "referrals": [{"referral_id": rid, "case_id": "c", "case_number": "00000001", "agent_id": "a",
                       "kind": "upsell", "product_interest": "Seats"} for rid in referral_ids],
    }


@pytest.fixture
def snapshot():
    return lead_snapshot


def opportunity_snapshot(version: int, referral_ids, *, stage: str = "Qualification", amount: str | None = "12000.00",
                         opportunity_id: str = "opp-1", lead_id: str = "lead-1") -> dict:
    """An OpportunitySnapshot of the event catalogue."""
    closed, won = stage in ("Closed Won", "Closed Lost"), stage == "Closed Won"
    return {
        "id": opportunity_id, "version": version, "name": "Acme - Seats", "account_id": "acc-1",
        "account_name": "Acme", "owner_id": "rep-1", "amount": amount, "currency": "USD",
        "close_date": "2026-12-31", "stage": stage, "probability": 100 if won else 10,
        "forecast_category": "closed" if won else "pipeline", "forecast_category_overridden": False,
        "is_closed": closed, "is_won": won, "lead_id": lead_id, "primary_contact_id": "con-1", "loss_reason": None,
        "referrals": [{"referral_id": rid, "case_id": "c", "case_number": "00000001", "agent_id": "a",
                       "kind": "upsell", "product_interest": "Seats"} for rid in referral_ids],
        "line_item_count": 1, "created_at": "2026-11-02T09:00:00.000Z", "updated_at": "2026-11-02T09:00:00.000Z",
        "closed_at": "2026-11-02T09:00:00.000Z" if closed else None,
    }


def closed_event_data(version: int, referral_ids, *, won: bool = True, amount: str | None = "12000.00") -> dict:
    """`opportunity_closed` data."""
    opportunity = opportunity_snapshot(version, referral_ids, stage="Closed Won" if won else "Closed Lost",
                                       amount=amount)
    return {"opportunity": opportunity, "won": won,
            "amount": {"amount": amount, "currency": "USD"} if amount is not None else None,
            "loss_reason": None if won else "went with a competitor"}


@pytest.fixture
def opportunity():
    return opportunity_snapshot


@pytest.fixture
def closed():
    return closed_event_data
