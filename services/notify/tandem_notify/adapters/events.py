"""The notify service's nameko consumer: thin handlers that call use cases, and the
timer that sends pending email (every `EMAIL_SEND_SECONDS`, default 2, read when the
process starts). It never imports grpc."""
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from tandem_plumbing import directory
from tandem_plumbing.consumer import Database, handles
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.settings import env_float

from .. import use_cases
from .models import recipients
from .smtp import SmtpMailer

EMAIL_SEND_SECONDS = env_float("EMAIL_SEND_SECONDS", 2.0)


class Mailer(DependencyProvider):
    """The SMTP mailer, or None when `SMTP_HOST` is not set (then no email is written)."""

    def setup(self) -> None:
        self.mailer = SmtpMailer.from_env()

    def get_dependency(self, worker_ctx) -> SmtpMailer | None:
        return self.mailer


class NotifyEvents:
    name = "notify"
    db = Database()  # $NOTIFY_DATABASE_URL, read when the service starts
    mailer = Mailer()

    @handles("gateway", "user_created")
    @handles("gateway", "user_changed")
    def on_user_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, directory.record_user, recipients, event.data["user"])

    @handles("leads", "lead_created")
    def on_lead_created(self, event: Envelope) -> None:
        self.db.apply_once(event, use_cases.lead_created, event.data, self.mailer is not None)

    @handles("leads", "lead_assigned")
    def on_lead_assigned(self, event: Envelope) -> None:
        self.db.apply_once(event, use_cases.lead_assigned, event.data, self.mailer is not None)

    @handles("service_desk", "referral_status_changed")
    def on_referral_status_changed(self, event: Envelope) -> None:
        self.db.apply_once(event, use_cases.referral_status_changed, event.data, self.mailer is not None)

    @timer(interval=EMAIL_SEND_SECONDS)
    def send_email(self) -> None:
        if self.mailer is not None:
            use_cases.deliver_pending_emails(self.db.session, self.mailer.send_all, self.mailer.retry_policy)
