"""The sales service's own database."""
from sqlalchemy import MetaData
from tandem_plumbing.directory import directory_table
from tandem_plumbing.outbox import add_plumbing_tables

metadata = MetaData()
outbox, processed_events = add_plumbing_tables(metadata)
owners = directory_table(metadata, "owners")  # the users who may own accounts and opportunities

# Tables defined in their own modules, on this metadata (imported last: they import it).
from .activity_models import activities  # noqa: E402,F401
