"""A covering index for the rollup (close date, category, owner, currency, with the amount),
replacing the plain close-date index it starts with.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_opportunities_rollup", "opportunities",
                    ["close_date", "forecast_category", "owner_id", "currency"], postgresql_include=["amount_minor"])
    op.drop_index("ix_opportunities_close", table_name="opportunities")


def downgrade() -> None:
    op.create_index("ix_opportunities_close", "opportunities", ["close_date"])
    op.drop_index("ix_opportunities_rollup", table_name="opportunities")
