"""Sales records: accounts, contacts, products, opportunities with line items and
stage history, the Sales Path document, and lead conversions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _times():
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=253)),
        sa.Column("industry", sa.String(length=100)),
        sa.Column("employees", sa.Integer()),
        sa.Column("country", sa.String(length=2)),
        sa.Column("website", sa.String(length=500)),
        sa.Column("phone", sa.String(length=50)),
        sa.Column("description", sa.Text()),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.String(length=64), sa.ForeignKey("accounts.id")),
        *_times(),
    )
    op.create_index("ix_accounts_name", "accounts", ["name", "id"])
    op.create_index("ix_accounts_domain", "accounts", ["domain"])
    op.create_index("ix_accounts_owner", "accounts", ["owner_id"])
    op.create_index("ix_accounts_parent", "accounts", ["parent_id"])

    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("account_id", sa.String(length=64), sa.ForeignKey("accounts.id")),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320)),
        sa.Column("phone", sa.String(length=50)),
        sa.Column("title", sa.String(length=200)),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64)),
        *_times(),
    )
    op.create_index("ix_contacts_account", "contacts", ["account_id"])
    op.create_index("ix_contacts_email", "contacts", ["email"])
    op.create_index("ix_contacts_name", "contacts", ["last_name", "first_name", "id"])

    op.create_table(
        "products",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), unique=True),
        sa.Column("description", sa.Text()),
        sa.Column("family", sa.String(length=100)),
        sa.Column("list_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_times(),
    )
    op.create_index("ix_products_name", "products", ["name", "id"])

    op.create_table(
        "opportunities",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=64), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger()),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("close_date", sa.Date()),
        sa.Column("stage", sa.String(length=100), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("forecast_category", sa.String(length=16), nullable=False),
        sa.Column("forecast_category_overridden", sa.Boolean(), nullable=False),
        sa.Column("next_step", sa.String(length=500)),
        sa.Column("description", sa.Text()),
        sa.Column("lead_id", sa.String(length=64)),
        sa.Column("primary_contact_id", sa.String(length=64), sa.ForeignKey("contacts.id")),
        sa.Column("loss_reason", sa.String(length=500)),
        sa.Column("referrals", sa.Text(), nullable=False),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("is_won", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.String(length=64)),
        *_times(),
    )
    op.create_index("ix_opportunities_account", "opportunities", ["account_id"])
    op.create_index("ix_opportunities_owner", "opportunities", ["owner_id", "is_closed"])
    op.create_index("ix_opportunities_close", "opportunities", ["close_date", "name", "id"])
    op.create_index("ix_opportunities_stage", "opportunities", ["stage"])
    op.create_index("ix_opportunities_lead", "opportunities", ["lead_id"])

    op.create_table(
        "line_items",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("opportunity_id", sa.String(length=64), sa.ForeignKey("opportunities.id"), nullable=False),
        sa.Column("product_id", sa.String(length=64), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.String(length=32), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.String(length=32), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_index("ix_line_items_opportunity", "line_items", ["opportunity_id", "position"])

    op.create_table(
        "stage_history",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("opportunity_id", sa.String(length=64), sa.ForeignKey("opportunities.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64)),
        sa.Column("from_stage", sa.String(length=100)),
        sa.Column("to_stage", sa.String(length=100), nullable=False),
        sa.Column("amount_minor", sa.BigInteger()),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("close_date", sa.Date()),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("forecast_category", sa.String(length=16), nullable=False),
    )
    op.create_index("ix_stage_history_opportunity", "stage_history", ["opportunity_id", "seq"])

    op.create_table(
        "sales_settings",
        sa.Column("name", sa.String(length=32), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64)),
    )

    op.create_table(
        "lead_conversions",
        sa.Column("lead_id", sa.String(length=64), primary_key=True),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("opportunity_id", sa.String(length=64), nullable=False),
        sa.Column("account_created", sa.Boolean(), nullable=False),
        sa.Column("converted_by", sa.String(length=64)),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("lead_conversions", "sales_settings", "stage_history", "line_items", "opportunities", "products",
                  "contacts", "accounts"):
        op.drop_table(table)
