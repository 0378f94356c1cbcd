"""The notify use cases on a real PostgreSQL database, and email through a real SMTP server."""
import itertools
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event
from tandem_plumbing.db import transaction

from tandem_notify import domain, use_cases
from tandem_notify.adapters.models import (
    hot_lead_alerts,
    notification_preferences,
    notification_settings,
    notifications,
    outbox,
    outgoing_emails,
)
from tandem_notify.adapters.smtp import SmtpConfig, SmtpMailer

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)

# PostgreSQL, as deployed; SQLite, as `make run` runs it.
pytestmark = pytest.mark.parametrize("notify_db", ["postgresql", "sqlite"], indirect=True)


@pytest.fixture
def run(notify_db):
    """run(use_case, *args): one transaction, as apply_once or a servicer would."""

    def run(use_case, *args, **kwargs):
        with transaction(notify_db.sessions) as session:
            return use_case(session, *args, **kwargs)

    return run


@pytest.fixture
def team(directory):
    directory.add("mgr-1", "Mia Manager", role="sales_manager")
    directory.add("rep-1", "Rex Rep", manager_id="mgr-1")
    directory.add("rep-2", "Rae Rep", manager_id="mgr-1")
    directory.add("agent-1", "Ada Agent", role="service_agent")


def utc(moment):
    """SQLite hands back the UTC time it stored without its zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def inbox(notify_db, user_id):
    return notify_db.rows(notifications, notifications.c.user_id == user_id, order_by=notifications.c.created_at)


def emails(notify_db):
    return notify_db.rows(outgoing_emails, order_by=outgoing_emails.c.created_at)


# -- lead_assigned ------------------------------------------------------------------------------
def test_the_new_owner_is_told_who_referred_which_company_for_what(notify_db, team, run, shapes):
    lead = shapes.lead(referrals=[shapes.referral_ref()])
    run(use_cases.lead_assigned, shapes.lead_assigned(lead), True)

    [note] = inbox(notify_db, "rep-1")
    assert note["kind"] == "lead_assigned"
    assert note["title"] == "Referred lead for you: Navy Labs wants 50 more seats"
    assert "Ada Agent referred Grace Hopper at Navy Labs (upsell: 50 more seats)" in note["body"]
    assert note["data"] == {"lead_id": "L1", "referral_id": "R1", "case_id": "C1", "agent_id": "agent-1"}
    assert (note["read_at"], note["version"]) == (None, 1)
    [email] = emails(notify_db)
    assert (email["to_address"], email["subject"], email["status"], email["attempts"]) == (
        "rep-1@example.com", note["title"], "pending", 0)
    assert email["body"] == note["body"]
    assert notify_db.count(outbox) == 0  # notify publishes nothing


def test_a_lead_without_referral_is_simply_assigned(notify_db, team, run, shapes):
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead()), True)
    [note] = inbox(notify_db, "rep-1")
    assert note["title"] == "Lead assigned to you: Grace Hopper, Navy Labs"
    assert note["data"] == {"lead_id": "L1"}


def test_without_smtp_no_email_is_written(notify_db, team, run, shapes):
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead()), False)
    assert len(inbox(notify_db, "rep-1")) == 1
    assert emails(notify_db) == []


def test_an_older_snapshot_arriving_late_does_not_tell_the_former_owner(notify_db, team, run, shapes):
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(version=3, owner_id="rep-2")), True)
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(version=2, owner_id="rep-1")), True)
    assert len(inbox(notify_db, "rep-2")) == 1
    assert inbox(notify_db, "rep-1") == []


def test_an_owner_not_yet_in_the_directory_gets_the_inbox_but_no_email(notify_db, run, shapes):
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(owner_id="new-rep")), True)
    assert len(inbox(notify_db, "new-rep")) == 1
    assert emails(notify_db) == []


def test_a_deactivated_user_is_not_notified(notify_db, directory, run, shapes):
    directory.add("rep-1", "Rex Rep", active=False)
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead()), True)
    assert inbox(notify_db, "rep-1") == [] and emails(notify_db) == []


# -- hot leads ---------------------------------------------------------------------------------
def test_a_hot_lead_alerts_owner_and_manager_once_per_lead(notify_db, team, run, shapes):
    run(use_cases.lead_created, {"lead": shapes.lead(score=85)}, True)
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(version=2, score=85)), True)
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(version=3, score=90, owner_id="rep-2")), True)

    def hot(user_id):
        return [n for n in inbox(notify_db, user_id) if n["kind"] == "hot_lead"]

    [owner_alert] = hot("rep-1")
    [manager_alert] = hot("mgr-1")
    assert owner_alert["title"] == "Hot lead: Grace Hopper, Navy Labs scores 85"
    assert manager_alert["title"] == "Hot lead on your team: Grace Hopper, Navy Labs scores 85"
    assert "Rex Rep owns it" in manager_alert["body"]
    assert hot("rep-2") == []  # reassigned later: the lead had alerted already
    assert [n["kind"] for n in inbox(notify_db, "rep-2")] == ["lead_assigned"]
    assert notify_db.count(hot_lead_alerts) == 1
    assert sorted(e["to_address"] for e in emails(notify_db) if e["notification_kind"] == "hot_lead") == [
        "mgr-1@example.com", "rep-1@example.com"]


def test_a_lead_below_the_threshold_does_not_alert(notify_db, team, run, shapes):
    run(use_cases.lead_created, {"lead": shapes.lead(score=79)}, True)
    assert inbox(notify_db, "rep-1") == [] and inbox(notify_db, "mgr-1") == []


def test_the_admins_threshold_decides(notify_db, team, run, shapes):
    run(use_cases.set_settings, "admin", {"hot_lead_threshold": 90}, None)
    run(use_cases.lead_created, {"lead": shapes.lead(lead_id="L1", score=89)}, True)
    run(use_cases.lead_created, {"lead": shapes.lead(lead_id="L2", score=90)}, True)
    assert [n["data"]["lead_id"] for n in inbox(notify_db, "rep-1")] == ["L2"]


def test_a_hot_lead_without_owner_alerts_once_it_has_one(notify_db, team, run, shapes):
    run(use_cases.lead_created, {"lead": shapes.lead(score=95, owner_id=None)}, True)
    assert notify_db.count(notifications) == 0
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(version=2, score=95)), True)
    assert sorted(n["kind"] for n in inbox(notify_db, "rep-1")) == ["hot_lead", "lead_assigned"]
    assert [n["kind"] for n in inbox(notify_db, "mgr-1")] == ["hot_lead"]


def test_created_and_assigned_handled_at_once_alert_once(notify_db, team, shapes):
    """lead_created and lead_assigned of one hot lead in two concurrent transactions: the
    second waits (PostgreSQL: on the lead's keys; SQLite: on the write lock), then skips
    the alert without failing."""
    lead = shapes.lead(score=88)  # the same snapshot: created and assigned in one go
    first = notify_db.sessions()
    first.begin()
    use_cases.lead_created(first, {"lead": lead}, False)
    errors = []

    def second():
        try:
            with transaction(notify_db.sessions) as session:
                use_cases.lead_assigned(session, shapes.lead_assigned(lead), False)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # blocked behind the first transaction
    first.commit()
    first.close()
    thread.join(10)
    assert errors == []
    assert sorted(n["kind"] for n in inbox(notify_db, "rep-1")) == ["hot_lead", "lead_assigned"]
    assert [n["kind"] for n in inbox(notify_db, "mgr-1")] == ["hot_lead"]


# -- lead_created with `assignment` (the new producer) and the old form -------------------------
def kinds(notify_db, user_id):
    return sorted(n["kind"] for n in inbox(notify_db, user_id))


def test_a_lead_created_with_an_owner_tells_the_owner_once_and_alerts_when_hot(notify_db, team, run, shapes):
    lead = shapes.lead(score=85, referrals=[shapes.referral_ref()])
    run(use_cases.lead_created, shapes.lead_created(lead), True)

    [told] = [n for n in inbox(notify_db, "rep-1") if n["kind"] == "lead_assigned"]
    assert told["title"] == "Referred lead for you: Navy Labs wants 50 more seats"
    assert "Ada Agent referred Grace Hopper at Navy Labs (upsell: 50 more seats)" in told["body"]
    assert told["data"] == {"lead_id": "L1", "referral_id": "R1", "case_id": "C1", "agent_id": "agent-1"}
    assert kinds(notify_db, "rep-1") == ["hot_lead", "lead_assigned"]
    assert kinds(notify_db, "mgr-1") == ["hot_lead"]
    assert sorted((e["to_address"], e["notification_kind"]) for e in emails(notify_db)) == [
        ("mgr-1@example.com", "hot_lead"), ("rep-1@example.com", "hot_lead"), ("rep-1@example.com", "lead_assigned")]

    run(use_cases.lead_created, shapes.lead_created(lead), True)  # the same data again (a replay)
    assert notify_db.count(notifications) == 3 and len(emails(notify_db)) == 3


def test_a_lead_created_with_an_owner_below_the_threshold_does_not_alert(notify_db, team, run, shapes):
    run(use_cases.lead_created, shapes.lead_created(shapes.lead(score=79)), True)
    assert kinds(notify_db, "rep-1") == ["lead_assigned"] and inbox(notify_db, "mgr-1") == []


def test_the_old_form_tells_the_owner_once_when_lead_assigned_follows(notify_db, team, run, shapes):
    lead = shapes.lead(score=40)
    run(use_cases.lead_created, {"lead": lead}, True)
    assert inbox(notify_db, "rep-1") == []  # without `assignment`: lead_assigned will tell
    run(use_cases.lead_assigned, shapes.lead_assigned(lead), True)
    run(use_cases.lead_assigned, shapes.lead_assigned(lead), True)  # the same data again
    assert kinds(notify_db, "rep-1") == ["lead_assigned"]
    assert [e["notification_kind"] for e in emails(notify_db)] == ["lead_assigned"]


@pytest.mark.parametrize("order", list(itertools.permutations(["created", "assigned", "created_with_assignment"])),
                         ids="-then-".join)
def test_both_forms_of_one_new_lead_tell_the_owner_once(notify_db, team, run, shapes, order):
    """An upgrade's overlap: the old producer's lead_created and lead_assigned and the new
    producer's lead_created with `assignment`, same snapshot and version, in any order."""
    lead = shapes.lead(score=90, referrals=[shapes.referral_ref()])
    forms = {"created": (use_cases.lead_created, {"lead": lead}),
             "assigned": (use_cases.lead_assigned, shapes.lead_assigned(lead)),
             "created_with_assignment": (use_cases.lead_created, shapes.lead_created(lead))}
    for form in order:
        run(*forms[form], True)
    assert kinds(notify_db, "rep-1") == ["hot_lead", "lead_assigned"]
    assert kinds(notify_db, "mgr-1") == ["hot_lead"]
    assert len(emails(notify_db)) == 3


def test_a_later_reassignment_still_tells_the_new_owner(notify_db, team, run, shapes):
    run(use_cases.lead_created, shapes.lead_created(shapes.lead(version=1)), True)
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(version=2, owner_id="rep-2"), "rep-1", "manual"), True)
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(version=3, owner_id="rep-1"), "rep-2", "manual"), True)
    assert kinds(notify_db, "rep-1") == ["lead_assigned", "lead_assigned"]
    assert kinds(notify_db, "rep-2") == ["lead_assigned"]


