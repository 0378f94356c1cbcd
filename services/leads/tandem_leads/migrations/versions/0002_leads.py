"""Leads, their referrals and history, the scoring and assignment documents, and the
round-robin pointers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320)),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200)),
        sa.Column("phone", sa.String(length=50)),
        sa.Column("industry", sa.String(length=100)),
        sa.Column("country", sa.String(length=2)),
        sa.Column("employees", sa.Integer()),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500)),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("score_factors", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=64)),
        sa.Column("description", sa.Text()),
        sa.Column("email_key", sa.String(length=320)),
        sa.Column("name_key", sa.String(length=400)),
        sa.Column("created_by", sa.String(length=64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_leads_email_key", "leads", ["email_key"])
    op.create_index("ix_leads_name_key", "leads", ["name_key"])
    op.create_index("ix_leads_owner_status", "leads", ["owner_id", "status"])
    op.create_index("ix_leads_created", "leads", ["created_at", "id"])

    op.create_table(
        "lead_referrals",
        sa.Column("referral_id", sa.String(length=64), primary_key=True),
        sa.Column("lead_id", sa.String(length=64), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_lead_referrals_lead", "lead_referrals", ["lead_id", "attached_at"])

    op.create_table(
        "lead_history",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("lead_id", sa.String(length=64), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64)),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("correlation_id", sa.String(length=128)),
    )
    op.create_index("ix_lead_history_lead", "lead_history", ["lead_id", "seq"])

    op.create_table(
        "lead_settings",
        sa.Column("name", sa.String(length=32), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64)),
    )
    op.create_table(
        "round_robin",
        sa.Column("target", sa.String(length=250), primary_key=True),
        sa.Column("last_user_id", sa.String(length=64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("round_robin")
    op.drop_table("lead_settings")
    op.drop_table("lead_history")
    op.drop_table("lead_referrals")
    op.drop_table("leads")
