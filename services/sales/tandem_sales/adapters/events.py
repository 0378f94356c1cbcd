"""The sales service's nameko consumer: thin handlers that call use cases."""
from tandem_plumbing import directory
from tandem_plumbing.consumer import Database, handles
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.settings import database_url

from .models import owners


class SalesEvents:
    name = "sales"
    db = Database(database_url("sales"))

    @handles("gateway", "user_created")
    @handles("gateway", "user_changed")
    def on_user_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, directory.record_user, owners, event.data["user"])
