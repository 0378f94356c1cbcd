"""The notify service's own database."""
from sqlalchemy import MetaData
from tandem_plumbing.directory import directory_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
recipients = directory_table(metadata, "recipients")  # who can be notified, and at which email address