def test_a_lead_created_arriving_after_a_newer_snapshot_tells_nobody(notify_db, team, run, shapes):
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(version=2, owner_id="rep-2"), "rep-1"), True)
    run(use_cases.lead_created, shapes.lead_created(shapes.lead(version=1, score=99)), True)
    assert inbox(notify_db, "rep-1") == [] and inbox(notify_db, "mgr-1") == []
    assert kinds(notify_db, "rep-2") == ["lead_assigned"]


def test_a_lead_created_without_owner_tells_nobody(notify_db, team, run, shapes):
    data = shapes.lead_created(shapes.lead(owner_id=None, score=99))
    assert "assignment" not in data
    run(use_cases.lead_created, data, True)
    assert notify_db.count(notifications) == 0


# -- statements per delivery ----------------------------------------------------------------------
# Each statement costs an event delivery about 0.3 ms of Python (docs/benchmarks.md): these
# are the statements of the effect, besides the inbox row and the transaction's own.
STATEMENTS = {
    "lead_assigned of a referred lead": (use_cases.lead_assigned, lambda s: s.lead_assigned(
        s.lead(referrals=[s.referral_ref()])), 4),  # snapshot, people, notification, email
    "lead_created with assignment, hot": (use_cases.lead_created, lambda s: s.lead_created(
        s.lead(score=90, referrals=[s.referral_ref()])), 5),  # + the alert's claim; 3 notifications, 3 emails
    "lead_created, old form, owned": (use_cases.lead_created, lambda s: {"lead": s.lead()}, 2),  # snapshot, people
    "lead_created without owner": (use_cases.lead_created, lambda s: s.lead_created(s.lead(owner_id=None)), 1),
    "referral assigned": (use_cases.referral_status_changed, lambda s: s.referral_status_changed("assigned"), 2),
    "referral not news": (use_cases.referral_status_changed, lambda s: s.referral_status_changed("lead_created"), 0),
}


