"""The service_desk service's own database."""
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text)
from tandem_plumbing.directory import directory_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
agents = directory_table(metadata, "agents")  # the service agents cases are assigned to


def _when(name: str, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


cases = Table(
    "cases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("number", BigInteger, nullable=False, unique=True),  # shown zero-padded
    Column("subject", String(300), nullable=False),
    Column("description", Text),
    Column("status", String(16), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("account_id", String(64)),
    # The customer contact; all null when the case has none.
    Column("contact_name", String(200)),
    Column("contact_email", String(320)),
    Column("contact_phone", String(50)),
    Column("contact_company", String(200)),
    Column("owner_id", String(64)),
    _when("first_response_due"),
    _when("resolution_due"),
    _when("first_responded_at", nullable=True),
    _when("resolved_at", nullable=True),
    Column("escalated_for", String(16)),
    Column("created_by", String(64), nullable=False),
    _when("created_at"),
    _when("updated_at"),
    Column("version", Integer, nullable=False),
    Index("ix_cases_status", "status"),
    Index("ix_cases_owner_id", "owner_id"),
    Index("ix_cases_account_id", "account_id"),
)

# `seq` orders comments and history as they were written (times may tie).
_SEQ = BigInteger().with_variant(Integer, "sqlite")

case_comments = Table(
    "case_comments",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("author_id", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("internal", Boolean, nullable=False),
    _when("created_at"),
    Index("ix_case_comments_case_id_seq", "case_id", "seq"),
)

case_history = Table(
    "case_history",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    _when("at"),
    Column("actor_id", String(64)),  # null: the service itself (SLA escalation)
    Column("field", String(40), nullable=False),
    Column("from_value", Text, nullable=False),  # JSON
    Column("to_value", Text, nullable=False),  # JSON
    Index("ix_case_history_case_id_seq", "case_id", "seq"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("agent_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("lead_id", String(64)),
    Column("lead_version", Integer),  # of the newest lead snapshot applied
    Column("assignee_id", String(64)),
    Column("product_interest", String(200), nullable=False),
    Column("notes", Text),
    Column("estimated_value_minor", BigInteger),  # cents
    Column("estimated_value_currency", String(3)),
    Column("reason", Text),
    _when("created_at"),
    _when("updated_at"),
    Column("version", Integer, nullable=False),
    Column("opportunity_id", String(64)),  # the opportunity its lead became
    Column("outcome_amount_minor", BigInteger),  # cents: the deal's amount once won or lost
    Column("outcome_currency", String(3)),
    Index("ix_referrals_case_id", "case_id"),
)

# One row per counter, locked by the transaction that takes the next value.
counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
CASE_NUMBER = "case_number"

# Where the round-robin stands: the agent who got the last case.
case_rotation = Table(
    "case_rotation",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("last_agent_id", String(64)),
)
