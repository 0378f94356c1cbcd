"""The sales service's own database. Money is stored in whole minor units (cents)
with its currency; quantities and discounts as decimal text (SQLite has no exact
decimal type, and they are never summed in SQL)."""
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from tandem_plumbing.directory import directory_table
from tandem_plumbing.documents import documents_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
owners = directory_table(metadata, "owners")  # the users who may own accounts and opportunities

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("domain", String(253)),  # lower case: matched against a converted lead's email domain
    Column("industry", String(100)),
    Column("employees", Integer),
    Column("country", String(2)),
    Column("website", String(500)),
    Column("phone", String(50)),
    Column("description", Text),
    Column("owner_id", String(64), nullable=False),
    Column("parent_id", String(64), ForeignKey("accounts.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_accounts_name", "name", "id"),
    Index("ix_accounts_domain", "domain"),
    Index("ix_accounts_owner", "owner_id"),
    Index("ix_accounts_parent", "parent_id"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id")),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(320)),  # lower case
    Column("phone", String(50)),
    Column("title", String(200)),
    Column("owner_id", String(64), nullable=False),
    Column("lead_id", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_contacts_account", "account_id"),
    Index("ix_contacts_email", "email"),
    Index("ix_contacts_name", "last_name", "first_name", "id"),
)

products = Table(
    "products",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("code", String(64), unique=True),
    Column("description", Text),
    Column("family", String(100)),
    Column("list_price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_products_name", "name", "id"),
)

opportunities = Table(
    "opportunities",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("amount_minor", BigInteger),
    Column("currency", String(3), nullable=False),
    Column("close_date", Date),
    Column("stage", String(100), nullable=False),
    Column("probability", Integer, nullable=False),
    Column("forecast_category", String(16), nullable=False),
    Column("forecast_category_overridden", Boolean, nullable=False),
    Column("next_step", String(500)),
    Column("description", Text),
    Column("lead_id", String(64)),
    Column("primary_contact_id", String(64), ForeignKey("contacts.id")),
    Column("loss_reason", String(500)),
    Column("referrals", Text, nullable=False),  # JSON list of ReferralRef
    Column("is_closed", Boolean, nullable=False),
    Column("is_won", Boolean, nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("created_by", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_opportunities_account", "account_id"),
    Index("ix_opportunities_owner", "owner_id", "is_closed"),
    Index("ix_opportunities_close", "close_date", "name", "id"),
    Index("ix_opportunities_stage", "stage"),
    Index("ix_opportunities_lead", "lead_id"),
)

line_items = Table(
    "line_items",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("opportunity_id", String(64), ForeignKey("opportunities.id"), nullable=False),
    Column("product_id", String(64), ForeignKey("products.id"), nullable=False),
    Column("product_name", String(200), nullable=False),  # as it was when added
    Column("quantity", String(32), nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),  # in the opportunity's currency
    Column("discount", String(32), nullable=False),  # percent
    Column("total_minor", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_line_items_opportunity", "opportunity_id", "position"),
)

stage_history = Table(
    "stage_history",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("opportunity_id", String(64), ForeignKey("opportunities.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", String(64)),  # null: the service itself
    Column("from_stage", String(100)),  # null: the opportunity was created
    Column("to_stage", String(100), nullable=False),
    Column("amount_minor", BigInteger),
    Column("currency", String(3), nullable=False),
    Column("close_date", Date),
    Column("probability", Integer, nullable=False),
    Column("forecast_category", String(16), nullable=False),
    Index("ix_stage_history_opportunity", "opportunity_id", "seq"),
)

# Who changed which field of an opportunity, account or contact, when, from what to
# what: written in the transaction of the change, read by whoever may read the record.
record_history = Table(
    "record_history",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("record_type", String(16), nullable=False),  # opportunity, account, contact
    Column("record_id", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", String(64)),  # null: the service itself
    Column("action", String(32), nullable=False),
    Column("changes", Text, nullable=False),  # JSON: {field: {"from", "to"}}
    Column("correlation_id", String(128)),
    Index("ix_record_history_record", "record_type", "record_id", "seq"),
)

# Documents an admin configures: "stages" (the Sales Path).
sales_settings = documents_table(metadata, "sales_settings")

# One row per converted lead: its primary key makes conversion happen once.
lead_conversions = Table(
    "lead_conversions",
    metadata,
    Column("lead_id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("contact_id", String(64), nullable=False),
    Column("opportunity_id", String(64), nullable=False),
    Column("account_created", Boolean, nullable=False),
    Column("converted_by", String(64)),
    Column("converted_at", DateTime(timezone=True), nullable=False),
)

# Tables defined in their own modules, on this metadata (imported last: they import it).
from .activity_models import activities  # noqa: E402,F401