@pytest.mark.parametrize("case", STATEMENTS)
def test_statements_per_delivery(notify_db, team, run, shapes, case):
    use_case, data, expected = STATEMENTS[case]
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement != "BEGIN IMMEDIATE":  # SQLite's, issued for the transaction
            statements.append(statement)

    event.listen(notify_db.engine, "before_cursor_execute", count)
    try:
        run(use_case, data(shapes), True)
    finally:
        event.remove(notify_db.engine, "before_cursor_execute", count)
    assert len(statements) == expected, statements


# -- the upgrade that added lead_versions.owner_told_version ----------------------------------------
def test_the_upgrade_marks_leads_whose_owner_was_told(notify_db, team, run, shapes):
    """Told before the upgrade: a replay in the new form tells nobody. Not yet told (the
    old producer's lead_assigned still on the way): it still tells."""
    from importlib.resources import files

    from alembic import command
    from tandem_plumbing.migrations import alembic_config, upgrade

    from tandem_notify.adapters.models import lead_versions

    told, pending = shapes.lead(lead_id="L1", version=4), shapes.lead(lead_id="L2")
    run(use_cases.lead_assigned, shapes.lead_assigned(told), False)
    run(use_cases.lead_created, {"lead": pending}, False)
    migrations = files("tandem_notify") / "migrations"
    command.downgrade(alembic_config(migrations, notify_db.url), "0002")
    upgrade(migrations, notify_db.url)
    assert {row["id"]: row["owner_told_version"] for row in notify_db.rows(lead_versions)} == {"L1": 4, "L2": None}

    run(use_cases.lead_created, shapes.lead_created(told), False)
    run(use_cases.lead_assigned, shapes.lead_assigned(pending), False)
    assert [n["data"]["lead_id"] for n in inbox(notify_db, "rep-1")] == ["L1", "L2"]


