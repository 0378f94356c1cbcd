"""The forecast service's nameko consumer: thin handlers that call use cases."""
from tandem_plumbing import directory
from tandem_plumbing.consumer import Database, handles
from tandem_plumbing.envelope import Envelope

from ..use_cases import feed
from .models import users


class ForecastEvents:
    name = "forecast"
    db = Database()  # $FORECAST_DATABASE_URL, read when the service starts

    @handles("gateway", "user_created")
    @handles("gateway", "user_changed")
    def on_user_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, directory.record_user, users, event.data["user"])

    @handles("sales", "opportunity_created")
    @handles("sales", "opportunity_changed")
    @handles("sales", "opportunity_closed")
    def on_opportunity(self, event: Envelope) -> None:
        self.db.apply_once(event, feed.record_opportunity, event.data["opportunity"])

    @handles("leads", "lead_created")
    @handles("leads", "lead_assigned")
    @handles("leads", "lead_status_changed")
    def on_lead(self, event: Envelope) -> None:
        self.db.apply_once(event, feed.record_lead, event.data["lead"], event.time)
