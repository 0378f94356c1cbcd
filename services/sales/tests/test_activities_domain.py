"""The activity rules in plain Python: values, status moves, who sees what, the order
of the "today" list."""
from datetime import date, datetime, timedelta, timezone

import pytest
from tandem_plumbing.failures import Caller, Failure

from tandem_sales.domain.activities import (
    Activity,
    apply_changes,
    may_relate_to,
    parse_changes,
    parse_new_activity,
    urgency,
    visible_owners,
)

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)
TASK = {"type": "task", "subject": "Send the quote", "related_to": {"type": "account", "id": "acc-1"}}


def activity(**values) -> Activity:
    base = dict(id="a1", type="task", subject="Send the quote", description=None, related_type="account",
                related_id="acc-1", owner_id="rep", status="open", due_date=None, starts_at=None,
                duration_minutes=None, completed_at=None, outcome=None, created_by="rep", created_at=NOW,
                updated_at=NOW, version=1)
    return Activity(**{**base, **values})


def fields_of(failure) -> dict:
    return failure.value.details["fields"]


def test_a_new_activity_is_checked_and_open_by_default():
    clean = parse_new_activity({**TASK, "subject": "  Send the quote ", "due_date": "2026-12-01"})
    assert clean == {"type": "task", "subject": "Send the quote", "related_type": "account", "related_id": "acc-1",
                     "due_date": date(2026, 12, 1), "status": "open"}


def test_a_meeting_has_a_start_in_utc_and_a_duration():
    clean = parse_new_activity({**TASK, "type": "meeting", "starts_at": "2026-11-27T15:00:00+01:00",
                                "duration_minutes": 45})
    assert clean["starts_at"] == datetime(2026, 11, 27, 14, 0, tzinfo=timezone.utc)
    assert clean["duration_minutes"] == 45


def test_every_bad_field_is_named_at_once():
    with pytest.raises(Failure) as failure:
        parse_new_activity({"type": "fax", "subject": " ", "related_to": {"type": "case", "id": ""},
                            "status": "done", "due_date": "27/11/2026", "starts_at": "2026-11-27 10:00",
                            "duration_minutes": 0, "colour": "red"})
    assert failure.value.kind == "invalid"
    assert set(fields_of(failure)) == {"type", "subject", "related_to", "status", "due_date", "starts_at",
                                       "duration_minutes", "colour"}
    assert fields_of(failure)["related_to"] == ("type must be one of lead, contact, account, opportunity; "
                                                "id must not be empty")


def test_required_fields_and_the_shape_of_related_to():
    with pytest.raises(Failure) as failure:
        parse_new_activity({})
    assert fields_of(failure) == {"type": "is required", "subject": "is required", "related_to": "is required"}
    with pytest.raises(Failure) as failure:
        parse_new_activity({**TASK, "related_to": "acc-1"})
    assert set(fields_of(failure)) == {"related_to"}


@pytest.mark.parametrize("moment", ["2026-11-27T10:00:00", "2026-11-27", "tomorrow", "2026-13-01T10:00:00Z"])
def test_a_start_needs_an_offset_and_a_real_time(moment):
    with pytest.raises(Failure) as failure:
        parse_new_activity({**TASK, "type": "call", "starts_at": moment})
    assert set(fields_of(failure)) == {"starts_at"}


def test_only_calls_and_meetings_are_scheduled_and_a_duration_needs_a_start():
    with pytest.raises(Failure) as failure:
        parse_new_activity({**TASK, "starts_at": "2026-11-27T10:00:00Z", "duration_minutes": 30})
    assert set(fields_of(failure)) == {"starts_at", "duration_minutes"}
    with pytest.raises(Failure) as failure:
        parse_new_activity({**TASK, "type": "call", "duration_minutes": 30})
    assert fields_of(failure) == {"duration_minutes": "a duration needs starts_at"}


def test_changes_cannot_touch_the_type_or_the_record_and_clear_only_optional_fields():
    assert parse_changes({"status": "completed"}, ["due_date"]) == {"status": "completed", "due_date": None}
    with pytest.raises(Failure) as failure:
        parse_changes({"type": "call", "related_to": {"type": "lead", "id": "l1"}, "outcome": "x"},
                      ["subject", "outcome", "nonsense"])
    assert set(fields_of(failure)) == {"type", "related_to", "subject", "outcome", "nonsense"}


def test_completing_stamps_the_time_and_reopening_or_cancelling_clears_it():
    assert apply_changes(activity(), {"status": "completed"}, NOW) == {
        "status": ("open", "completed"), "completed_at": (None, NOW)}
    done = activity(status="completed", completed_at=NOW)
    later = NOW + timedelta(hours=1)
    assert apply_changes(done, {"status": "open"}, later) == {
        "status": ("completed", "open"), "completed_at": (NOW, None)}
    assert apply_changes(done, {"status": "cancelled"}, later)["completed_at"] == (NOW, None)
    assert apply_changes(done, {"status": "completed", "subject": "Send the quote"}, later) == {}


def test_a_changed_schedule_must_fit_the_activity():
    with pytest.raises(Failure) as failure:
        apply_changes(activity(), {"starts_at": NOW}, NOW)
    assert set(fields_of(failure)) == {"starts_at"}
    with pytest.raises(Failure) as failure:
        apply_changes(activity(type="call", starts_at=NOW, duration_minutes=30), {"starts_at": None}, NOW)
    assert fields_of(failure) == {"starts_at": "cannot be cleared while there is a duration"}
    assert apply_changes(activity(type="call", starts_at=NOW, duration_minutes=30),
                         {"starts_at": None, "duration_minutes": None}, NOW) == {
        "starts_at": (NOW, None), "duration_minutes": (30, None)}
    assert apply_changes(activity(type="call"), {"starts_at": NOW, "duration_minutes": 15}, NOW) == {
        "starts_at": (None, NOW), "duration_minutes": (None, 15)}


def test_who_sees_whose_activities():
    managers = {"boss": None, "rep1": "boss", "rep2": "boss", "rep3": None, "sub": "rep1"}
    assert visible_owners(Caller("admin", "admin"), managers) is None
    assert visible_owners(Caller("boss", "sales_manager"), managers) == {"boss", "rep1", "rep2", "sub"}
    assert visible_owners(Caller("rep1", "sales_rep"), managers) == {"rep1"}
    assert visible_owners(Caller("agent", "service_agent"), managers) == {"agent"}


def test_agents_relate_to_accounts_and_contacts_only():
    agent, rep = Caller("agent", "service_agent"), Caller("rep", "sales_rep")
    assert [may_relate_to(agent, t) for t in ("lead", "contact", "account", "opportunity")] == [
        False, True, True, False]
    assert all(may_relate_to(rep, t) for t in ("lead", "contact", "account", "opportunity"))


def test_the_most_overdue_comes_first():
    old_task = activity(id="t1", due_date=date(2026, 11, 20))
    today_task = activity(id="t2", due_date=date(2026, 11, 27))
    early_call = activity(id="c1", type="call", starts_at=NOW - timedelta(days=3))
    today_meeting = activity(id="m1", type="meeting", starts_at=NOW + timedelta(hours=2))
    found = sorted([today_meeting, today_task, early_call, old_task], key=urgency)
    assert [a.id for a in found] == ["t1", "c1", "m1", "t2"]
