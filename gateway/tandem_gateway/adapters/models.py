"""The gateway's own database: the user directory, idempotency keys, failed logins, outbox and inbox."""
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored normalised: stripped, lower-case
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("manager_id", String(32), ForeignKey("users.id")),
    Column("active", Boolean, nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_users_manager_id", "manager_id"),
    Index("ix_users_role", "role"),
)

# The first response to a create request, kept under the caller's Idempotency-Key
# for 24 hours (then pruned by created_at).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("caller_id", String(32), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),  # NULL only inside the transaction that claimed the key
    Column("response_body", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("caller_id", "key"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

# Failed logins, one row each, counted per account (email) and per client address
# over a sliding window. Kept in the database so that every worker sees the same counts.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),  # "account" or "address"
    Column("subject", String(320), nullable=False),  # the normalised email or the address
    Column("failed_at", DateTime(timezone=True), nullable=False),
    Index("ix_login_failures_subject", "scope", "subject", "failed_at"),
    Index("ix_login_failures_failed_at", "failed_at"),
)
