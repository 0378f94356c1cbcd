"""Activities: tasks, calls, emails and meetings about a lead, contact, account or
opportunity.

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
        "activities",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("related_type", sa.String(length=16), nullable=False),
        sa.Column("related_id", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date()),
        sa.Column("starts_at", sa.DateTime(timezone=True)),
        sa.Column("duration_minutes", sa.Integer()),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.Text()),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_activities_related", "activities", ["related_type", "related_id"])
    op.create_index("ix_activities_owner_status_due", "activities", ["owner_id", "status", "due_date"])


def downgrade() -> None:
    op.drop_index("ix_activities_owner_status_due", table_name="activities")
    op.drop_index("ix_activities_related", table_name="activities")
    op.drop_table("activities")