# -- referral updates ---------------------------------------------------------------------------
def test_the_agent_is_told_to_whom_the_referral_was_assigned(notify_db, team, run, shapes):
    run(use_cases.referral_status_changed, shapes.referral_status_changed("assigned"), True)
    [note] = inbox(notify_db, "agent-1")
    assert note["kind"] == "referral_update"
    assert note["title"] == "Your referral for Navy Labs was assigned to Rex Rep"
    assert note["data"] == {"referral_id": "R1", "case_id": "C1", "lead_id": "L1", "assignee_id": "rep-1"}
    assert emails(notify_db) == []  # referral updates are not emailed by default


def test_the_agent_is_told_why_a_referral_was_rejected(notify_db, team, run, shapes):
    data = shapes.referral_status_changed("rejected", previous_status="assigned", reason="no budget this year")
    run(use_cases.referral_status_changed, data, True)
    [note] = inbox(notify_db, "agent-1")
    assert note["title"] == "Your referral for Navy Labs was rejected: no budget this year"


def test_the_agent_is_told_the_referral_was_won_and_for_how_much(notify_db, team, run, shapes):
    data = shapes.referral_status_changed("won", previous_status="converted", opportunity_id="O1",
                                          outcome_amount={"amount": "12000.00", "currency": "USD"})
    run(use_cases.referral_status_changed, data, True)
    [note] = inbox(notify_db, "agent-1")
    assert note["title"] == "Your referral for Navy Labs was won: 12,000.00 USD"
    assert note["body"] == "Your upsell referral (50 more seats) from support case #1042 was won: 12,000.00 USD."
    assert note["data"]["opportunity_id"] == "O1"


