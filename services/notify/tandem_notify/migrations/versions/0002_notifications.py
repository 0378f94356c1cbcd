"""Notifications: the inbox, outgoing emails, preferences, settings, hot-lead alerts.

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


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_notifications_inbox", "notifications", ["user_id", "created_at", "id"])
    op.create_table(
        "outgoing_emails",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("notification_kind", sa.String(length=32), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outgoing_emails_due", "outgoing_emails", ["status", "next_attempt_at"])
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.String(length=64), primary_key=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "notification_settings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hot_lead_threshold", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "hot_lead_alerts",
        sa.Column("lead_id", sa.String(length=64), primary_key=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "lead_versions",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lead_versions")
    op.drop_table("hot_lead_alerts")
    op.drop_table("notification_settings")
    op.drop_table("notification_preferences")
    op.drop_index("ix_outgoing_emails_due", table_name="outgoing_emails")
    op.drop_table("outgoing_emails")
    op.drop_index("ix_notifications_inbox", table_name="notifications")
    op.drop_table("notifications")
