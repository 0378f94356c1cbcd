"""Feeding the read model: snapshots to rows (units), and the feed use cases on
PostgreSQL and SQLite (a newer version replaces, an older or equal one changes nothing)."""
import json
from datetime import date, datetime, timezone

from tandem_forecast.domain.read_model import lead_row, opportunity_row
from tandem_forecast.use_cases import feed

from .conftest import lead_snapshot, opportunity_snapshot

REFERRAL = {"referral_id": "ref-1", "case_id": "case-1", "case_number": "C-1", "agent_id": "agent-7",
            "kind": "upsell", "product_interest": "seats"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# -- rows from snapshots (no I/O) ----------------------------------------------------------
def test_an_opportunity_row_has_minor_units_dates_and_the_referral_credit():
    second = {**REFERRAL, "referral_id": "ref-2", "agent_id": "agent-8"}
    row = opportunity_row(opportunity_snapshot("o1", 4, amount="1234.5", currency="EUR", referrals=[REFERRAL, second],
                                               is_closed=True, is_won=True, closed_at="2026-11-02T10:00:00Z"))
    assert (row["id"], row["version"], row["amount_minor"], row["currency"]) == ("o1", 4, 123450, "EUR")
    assert row["close_date"] == date(2026, 11, 15) and row["closed_at"] == at("2026-11-02T10:00:00")
    assert (row["referral_agent_id"], json.loads(row["referral_ids"])) == ("agent-7", ["ref-1", "ref-2"])
    assert (row["account_name"], row["is_won"], row["created_at"]) == ("Acme", True, at("2026-10-01T09:00:00"))
    assert opportunity_row(opportunity_snapshot("o1", amount="5", currency="JPY"))["amount_minor"] == 5


def test_an_opportunity_without_amount_close_date_or_referrals():
    row = opportunity_row(opportunity_snapshot("o1", amount=None, close_date=None))
    assert (row["amount_minor"], row["close_date"], row["closed_at"]) == (None, None, None)
    assert (row["referral_agent_id"], row["referral_ids"]) == (None, "[]")


def test_a_lead_row_takes_its_conversion_and_first_referral():
    converted = {"account_id": "a", "contact_id": "c", "opportunity_id": "o9", "converted_at": "2026-11-03T08:00:00Z"}
    row = lead_row(lead_snapshot("l1", 3, status="converted", conversion=converted, referrals=[REFERRAL],
                                 source="service_referral"), "2026-11-01T00:00:00Z")
    assert row == {"id": "l1", "version": 3, "owner_id": "rep1", "source": "service_referral", "status": "converted",
                   "created_at": at("2026-11-01T00:00:00"), "converted_at": at("2026-11-03T08:00:00"),
                   "opportunity_id": "o9", "referral_agent_id": "agent-7"}


# -- the use cases on a database -----------------------------------------------------------
def test_a_newer_opportunity_replaces_an_older_or_equal_one_never(forecast_db):
    db = forecast_db
    assert db.run(feed.record_opportunity, opportunity_snapshot("o1", 1, amount="10.00"))
    assert db.run(feed.record_opportunity, opportunity_snapshot("o1", 3, amount="30.00", stage="Negotiation"))
    assert not db.run(feed.record_opportunity, opportunity_snapshot("o1", 2, amount="20.00"))  # late
    assert not db.run(feed.record_opportunity, opportunity_snapshot("o1", 3, amount="99.00"))  # same version
    [row] = db.rows("opportunities")
    assert (row["version"], row["amount_minor"], row["stage"]) == (3, 3000, "Negotiation")


def test_a_lead_keeps_its_newest_snapshot_and_earliest_event_time(forecast_db):
    db = forecast_db
    assert db.run(feed.record_lead, lead_snapshot("l1", 2, status="working"), "2026-11-02T00:00:00Z")
    # lead_created arrives late: the state stays at v2, the creation time is the earlier one
    assert not db.run(feed.record_lead, lead_snapshot("l1", 1), "2026-11-01T00:00:00Z")
    [row] = db.rows("leads")
    assert (row["version"], row["status"]) == (2, "working")
    assert row["created_at"].replace(tzinfo=None) == datetime(2026, 11, 1)
    assert db.run(feed.record_lead, lead_snapshot("l1", 3, status="qualified"), "2026-11-05T00:00:00Z")
    [row] = db.rows("leads")
    assert (row["version"], row["status"]) == (3, "qualified")
    assert row["created_at"].replace(tzinfo=None) == datetime(2026, 11, 1)


def lead_state(db):
    [row] = db.rows("leads")
    return row["version"], row["status"], row["owner_id"], row["created_at"].replace(tzinfo=None)


def test_lead_versions_out_of_order_end_in_the_newest_and_the_earliest_time(forecast_db):
    db = forecast_db
    assert db.run(feed.record_lead, lead_snapshot("l1", 3, status="qualified", owner_id="rep2"), "2026-11-03T00:00:00Z")
    assert not db.run(feed.record_lead, lead_snapshot("l1", 1), "2026-11-01T00:00:00Z")
    assert not db.run(feed.record_lead, lead_snapshot("l1", 2, status="working"), "2026-11-02T00:00:00Z")
    assert lead_state(db) == (3, "qualified", "rep2", datetime(2026, 11, 1))


def test_a_stale_lead_event_with_a_later_time_changes_nothing(forecast_db):
    db = forecast_db
    db.run(feed.record_lead, lead_snapshot("l1", 2, status="working"), "2026-11-02T00:00:00Z")
    assert not db.run(feed.record_lead, lead_snapshot("l1", 1, owner_id="rep9"), "2026-11-05T00:00:00Z")
    assert lead_state(db) == (2, "working", "rep1", datetime(2026, 11, 2))


def test_an_equal_lead_version_with_an_earlier_time_moves_only_the_creation_time(forecast_db):
    """Old leads publish lead_created and lead_assigned of one version; either may come first."""
    db = forecast_db
    db.run(feed.record_lead, lead_snapshot("l1", 1, status="working"), "2026-11-02T00:00:00Z")
    db.run(feed.record_lead, lead_snapshot("l1", 1, status="other"), "2026-11-01T00:00:00+01:00")  # 31 Oct, 23:00 UTC
    assert lead_state(db) == (1, "working", "rep1", datetime(2026, 10, 31, 23))


def test_a_duplicate_lead_delivery_writes_nothing(forecast_db):
    db = forecast_db
    snapshot = lead_snapshot("l1", 2, status="working")
    assert db.run(feed.record_lead, snapshot, "2026-11-02T00:00:00Z")
    assert not db.run(feed.record_lead, snapshot, "2026-11-02T00:00:00Z")
    assert lead_state(db) == (2, "working", "rep1", datetime(2026, 11, 2))


def test_a_lead_event_is_one_statement(forecast_db):
    """The consumer's cost per delivery is mostly per statement (issue 3)."""
    from sqlalchemy import event

    db, statements = forecast_db, []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for version, at in ((1, "2026-11-02T00:00:00Z"), (2, "2026-11-03T00:00:00Z"), (1, "2026-11-01T00:00:00Z")):
        statements.clear()
        db.run(feed.record_lead, lead_snapshot("l1", version), at)
        assert [s.split()[0] for s in statements if not s.startswith("BEGIN")] == ["INSERT"]


def test_concurrent_deliveries_of_one_lead_take_turns(pg_forecast_db):
    """A stale event with the earliest time waits on the newer one's uncommitted insert,
    then applies against it: the newer state and the earlier time both stay."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text
    from tandem_plumbing.db import transaction
    from tandem_plumbing.testing import wait_for

    db = pg_forecast_db
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'")
    with ThreadPoolExecutor(1) as pool, transaction(db.sessions) as first:
        assert feed.record_lead(first, lead_snapshot("l1", 2, status="working"), "2026-11-02T00:00:00Z")
        stale = pool.submit(db.run, feed.record_lead, lead_snapshot("l1", 1), "2026-11-01T00:00:00Z")
        wait_for(lambda: db.run(lambda session: session.execute(waiting).scalar_one()),
                 what="the stale delivery waiting on the lock")  # a fresh transaction: a new stats snapshot
    assert stale.result() is False
    assert lead_state(db) == (2, "working", "rep1", datetime(2026, 11, 1))
