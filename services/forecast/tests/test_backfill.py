"""The backfill use case on PostgreSQL and SQLite: it writes only newer versions (so it
may overlap events and run again), and its row says whether it is needed."""
from datetime import datetime, timezone

import pytest

from tandem_forecast.use_cases import backfill

from .conftest import opportunity_snapshot

T0, T1 = datetime(2026, 11, 1, 9, tzinfo=timezone.utc), datetime(2026, 11, 1, 10, tzinfo=timezone.utc)


def status(db):
    with db.sessions() as session:
        return backfill.status(session), backfill.needed(session)


def test_a_backfill_fills_an_empty_read_model_and_says_so(forecast_db):
    db = forecast_db
    assert status(db) == (None, True)
    snapshots = [opportunity_snapshot(f"o{i:04}", i % 3 + 1, amount=f"{i}.00") for i in range(1234)]
    times = iter([T0, T1])
    assert backfill.run_backfill(db.sessions, iter(snapshots), now=lambda: next(times)) == 1234
    assert status(db) == ("done", False)
    [row] = db.rows("backfill", order_by="name")
    assert (row["count"], row["started_at"].replace(tzinfo=timezone.utc), row["finished_at"].replace(
        tzinfo=timezone.utc)) == (1234, T0, T1)
    rows = db.rows("opportunities")
    assert [(r["id"], r["version"], r["amount_minor"]) for r in rows] == [
        (s["id"], s["version"], int(s["amount"][:-3]) * 100) for s in snapshots]


def test_an_overlapping_or_repeated_backfill_keeps_the_newer_versions(forecast_db):
    db = forecast_db
    db.opportunity("o1", 5, amount="500.00")  # an event was faster than the stream
    stream = [opportunity_snapshot("o1", 4, amount="400.00"), opportunity_snapshot("o2", 1, amount="1.00")]
    assert backfill.run_backfill(db.sessions, stream) == 2
    assert backfill.run_backfill(db.sessions, stream) == 2  # again: the same state, one row each
    assert [(r["id"], r["version"], r["amount_minor"]) for r in db.rows("opportunities")] == [
        ("o1", 5, 50000), ("o2", 1, 100)]
    assert db.count("backfill") == 1


def test_an_interrupted_backfill_is_still_needed(forecast_db):
    db = forecast_db

    def broken():
        yield opportunity_snapshot("o1")
        raise ConnectionError("sales went away")

    with pytest.raises(ConnectionError):
        backfill.run_backfill(db.sessions, broken())
    assert status(db) == ("running", True)
