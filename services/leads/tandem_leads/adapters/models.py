"""The leads service's own database."""
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)

# A copy of the gateway's user directory: the reps and managers leads can be assigned to.
reps = Table(
    "reps",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("manager_id", String(64)),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)
