"""What the notify service does, over a SQLAlchemy session (one transaction each).

- From events (run through `Database.apply_once`, so once per event): `lead_created`,
  `lead_assigned`, `referral_status_changed` write notifications, and the emails that
  tell them, in the event's transaction.
- For the gRPC API, as the calling user: the inbox, preferences, settings.
- For the email timer: `deliver_pending_emails`.

Notify publishes no events: a notification is the end of its chain and no service
consumes one (an event without a consumer would only sit in the outbox as unroutable).
"""
from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.db import transaction
from tandem_plumbing.replica import upsert_if_newer

from . import domain
from .adapters.models import (
    hot_lead_alerts,
    lead_versions,
    notification_preferences,
    notification_settings,
    notifications,
    outgoing_emails,
    recipients,
)

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
SETTINGS_ROW = 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# -- the directory copy, preferences, settings ---------------------------------------------------
def user_of(caller) -> str:
    """The calling person, whose inbox and preferences every API call is about (a
    `tandem_plumbing.failures.Caller`); a system caller is refused."""
    domain.check_is_user(caller.role)
    return caller.user_id


def _recipient(session: Session, user_id: str) -> domain.Recipient | None:
    row = session.execute(select(recipients).where(recipients.c.id == user_id)).mappings().first()
    if row is None:
        return None
    return domain.Recipient(row["id"], row["email"], row["name"], row["active"], row["manager_id"])


def _names(session: Session, user_ids: Iterable[str | None]) -> dict[str, str]:
    wanted = {user_id for user_id in user_ids if user_id}
    if not wanted:
        return {}
    return dict(session.execute(select(recipients.c.id, recipients.c.name).where(recipients.c.id.in_(wanted))).all())


def _stored_preferences(session: Session, user_id: str, *, lock: bool = False) -> RowMapping | None:
    query = select(notification_preferences).where(notification_preferences.c.user_id == user_id)
    return session.execute(query.with_for_update() if lock else query).mappings().first()


def _stored_settings(session: Session, *, lock: bool = False) -> RowMapping | None:
    query = select(notification_settings).where(notification_settings.c.id == SETTINGS_ROW)
    return session.execute(query.with_for_update() if lock else query).mappings().first()


def get_preferences(session: Session, user_id: str) -> domain.Preferences:
    row = _stored_preferences(session, user_id)
    if row is None:
        return domain.Preferences(domain.effective_preferences({}))
    return domain.Preferences(domain.effective_preferences(row["choices"]), row["version"])


def set_preferences(
    session: Session, user_id: str, document: Any, expected_version: int | None, now: datetime | None = None
) -> domain.Preferences:
    """Replace the user's choices; what the document leaves out takes its default."""
    choices = domain.parse_preferences(document)
    row = _stored_preferences(session, user_id, lock=True)
    domain.check_version(row["version"] if row else 0, expected_version)
    values = {"choices": choices, "updated_at": now or utcnow()}
    if row is None:
        _insert_first(session, insert(notification_preferences).values(user_id=user_id, version=1, **values))
        return domain.Preferences(domain.effective_preferences(choices), 1)
    session.execute(
        update(notification_preferences)
        .where(notification_preferences.c.user_id == user_id)
        .values(version=row["version"] + 1, **values)
    )
    return domain.Preferences(domain.effective_preferences(choices), row["version"] + 1)


def get_settings(session: Session) -> domain.Settings:
    row = _stored_settings(session)
    return domain.Settings() if row is None else domain.Settings(row["hot_lead_threshold"], row["version"])


def set_settings(
    session: Session, role: str, document: Any, expected_version: int | None, now: datetime | None = None
) -> domain.Settings:
    domain.check_may_change_settings(role)
    threshold = domain.parse_settings(document)
    row = _stored_settings(session, lock=True)
    domain.check_version(row["version"] if row else 0, expected_version)
    values = {"hot_lead_threshold": threshold, "updated_at": now or utcnow()}
    if row is None:
        _insert_first(session, insert(notification_settings).values(id=SETTINGS_ROW, version=1, **values))
        return domain.Settings(threshold, 1)
    session.execute(
        update(notification_settings).where(notification_settings.c.id == SETTINGS_ROW)
        .values(version=row["version"] + 1, **values)
    )
    return domain.Settings(threshold, row["version"] + 1)


def _insert_first(session: Session, statement) -> None:
    """The first write of a record that had none: a concurrent first write won the race."""
    try:
        with session.begin_nested():
            session.execute(statement)
    except IntegrityError:
        raise domain.Stale(1) from None


