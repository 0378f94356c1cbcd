"""The activities table: tasks, calls, emails and meetings about a lead, contact,
account or opportunity. On the sales service's one `metadata` (see models.py)."""
from sqlalchemy import Column, Date, DateTime, Index, Integer, String, Table, Text

from .models import metadata

activities = Table(
    "activities",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(16), nullable=False),  # task | call | email | meeting
    Column("subject", String(255), nullable=False),
    Column("description", Text),
    Column("related_type", String(16), nullable=False),  # lead | contact | account | opportunity
    Column("related_id", String(64), nullable=False),
    Column("owner_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # open | completed | cancelled
    Column("due_date", Date),
    Column("starts_at", DateTime(timezone=True)),
    Column("duration_minutes", Integer),
    Column("completed_at", DateTime(timezone=True)),
    Column("outcome", Text),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_activities_related", "related_type", "related_id"),
    Index("ix_activities_owner_status_due", "owner_id", "status", "due_date"),
)
