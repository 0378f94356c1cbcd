"""Saved reports and dashboards: each private to its owner (admins see all). On the
forecast service's one `metadata` (see models.py)."""
from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from .models import metadata


def _saved(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(64), primary_key=True),
        Column("name", String(200), nullable=False),
        Column("owner_id", String(64), nullable=False),
        Column("definition", Text, nullable=False),
        Column("version", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Index(f"ix_{name}_owner", "owner_id", "created_at"),
    )


reports = _saved("reports")  # definition: the checked definition as JSON (domain.reports.Plan.definition())
dashboards = _saved("dashboards")  # definition: {"reports": [report ids, in the order shown]}