def test_a_referral_that_just_became_a_lead_is_not_news(notify_db, team, run, shapes):
    run(use_cases.referral_status_changed, shapes.referral_status_changed("lead_created", "submitted"), True)
    assert notify_db.count(notifications) == 0


# -- preferences ----------------------------------------------------------------------------------
def test_a_channel_turned_off_gets_nothing_of_that_kind(notify_db, team, run, shapes):
    run(use_cases.set_preferences, "rep-1", {"in_app": {"lead_assigned": False}, "email": {"hot_lead": False}}, None)
    run(use_cases.set_preferences, "agent-1", {"email": {"referral_update": True}}, None)
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(score=99)), True)
    run(use_cases.referral_status_changed, shapes.referral_status_changed("won"), True)

    assert [n["kind"] for n in inbox(notify_db, "rep-1")] == ["hot_lead"]
    assert {(e["to_address"], e["notification_kind"]) for e in emails(notify_db)} == {
        ("rep-1@example.com", "lead_assigned"),  # email for lead_assigned is still on
        ("mgr-1@example.com", "hot_lead"),  # the manager kept the defaults
        ("agent-1@example.com", "referral_update"),  # the agent turned it on
    }


def test_preferences_replace_and_count_versions(notify_db, run):
    assert run(use_cases.get_preferences, "rep-1") == domain.Preferences(domain.effective_preferences({}), 0)
    first = run(use_cases.set_preferences, "rep-1", {"email": {"hot_lead": False}}, 0)
    assert (first.version, first.channels["email"]["hot_lead"]) == (1, False)
    second = run(use_cases.set_preferences, "rep-1", {"in_app": {"referral_update": False}}, 1)
    assert second.version == 2
    assert second.channels["email"]["hot_lead"] is True  # left out: back to its default
    assert run(use_cases.get_preferences, "rep-1") == second
    with pytest.raises(domain.Stale) as stale:
        run(use_cases.set_preferences, "rep-1", {}, 1)
    assert stale.value.current_version == 2


def test_bad_preferences_write_nothing(notify_db, run):
    with pytest.raises(domain.Invalid) as failed:
        run(use_cases.set_preferences, "rep-1", {"sms": {"hot_lead": True}, "email": {"hot": True}}, None)
    assert set(failed.value.fields) == {"sms", "email.hot"}
    assert notify_db.count(notification_preferences) == 0 and notify_db.count(outbox) == 0


