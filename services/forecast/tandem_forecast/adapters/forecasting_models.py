"""What managers enter on top of the read model: quotas, adjustments and the forecast
settings. On the forecast service's one `metadata` (see models.py)."""
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, PrimaryKeyConstraint, String, Table, Text
from tandem_plumbing.documents import documents_table

from .models import metadata

# A user's quota for one period, in `currency` (the forecast currency when it was set).
quotas = Table(
    "quotas",
    metadata,
    Column("user_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),  # 2026-Q4 or 2026-11
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),
    PrimaryKeyConstraint("user_id", "period"),
)

# Every adjustment ever made: the history. The current adjustment of (user, period,
# category) is the newest row (highest id: ids count up, created_at can tie);
# amount_minor null takes it back to the computed number.
adjustments = Table(
    "adjustments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("category", String(16), nullable=False),  # closed | commit | best_case | open_pipeline
    Column("amount_minor", BigInteger),
    Column("previous_minor", BigInteger, nullable=False),  # the adjusted number it replaced
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("author_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_adjustments_period_user", "period", "user_id", "category", "id"),
)

# Named settings documents; "forecast" = {fiscal_year_start_month, currency, rates}.
forecast_settings = documents_table(metadata, "forecast_settings")
