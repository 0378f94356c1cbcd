"""The notify service's nameko consumer: thin handlers that call use cases."""
from tandem_plumbing import directory
from tandem_plumbing.consumer import Database, handles
from tandem_plumbing.envelope import Envelope

from .models import recipients


class NotifyEvents:
    name = "notify"
    db = Database()  # $NOTIFY_DATABASE_URL, read when the service starts

    @handles("gateway", "user_created")
    @handles("gateway", "user_changed")
    def on_user_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, directory.record_user, recipients, event.data["user"])
