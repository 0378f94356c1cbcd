"""What became of a referral in sales: its opportunity and, once closed, the deal's
amount.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("opportunity_id", sa.String(length=64)))
        batch.add_column(sa.Column("outcome_amount_minor", sa.BigInteger()))
        batch.add_column(sa.Column("outcome_currency", sa.String(length=3)))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        for name in ("outcome_currency", "outcome_amount_minor", "opportunity_id"):
            batch.drop_column(name)
