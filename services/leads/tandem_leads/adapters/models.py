"""The leads service's own database."""
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from tandem_plumbing.directory import directory_table
from tandem_plumbing.documents import documents_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
reps = directory_table(metadata, "reps")  # the reps and managers leads can be assigned to

leads = Table(
    "leads",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(320)),  # a referral's contact may have none
    Column("company", String(200), nullable=False),
    Column("title", String(200)),
    Column("phone", String(50)),
    Column("industry", String(100)),
    Column("country", String(2)),
    Column("employees", Integer),
    Column("source", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_reason", String(500)),
    Column("score", Integer, nullable=False),
    Column("score_factors", Text, nullable=False),  # JSON list of {factor, points, reason}
    Column("owner_id", String(64)),
    Column("description", Text),
    # Deduplication keys (domain.dedupe): the normalised email, and name|company.
    Column("email_key", String(320)),
    Column("name_key", String(400)),
    Column("created_by", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    # Where conversion took it in sales (all null until then).
    Column("converted_account_id", String(64)),
    Column("converted_contact_id", String(64)),
    Column("converted_opportunity_id", String(64)),
    Column("converted_at", DateTime(timezone=True)),
    Column("converted_by", String(64)),
    Column("conversion_created_account", Boolean),  # replayed conversions answer as the first one did
    Index("ix_leads_email_key", "email_key"),
    Index("ix_leads_name_key", "name_key"),
    Index("ix_leads_owner_status", "owner_id", "status"),
    Index("ix_leads_created", "created_at", "id"),
    Index("ix_leads_converted_account", "converted_account_id"),
)

lead_referrals = Table(
    "lead_referrals",
    metadata,
    # The primary key makes a referral attach once, however often its event arrives.
    Column("referral_id", String(64), primary_key=True),
    Column("lead_id", String(64), ForeignKey("leads.id"), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("agent_id", String(64), nullable=False),
    Column("details", Text, nullable=False),  # JSON: case_number, kind, product_interest, notes, ...
    Column("attached_at", DateTime(timezone=True), nullable=False),
    Index("ix_lead_referrals_lead", "lead_id", "attached_at"),
)

lead_history = Table(
    "lead_history",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("lead_id", String(64), ForeignKey("leads.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", String(64)),  # null: the service itself (rules, rescoring)
    Column("action", String(32), nullable=False),
    Column("changes", Text, nullable=False),  # JSON: {field: {"from", "to"}}
    Column("note", Text),
    Column("correlation_id", String(128)),
    Index("ix_lead_history_lead", "lead_id", "seq"),
)

# Documents an admin configures: "scoring" (weights) and "assignment" (rules).
lead_settings = documents_table(metadata, "lead_settings")

# The last user each round-robin target gave a lead to ("rule:<name>" or "default").
round_robin = Table(
    "round_robin",
    metadata,
    Column("target", String(250), primary_key=True),
    Column("last_user_id", String(64), nullable=False),
)