# -- settings ------------------------------------------------------------------------------------
def test_settings_default_then_admin_sets_them(notify_db, run):
    assert run(use_cases.get_settings) == domain.Settings(80, 0)
    assert run(use_cases.set_settings, "admin", {"hot_lead_threshold": 70}, 0) == domain.Settings(70, 1)
    assert run(use_cases.set_settings, "admin", {"hot_lead_threshold": 75}, None) == domain.Settings(75, 2)
    with pytest.raises(domain.Stale):
        run(use_cases.set_settings, "admin", {"hot_lead_threshold": 60}, 1)
    assert run(use_cases.get_settings) == domain.Settings(75, 2)


@pytest.mark.parametrize("role, document, error", [
    ("admin", {"hot_lead_threshold": 150}, domain.Invalid),
    ("admin", {"hot_lead_threshold": 90, "colour": "red"}, domain.Invalid),
    ("sales_manager", {"hot_lead_threshold": 90}, domain.Forbidden),
])
def test_bad_or_forbidden_settings_write_nothing(notify_db, run, role, document, error):
    with pytest.raises(error):
        run(use_cases.set_settings, role, document, None)
    assert notify_db.count(notification_settings) == 0 and notify_db.count(outbox) == 0


# -- the inbox ----------------------------------------------------------------------------------
def test_the_inbox_is_the_users_own_newest_first_in_pages(notify_db, team, run, shapes):
    for n in range(5):
        lead = shapes.lead(lead_id=f"L{n}", owner_id="rep-1")
        run(use_cases.lead_assigned, shapes.lead_assigned(lead), False, T0 + timedelta(minutes=n))
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(lead_id="X", owner_id="rep-2")), False, T0)

    seen, token = [], ""
    while True:
        rows, token = run(use_cases.list_notifications, "rep-1", page_size=2, page_token=token)
        seen.append([row["data"]["lead_id"] for row in rows])
        if not token:
            break
    assert seen == [["L4", "L3"], ["L2", "L1"], ["L0"]]


def test_read_is_idempotent_own_only_and_unread_filters(notify_db, team, run, shapes):
    for n in range(3):
        lead = shapes.lead(lead_id=f"L{n}")
        run(use_cases.lead_assigned, shapes.lead_assigned(lead), False, T0 + timedelta(minutes=n))
    first_id = inbox(notify_db, "rep-1")[0]["id"]

    read = run(use_cases.mark_read, "rep-1", first_id, T0 + timedelta(hours=1))
    again = run(use_cases.mark_read, "rep-1", first_id, T0 + timedelta(hours=2))
    assert utc(read["read_at"]) == utc(again["read_at"]) == T0 + timedelta(hours=1)
    assert read["version"] == again["version"] == 2
    with pytest.raises(domain.NotFound):
        run(use_cases.mark_read, "rep-2", first_id)
    with pytest.raises(domain.NotFound):
        run(use_cases.mark_read, "rep-1", "no-such-id")

    unread, _ = run(use_cases.list_notifications, "rep-1", unread_only=True)
    assert [row["data"]["lead_id"] for row in unread] == ["L2", "L1"]
    assert run(use_cases.mark_all_read, "rep-1") == 2
    assert run(use_cases.mark_all_read, "rep-1") == 0
    assert run(use_cases.list_notifications, "rep-1", unread_only=True) == ([], "")


@pytest.mark.parametrize("kwargs, field", [({"page_token": "not-a-token!"}, "page_token"),
                                           ({"page_size": 0}, "page_size"), ({"page_size": 201}, "page_size")])
def test_bad_page_parameters_are_named(run, kwargs, field):
    with pytest.raises(domain.Invalid) as failed:
        run(use_cases.list_notifications, "rep-1", **kwargs)
    assert list(failed.value.fields) == [field]


# -- email through a real SMTP server ---------------------------------------------------------
class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


POLICY = domain.RetryPolicy(max_attempts=3, first_delay_s=5, max_delay_s=60)


def mailer_for(smtp_server):
    return SmtpMailer(SmtpConfig(host="127.0.0.1", port=smtp_server.port, sender="crm@tandem.example"), POLICY)


