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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import String, bindparam, func, insert, or_, select, tuple_, union_all, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tandem_plumbing.db import transaction
from tandem_plumbing.replica import ON_CONFLICT_INSERT

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
# A delivery reads and writes in as few statements as it can (each costs the consumer
# about 0.3 ms of Python): one to record the lead's snapshot, one to read everyone it may
# tell, one per table it writes. Its statements are built once, their values passed as
# parameters at execute time: building a statement with its values (coercing each into a
# bound parameter and computing its cache key) cost as much Python as running it.
_INSERT_NOTIFICATIONS = insert(notifications)
_INSERT_EMAILS = insert(outgoing_emails)


def _lead_version_upsert(dialect_insert, tells_owner: bool):
    """Record a lead's snapshot version (`id`, `version`, `owner_told_version`); returns a
    row only when the WHERE let it write: see `_is_current`."""
    stmt = dialect_insert(lead_versions)
    newest = lead_versions.c
    current = newest.version <= stmt.excluded.version
    if tells_owner:
        current &= or_(newest.owner_told_version.is_(None), newest.owner_told_version < stmt.excluded.version)
    return stmt.on_conflict_do_update(
        index_elements=[newest.id],
        set_={"version": stmt.excluded.version,
              "owner_told_version": func.coalesce(stmt.excluded.owner_told_version, newest.owner_told_version)},
        where=current,
    ).returning(newest.id)


_LEAD_VERSION_UPSERTS = {
    (dialect, tells_owner): _lead_version_upsert(dialect_insert, tells_owner)
    for dialect, dialect_insert in ON_CONFLICT_INSERT.items() for tells_owner in (False, True)
}
_CLAIM_HOT_ALERTS = {  # `lead_id`, `score`, `alerted_at`; returns a row only when it wrote
    dialect: dialect_insert(hot_lead_alerts).on_conflict_do_nothing(index_elements=[hot_lead_alerts.c.lead_id])
    .returning(hot_lead_alerts.c.lead_id)
    for dialect, dialect_insert in ON_CONFLICT_INSERT.items()
}


@dataclass(frozen=True)
class _Audience:
    """Everyone a delivery may tell, read at once."""

    recipients: dict[str, domain.Recipient]  # those in the directory copy
    choices: dict[str, Mapping[str, Mapping[str, bool]]]  # stored preferences, by user
    threshold: int | None  # the hot-lead threshold, when asked for

    @property
    def names(self) -> dict[str, str]:
        return {user_id: recipient.name for user_id, recipient in self.recipients.items()}


def _audience(
    session: Session, user_ids: Iterable[str | None], *, manager_of: str | None = None, with_threshold: bool = False
) -> _Audience:
    """One statement: each user's directory entry and stored preferences (a user not yet
    in the copy may have chosen preferences already), and those of `manager_of`'s
    manager, and the hot-lead threshold when asked for."""
    user_ids = list(dict.fromkeys(filter(None, user_ids)))
    parameters = {f"user_{i}": user_id for i, user_id in enumerate(user_ids)}
    if manager_of:
        parameters["manager_of"] = manager_of
    query = _audience_query(len(user_ids), bool(manager_of), with_threshold)
    rows = session.execute(query, parameters).mappings().all()
    threshold = None
    if with_threshold:
        stored = rows[0]["threshold"] if rows else None
        threshold = domain.Settings().hot_lead_threshold if stored is None else stored
    return _Audience(
        recipients={row["user_id"]: domain.Recipient(row["user_id"], row["email"], row["name"], row["active"],
                                                     row["manager_id"]) for row in rows if row["known"] is not None},
        choices={row["user_id"]: row["choices"] for row in rows if row["choices"] is not None},
        threshold=threshold,
    )


@cache
def _audience_query(user_count: int, with_manager: bool, with_threshold: bool):
    """`_audience`'s statement for its shape (a delivery names one or two users), built
    once per shape; the users are the parameters `user_0`, `user_1`..., `manager_of`'s
    is `manager_of`."""
    wanted = [select(bindparam(f"user_{i}", type_=String).label("id")) for i in range(user_count)]
    if with_manager:
        wanted.append(select(recipients.c.manager_id).where(recipients.c.id == bindparam("manager_of"),
                                                            recipients.c.manager_id.is_not(None)))
    people = union_all(*wanted).subquery("people")
    columns = [people.c.id.label("user_id"), recipients.c.id.label("known"), recipients.c.email, recipients.c.name,
               recipients.c.active, recipients.c.manager_id, notification_preferences.c.choices]
    if with_threshold:
        setting = select(notification_settings.c.hot_lead_threshold).where(notification_settings.c.id == SETTINGS_ROW)
        columns.append(setting.scalar_subquery().label("threshold"))
    return select(*columns).select_from(
        people.outerjoin(recipients, recipients.c.id == people.c.id)
        .outerjoin(notification_preferences, notification_preferences.c.user_id == people.c.id)
    )


