"""What the notify service does, independent of how it is called."""
from sqlalchemy.orm import Session
from tandem_plumbing.replica import upsert_if_newer

from .adapters.models import recipients

DIRECTORY_FIELDS = ("id", "email", "name", "role", "manager_id", "active", "version")


def record_user(session: Session, user: dict) -> bool:
    """Keep the local copy of a user current; an older version never wins."""
    return upsert_if_newer(session, recipients, {k: user[k] for k in DIRECTORY_FIELDS})
