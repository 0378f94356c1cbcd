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