def _deliver(
    session: Session, messages: Iterable[tuple[str, domain.Message]], audience: _Audience, email_configured: bool,
    now: datetime,
) -> None:
    """Write the notifications and their emails, as each user's preferences ask: one
    statement per table, however many messages."""
    in_app, emails = [], []
    for user_id, message in messages:
        delivery = domain.plan_delivery(
            message.kind, audience.recipients.get(user_id), audience.choices.get(user_id, {}), email_configured
        )
        if delivery.in_app:
            in_app.append(dict(id=uuid.uuid4().hex, user_id=user_id, kind=message.kind, title=message.title,
                               body=message.body, data=message.data, created_at=now, read_at=None, version=1))
        if delivery.email_to:
            emails.append(dict(id=uuid.uuid4().hex, notification_kind=message.kind, to_address=delivery.email_to,
                               subject=message.title, body=message.body, status=domain.PENDING, attempts=0,
                               last_error=None, created_at=now, next_attempt_at=now, sent_at=None))
    if in_app:
        session.execute(_INSERT_NOTIFICATIONS, in_app)
    if emails:
        session.execute(_INSERT_EMAILS, emails)


def _is_current(session: Session, lead: Mapping[str, Any], tells_owner: bool) -> bool:
    """Record the lead's snapshot version; False when the event is not to be acted on: a
    newer snapshot was acted on already or, for an event that tells the owner, this
    version's owner was told already (the old producer's `lead_assigned` and the new
    producer's `lead_created` with `assignment` of one new lead carry the same version).

    One statement: the upsert's WHERE decides, and it returns a row only when it wrote.
    Concurrent deliveries about one lead wait on its row, then see the winner's write.
    """
    version = lead["version"]
    upsert = _LEAD_VERSION_UPSERTS[session.get_bind().dialect.name, tells_owner]
    parameters = {"id": lead["id"], "version": version, "owner_told_version": version if tells_owner else None}
    return session.execute(upsert, parameters).first() is not None


def _claim_hot_alert(session: Session, lead: Mapping[str, Any], now: datetime) -> bool:
    """Remember that the lead alerted; False when it already had."""
    claim = _CLAIM_HOT_ALERTS[session.get_bind().dialect.name]
    parameters = {"lead_id": lead["id"], "score": lead["score"], "alerted_at": now}
    return session.execute(claim, parameters).first() is not None


def _hot_lead_alerts(lead: Mapping[str, Any], audience: _Audience) -> list[tuple[str, domain.Message]]:
    """The owner, and the owner's manager."""
    owner_id, threshold = lead["owner_id"], audience.threshold
    alerts = [(owner_id, domain.hot_lead_for_owner(lead, threshold))]
    owner = audience.recipients.get(owner_id)
    if owner is not None and owner.manager_id and owner.manager_id != owner_id:
        alerts.append((owner.manager_id, domain.hot_lead_for_manager(lead, threshold, owner.name)))
    return alerts


def _lead_changed(
    session: Session, lead: Mapping[str, Any], assigns: bool, email_configured: bool, now: datetime
) -> None:
    """An event that `assigns` tells the lead's owner (naming the agent who referred it,
    when a referral made it); any owned lead scoring at or above the threshold alerts,
    once per lead."""
    owner_id = lead.get("owner_id")
    tells_owner = assigns and bool(owner_id)
    if not _is_current(session, lead, tells_owner) or not owner_id:
        return
    referral = domain.latest_referral(lead) if tells_owner else None
    agent_id = referral.get("agent_id") if referral else None
    audience = _audience(session, [owner_id, agent_id], manager_of=owner_id, with_threshold=True)
    messages = []
    if tells_owner:
        messages.append((owner_id, domain.lead_assigned_message(lead, audience.names)))
    if domain.is_hot(lead, audience.threshold) and _claim_hot_alert(session, lead, now):
        messages += _hot_lead_alerts(lead, audience)
    _deliver(session, messages, audience, email_configured, now)


def lead_created(
    session: Session, data: Mapping[str, Any], email_configured: bool, now: datetime | None = None
) -> None:
    """leads `lead_created`. With `assignment` (a lead born with an owner) the owner is
    told, as `lead_assigned` does; without it (the old producer, whose `lead_assigned`
    follows) only a hot owned lead alerts."""
    _lead_changed(session, data["lead"], "assignment" in data, email_configured, now or utcnow())


def lead_assigned(
    session: Session, data: Mapping[str, Any], email_configured: bool, now: datetime | None = None
) -> None:
    """leads `lead_assigned`: the new owner is told (by whom and for what, when the lead
    came from a referral); a hot lead alerts."""
    _lead_changed(session, data["lead"], True, email_configured, now or utcnow())


def referral_status_changed(
    session: Session, data: Mapping[str, Any], email_configured: bool, now: datetime | None = None
) -> None:
    """service_desk `referral_status_changed`: the agent who referred is told what became of it."""
    referral = data["referral"]
    if not domain.is_news_to_agent(referral):
        return
    audience = _audience(session, [referral["agent_id"], referral.get("assignee_id")])
    message = domain.referral_update_message(referral, audience.names.get(referral.get("assignee_id") or ""))
    _deliver(session, [(referral["agent_id"], message)], audience, email_configured, now or utcnow())


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

