"""The service_desk service's nameko consumer: thin handlers that call use cases."""
from tandem_plumbing.consumer import Database, handles
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.settings import database_url

from .. import use_cases


class ServiceDeskEvents:
    name = "service_desk"
    db = Database(database_url("service_desk"))

    @handles("gateway", "user_created")
    @handles("gateway", "user_changed")
    def on_user_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, use_cases.record_user, event.data["user"])
