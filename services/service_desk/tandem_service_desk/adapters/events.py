"""The service_desk service's nameko process: thin handlers that call use cases, and
the SLA check on a timer.

`SLA_CHECK_SECONDS` (default 30) is read when this module is imported: the timer's
interval is fixed when the service class is defined."""
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from nameko.timer import timer
from tandem_plumbing import directory
from tandem_plumbing.consumer import Database, handles
from tandem_plumbing.db import transaction
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.settings import env_float

from .. import use_cases
from ..domain import referrals
from .models import agents

SLA_CHECK_SECONDS = env_float("SLA_CHECK_SECONDS", 30.0)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _follow_lead(session, event: Envelope) -> None:
    use_cases.follow_lead(session, event.data["lead"], now=utcnow(), correlation_id=event.correlation_id)


def _follow_opportunity(session, event: Envelope) -> None:
    use_cases.follow_opportunity(session, event.data["opportunity"], now=utcnow(), correlation_id=event.correlation_id)


def _opportunity_closed(session, event: Envelope) -> None:
    use_cases.opportunity_closed(session, event.data, now=utcnow(), correlation_id=event.correlation_id)


class ServiceDeskEvents:
    name = "service_desk"
    db = Database()  # $SERVICE_DESK_DATABASE_URL, read when the service starts

    @handles("gateway", "user_created")
    @handles("gateway", "user_changed")
    def on_user_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, directory.record_user, agents, event.data["user"])

    # Every leads event carries the whole lead: the referral follows the newest snapshot.
    # A lead made from a referral announces itself with lead_created alone (owner and
    # referral in its snapshot); leads from before that change also send
    # lead_referral_attached and lead_assigned: the same snapshots, followed the same way.
    @handles("leads", "lead_created")
    @handles("leads", "lead_referral_attached")
    @handles("leads", "lead_assigned")
    @handles("leads", "lead_status_changed")
    def on_lead_changed(self, event: Envelope) -> None:
        self._follow(event, event.data["lead"], _follow_lead)

    # Sales' events carry the whole opportunity, with the referrals its lead brought.
    @handles("sales", "opportunity_created")
    def on_opportunity_created(self, event: Envelope) -> None:
        self._follow(event, event.data["opportunity"], _follow_opportunity)

    @handles("sales", "opportunity_closed")
    def on_opportunity_closed(self, event: Envelope) -> None:
        self._follow(event, event.data["opportunity"], _opportunity_closed)

    def _follow(self, event: Envelope, record: Mapping[str, Any], effect: Callable[..., None]) -> None:
        """Apply `effect` once, unless the lead or opportunity lists no referral (most
        do not: web forms, sales' own): then there is nothing to do, nor to remember."""
        if referrals.listed_in(record):
            self.db.apply_once(event, effect, event)

    @timer(interval=SLA_CHECK_SECONDS)
    def check_slas(self) -> None:
        """Escalate overdue cases; idempotent, so several events processes may run it."""
        with transaction(self.db.session) as session:
            use_cases.escalate_overdue_cases(session, now=utcnow())
