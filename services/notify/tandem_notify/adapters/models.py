"""The notify service's own database."""
from sqlalchemy import JSON, Column, DateTime, Index, Integer, MetaData, String, Table, Text
from tandem_plumbing.directory import directory_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
recipients = directory_table(metadata, "recipients")  # who can be notified, and at which email address

notifications = Table(
    "notifications",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    # The inbox: one user's, newest first (the id breaks ties).
    Index("ix_notifications_inbox", "user_id", "created_at", "id"),
)

# An email to send, written in the same transaction as the notification it tells;
# the sender (a timer of the events process) sends pending ones with bounded retries.
outgoing_emails = Table(
    "outgoing_emails",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("notification_kind", String(32), nullable=False),
    Column("to_address", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_outgoing_emails_due", "status", "next_attempt_at"),
)

# A user's own choices per channel and kind (defaults are not stored: see domain.py).
notification_preferences = Table(
    "notification_preferences",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("choices", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The admin's settings: one row once they were first changed (defaults until then).
notification_settings = Table(
    "notification_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("hot_lead_threshold", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Leads that raised their hot-lead alert: it goes out once per lead.
hot_lead_alerts = Table(
    "hot_lead_alerts",
    metadata,
    Column("lead_id", String(64), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("alerted_at", DateTime(timezone=True), nullable=False),
)

# The newest lead snapshot version seen, so that a late, older lead_assigned does not
# notify an owner the lead has since left; and the version whose owner was told, so
# that both forms of one assignment (the old producer's lead_assigned, the new one's
# lead_created with `assignment`, same version) tell the owner once.
lead_versions = Table(
    "lead_versions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("owner_told_version", Integer),
)
