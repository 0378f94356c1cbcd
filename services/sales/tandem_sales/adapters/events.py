"""The sales service's nameko consumer: thin handlers that call use cases."""
from tandem_plumbing.consumer import Database, handles
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.settings import database_url

from .. import use_cases


class SalesEvents:
    name = "sales"
    db = Database(database_url("sales"))

    @handles("gateway", "user_created")
    @handles("gateway", "user_changed")
    def on_user_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, use_cases.record_user, event.data["user"])
