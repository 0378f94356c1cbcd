"""Reports and dashboards.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("reports", "dashboards"):
        op.create_table(
            table,
            sa.Column("id", sa.String(length=64), primary_key=True),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("owner_id", sa.String(length=64), nullable=False),
            sa.Column("definition", sa.Text(), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index(f"ix_{table}_owner", table, ["owner_id", "created_at"])


def downgrade() -> None:
    for table in ("dashboards", "reports"):
        op.drop_index(f"ix_{table}_owner", table_name=table)
        op.drop_table(table)
