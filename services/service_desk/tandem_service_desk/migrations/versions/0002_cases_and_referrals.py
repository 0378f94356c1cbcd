"""Cases, their comments and history, referrals, the case-number counter and the
round-robin position.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # an ordered rowid on SQLite


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("number", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=64)),
        sa.Column("contact_name", sa.String(length=200)),
        sa.Column("contact_email", sa.String(length=320)),
        sa.Column("contact_phone", sa.String(length=50)),
        sa.Column("contact_company", sa.String(length=200)),
        sa.Column("owner_id", sa.String(length=64)),
        _when("first_response_due"),
        _when("resolution_due"),
        _when("first_responded_at", nullable=True),
        _when("resolved_at", nullable=True),
        sa.Column("escalated_for", sa.String(length=16)),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_index("ix_cases_owner_id", "cases", ["owner_id"])
    op.create_index("ix_cases_account_id", "cases", ["account_id"])
    op.create_table(
        "case_comments",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(length=32), nullable=False, unique=True),
        sa.Column("case_id", sa.String(length=32), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        _when("created_at"),
    )
    op.create_index("ix_case_comments_case_id_seq", "case_comments", ["case_id", "seq"])
    op.create_table(
        "case_history",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(length=32), sa.ForeignKey("cases.id"), nullable=False),
        _when("at"),
        sa.Column("actor_id", sa.String(length=64)),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("from_value", sa.Text(), nullable=False),
        sa.Column("to_value", sa.Text(), nullable=False),
    )
    op.create_index("ix_case_history_case_id_seq", "case_history", ["case_id", "seq"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("case_id", sa.String(length=32), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lead_id", sa.String(length=64)),
        sa.Column("lead_version", sa.Integer()),
        sa.Column("assignee_id", sa.String(length=64)),
        sa.Column("product_interest", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("estimated_value_minor", sa.BigInteger()),
        sa.Column("estimated_value_currency", sa.String(length=3)),
        sa.Column("reason", sa.Text()),
        _when("created_at"),
        _when("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_referrals_case_id", "referrals", ["case_id"])
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    rotation = op.create_table(
        "case_rotation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("last_agent_id", sa.String(length=64)),
    )
    # The rows the counter and the rotation lock and move.
    op.bulk_insert(counters, [{"name": "case_number", "value": 0}])
    op.bulk_insert(rotation, [{"id": 1, "last_agent_id": None}])


def downgrade() -> None:
    for name in ("case_rotation", "counters", "referrals", "case_history", "case_comments", "cases"):
        op.drop_table(name)
