"""The forecast service's own database."""
from sqlalchemy import MetaData
from tandem_plumbing.directory import directory_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
users = directory_table(metadata, "users")  # every user and the manager hierarchy that forecasts roll up