def test_pending_email_is_sent_through_smtp(notify_db, team, run, shapes, smtp_server):
    smtp_server.start()
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(referrals=[shapes.referral_ref()])), True)
    mailer = mailer_for(smtp_server)

    assert use_cases.deliver_pending_emails(notify_db.sessions, mailer.send_all, POLICY) == 1
    [message] = smtp_server.messages
    assert message["X-Rcpt-To"] == "rep-1@example.com" and message["From"] == "crm@tandem.example"
    assert message["Subject"] == "Referred lead for you: Navy Labs wants 50 more seats"
    assert "Ada Agent referred Grace Hopper at Navy Labs (upsell: 50 more seats)" in message.get_payload()
    [email] = emails(notify_db)
    assert (email["status"], email["attempts"], email["last_error"]) == ("sent", 1, None)
    assert message["Message-ID"] == f"<{email['id']}@tandem.example>"
    assert use_cases.deliver_pending_emails(notify_db.sessions, mailer.send_all, POLICY) == 0
    assert len(smtp_server.messages) == 1


def test_smtp_down_then_up_the_email_arrives_later_once(notify_db, team, run, shapes, smtp_server):
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead()), True)
    mailer, clock = mailer_for(smtp_server), Clock(T0 + timedelta(days=1))

    assert use_cases.deliver_pending_emails(notify_db.sessions, mailer.send_all, POLICY, clock=clock) == 0
    [email] = emails(notify_db)
    assert (email["status"], email["attempts"]) == ("pending", 1)
    assert "refused" in email["last_error"].lower()
    assert utc(email["next_attempt_at"]) == clock.now + timedelta(seconds=5)

    smtp_server.start()
    assert use_cases.deliver_pending_emails(notify_db.sessions, mailer.send_all, POLICY, clock=clock) == 0  # not due
    clock.now += timedelta(seconds=5)
    assert use_cases.deliver_pending_emails(notify_db.sessions, mailer.send_all, POLICY, clock=clock) == 1
    clock.now += timedelta(minutes=5)
    assert use_cases.deliver_pending_emails(notify_db.sessions, mailer.send_all, POLICY, clock=clock) == 0
    assert len(smtp_server.messages) == 1
    assert emails(notify_db)[0]["status"] == "sent"


def test_retries_are_bounded_and_a_permanent_refusal_is_not_retried(notify_db, directory, run, shapes, smtp_server):
    directory.add("rep-1", "Rex Rep")
    directory.add("rep-9", "Gone Rep", email="gone@example.com")
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead()), True)
    mailer, clock = mailer_for(smtp_server), Clock(T0 + timedelta(days=1))
    for _ in range(POLICY.max_attempts):
        use_cases.deliver_pending_emails(notify_db.sessions, mailer.send_all, POLICY, clock=clock)
        clock.now += timedelta(minutes=10)
    [email] = emails(notify_db)
    assert (email["status"], email["attempts"]) == ("failed", 3)

    smtp_server.refused.add("gone@example.com")
    smtp_server.start()
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead(lead_id="L2", owner_id="rep-9")), True)
    use_cases.deliver_pending_emails(notify_db.sessions, mailer.send_all, POLICY, clock=clock)
    refused = [e for e in emails(notify_db) if e["to_address"] == "gone@example.com"][0]
    assert (refused["status"], refused["attempts"]) == ("failed", 1)
    assert "550" in refused["last_error"]
    assert smtp_server.messages == []


def test_starttls_and_login(notify_db, team, run, shapes, smtp_server, tls_context):
    smtp_server.start(tls_context=tls_context, credentials=("tandem", "s3cret"))
    run(use_cases.lead_assigned, shapes.lead_assigned(shapes.lead()), True)
    config = SmtpConfig(host="127.0.0.1", port=smtp_server.port, starttls=True, username="tandem", password="s3cret")

    assert use_cases.deliver_pending_emails(notify_db.sessions, SmtpMailer(config, POLICY).send_all, POLICY) == 1
    assert [m["X-Rcpt-To"] for m in smtp_server.messages] == ["rep-1@example.com"]
