"""Field-level history of opportunities, accounts and contacts: who changed which
field, when, from what to what.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_history",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64)),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("correlation_id", sa.String(length=128)),
    )
    op.create_index("ix_record_history_record", "record_history", ["record_type", "record_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_record_history_record", table_name="record_history")
    op.drop_table("record_history")