# -- notifying ----------------------------------------------------------------------------------
def _notify(session: Session, user_id: str, message: domain.Message, email_configured: bool, now: datetime) -> None:
    """Write the notification and its email, as the user's preferences ask."""
    stored = _stored_preferences(session, user_id)
    delivery = domain.plan_delivery(
        message.kind, _recipient(session, user_id), stored["choices"] if stored else {}, email_configured
    )
    if delivery.in_app:
        session.execute(
            insert(notifications).values(
                id=uuid.uuid4().hex, user_id=user_id, kind=message.kind, title=message.title, body=message.body,
                data=message.data, created_at=now, read_at=None, version=1,
            )
        )
    if delivery.email_to:
        session.execute(
            insert(outgoing_emails).values(
                id=uuid.uuid4().hex, notification_kind=message.kind, to_address=delivery.email_to,
                subject=message.title, body=message.body, status=domain.PENDING, attempts=0, last_error=None,
                created_at=now, next_attempt_at=now, sent_at=None,
            )
        )


def _is_stale(session: Session, lead: Mapping[str, Any]) -> bool:
    """True when a newer snapshot of the lead was already acted on."""
    if upsert_if_newer(session, lead_versions, {"id": lead["id"], "version": lead["version"]}):
        return False
    newest = session.execute(select(lead_versions.c.version).where(lead_versions.c.id == lead["id"])).scalar_one()
    return newest > lead["version"]


def _claim_hot_alert(session: Session, lead: Mapping[str, Any], now: datetime) -> bool:
    """Remember that the lead alerted; False when it already had. A concurrent claim
    (lead_created and lead_assigned handled at once) waits on the key, then loses here
    without failing the rest of its transaction."""
    try:
        with session.begin_nested():
            session.execute(insert(hot_lead_alerts).values(lead_id=lead["id"], score=lead["score"], alerted_at=now))
        return True
    except IntegrityError:
        return False


def _alert_if_hot(session: Session, lead: Mapping[str, Any], email_configured: bool, now: datetime) -> None:
    """Once per lead, when an owned lead scores at or above the threshold: its owner
    and the owner's manager."""
    owner_id = lead.get("owner_id")
    threshold = get_settings(session).hot_lead_threshold
    if not owner_id or not domain.is_hot(lead, threshold) or not _claim_hot_alert(session, lead, now):
        return
    _notify(session, owner_id, domain.hot_lead_for_owner(lead, threshold), email_configured, now)
    owner = _recipient(session, owner_id)
    if owner is not None and owner.manager_id and owner.manager_id != owner_id:
        message = domain.hot_lead_for_manager(lead, threshold, owner.name)
        _notify(session, owner.manager_id, message, email_configured, now)


def lead_created(
    session: Session, data: Mapping[str, Any], email_configured: bool, now: datetime | None = None
) -> None:
    """leads `lead_created`: a hot lead that already has an owner alerts."""
    lead = data["lead"]
    if not _is_stale(session, lead):
        _alert_if_hot(session, lead, email_configured, now or utcnow())


def lead_assigned(
    session: Session, data: Mapping[str, Any], email_configured: bool, now: datetime | None = None
) -> None:
    """leads `lead_assigned`: the new owner is told (by whom and for what, when the lead
    came from a referral); a hot lead alerts."""
    lead, now = data["lead"], now or utcnow()
    if _is_stale(session, lead):
        return
    if lead.get("owner_id"):
        agents = _names(session, (referral.get("agent_id") for referral in lead.get("referrals") or []))
        _notify(session, lead["owner_id"], domain.lead_assigned_message(lead, agents), email_configured, now)
    _alert_if_hot(session, lead, email_configured, now)


def referral_status_changed(
    session: Session, data: Mapping[str, Any], email_configured: bool, now: datetime | None = None
) -> None:
    """service_desk `referral_status_changed`: the agent who referred is told what became of it."""
    referral = data["referral"]
    if not referral.get("agent_id"):
        return
    assignee = _names(session, [referral.get("assignee_id")]).get(referral.get("assignee_id") or "")
    message = domain.referral_update_message(referral, assignee)
    if message is not None:
        _notify(session, referral["agent_id"], message, email_configured, now or utcnow())


# -- the inbox ----------------------------------------------------------------------------------
def _encode_token(row: Mapping[str, Any]) -> str:
    raw = f"{row['created_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        created_at, notification_id = raw.split("|", 1)
        return datetime.fromisoformat(created_at), notification_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise domain.Invalid({"page_token": "is not a token this API returned"}) from None


