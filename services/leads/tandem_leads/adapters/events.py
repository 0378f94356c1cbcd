"""The leads service's nameko consumer: thin handlers that call use cases."""
from tandem_plumbing.consumer import Database, handles
from tandem_plumbing.envelope import Envelope

from .. import use_cases


class LeadsEvents:
    name = "leads"
    db = Database()  # $LEADS_DATABASE_URL, read when the service starts

    @handles("gateway", "user_created")
    @handles("gateway", "user_changed")
    def on_user_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, use_cases.record_user, event.data["user"], event.correlation_id)

    @handles("service_desk", "referral_submitted")
    def on_referral_submitted(self, event: Envelope) -> None:
        self.db.apply_once(event, use_cases.receive_referral, event.data, event.correlation_id)
