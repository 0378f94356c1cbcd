"""The leads service's own database."""
from sqlalchemy import MetaData
from tandem_plumbing.directory import directory_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
reps = directory_table(metadata, "reps")  # the reps and managers leads can be assigned to