def list_notifications(
    session: Session, user_id: str, *, unread_only: bool = False, page_size: int = DEFAULT_PAGE_SIZE,
    page_token: str = "",
) -> tuple[list[RowMapping], str]:
    """The user's notifications, newest first, and the token of the next page ("" at the end)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise domain.Invalid({"page_size": f"must be from 1 to {MAX_PAGE_SIZE}"})
    query = select(notifications).where(notifications.c.user_id == user_id)
    if unread_only:
        query = query.where(notifications.c.read_at.is_(None))
    if page_token:
        query = query.where(tuple_(notifications.c.created_at, notifications.c.id) < _decode_token(page_token))
    query = query.order_by(notifications.c.created_at.desc(), notifications.c.id.desc()).limit(page_size + 1)
    rows = list(session.execute(query).mappings())
    more = len(rows) > page_size
    rows = rows[:page_size]
    return rows, _encode_token(rows[-1]) if more else ""


def mark_read(session: Session, user_id: str, notification_id: str, now: datetime | None = None) -> RowMapping:
    """Idempotent: a read notification keeps its first read_at. Another user's is not found."""
    mine = (notifications.c.id == notification_id) & (notifications.c.user_id == user_id)
    row = session.execute(select(notifications).where(mine).with_for_update()).mappings().first()
    if row is None:
        raise domain.NotFound("no such notification")
    if row["read_at"] is not None:
        return row
    session.execute(update(notifications).where(mine).values(read_at=now or utcnow(), version=row["version"] + 1))
    return session.execute(select(notifications).where(mine)).mappings().one()


def mark_all_read(session: Session, user_id: str, now: datetime | None = None) -> int:
    result = session.execute(
        update(notifications)
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
        .values(read_at=now or utcnow(), version=notifications.c.version + 1)
    )
    return result.rowcount


# -- sending email ----------------------------------------------------------------------------
Send = Callable[[list[domain.OutgoingEmail]], Mapping[str, "domain.SendFailure | None"]]


def claim_due_emails(
    session: Session, policy: domain.RetryPolicy, now: datetime, limit: int
) -> list[domain.OutgoingEmail]:
    """Take the pending emails that are due and count the attempt now, pushing the next
    one out by the back-off: another sender skips them, and a sender that dies while
    sending leaves them to be tried again later."""
    due = (
        select(outgoing_emails)
        .where(outgoing_emails.c.status == domain.PENDING, outgoing_emails.c.next_attempt_at <= now)
        .order_by(outgoing_emails.c.next_attempt_at, outgoing_emails.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    emails = []
    for row in session.execute(due).mappings().all():
        attempts = row["attempts"] + 1
        session.execute(
            update(outgoing_emails).where(outgoing_emails.c.id == row["id"]).values(
                attempts=attempts, next_attempt_at=now + timedelta(seconds=policy.delay_after(attempts))
            )
        )
        emails.append(domain.OutgoingEmail(row["id"], row["to_address"], row["subject"], row["body"]))
    return emails


def record_outcomes(
    session: Session, outcomes: Mapping[str, domain.SendFailure | None], policy: domain.RetryPolicy, now: datetime
) -> None:
    for email_id, failure in outcomes.items():
        where = outgoing_emails.c.id == email_id
        if failure is None:
            session.execute(update(outgoing_emails).where(where).values(status=domain.SENT, sent_at=now))
            continue
        attempts = session.execute(select(outgoing_emails.c.attempts).where(where)).scalar_one()
        session.execute(
            update(outgoing_emails).where(where).values(
                status=policy.status_after_failure(attempts, failure.permanent), last_error=failure.error[:2000]
            )
        )


def deliver_pending_emails(
    sessions: sessionmaker[Session], send: Send, policy: domain.RetryPolicy, *,
    clock: Callable[[], datetime] = utcnow, batch: int = 50,
) -> int:
    """Send what is due, a batch at a time; returns how many were sent.

    Sending happens outside any transaction, so a slow or absent SMTP server holds no
    lock and delays no event handling. A crash after sending and before recording sends
    that email again after its back-off: at least once, never lost.
    """
    sent = 0
    while True:
        with transaction(sessions) as session:
            emails = claim_due_emails(session, policy, clock(), batch)
        if not emails:
            return sent
        outcomes = send(emails)
        with transaction(sessions) as session:
            record_outcomes(session, outcomes, policy, clock())
        sent += sum(1 for failure in outcomes.values() if failure is None)
        if len(emails) < batch:
            return sent

