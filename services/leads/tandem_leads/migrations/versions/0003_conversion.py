"""Where a converted lead went in sales: the account, contact and opportunity ids,
when and by whom.

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

_COLUMNS = ("converted_account_id", "converted_contact_id", "converted_opportunity_id", "converted_at",
            "converted_by", "conversion_created_account")


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("converted_account_id", sa.String(length=64)))
        batch.add_column(sa.Column("converted_contact_id", sa.String(length=64)))
        batch.add_column(sa.Column("converted_opportunity_id", sa.String(length=64)))
        batch.add_column(sa.Column("converted_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("converted_by", sa.String(length=64)))
        batch.add_column(sa.Column("conversion_created_account", sa.Boolean()))
    op.create_index("ix_leads_converted_account", "leads", ["converted_account_id"])


def downgrade() -> None:
    op.drop_index("ix_leads_converted_account", table_name="leads")
    with op.batch_alter_table("leads") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
