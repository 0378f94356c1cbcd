"""The service_desk service's own database."""
from sqlalchemy import MetaData
from tandem_plumbing.directory import directory_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
agents = directory_table(metadata, "agents")  # the service agents cases are assigned to
