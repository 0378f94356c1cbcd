"""Sending email through SMTP (smtplib: under eventlet its sockets are green, so a slow
server only holds the timer's own green thread).

| variable | default |
|---|---|
| `SMTP_HOST` | unset: email is off, none is written |
| `SMTP_PORT` | `25` |
| `SMTP_FROM` | `tandem@localhost` |
| `SMTP_USERNAME`, `SMTP_PASSWORD` | unset: no login |
| `SMTP_STARTTLS` | `false` (`true`/`1`/`yes` upgrades the connection before logging in) |
| `EMAIL_MAX_ATTEMPTS` | `10`: attempts before an email is `failed` |
| `EMAIL_RETRY_SECONDS` | `10`: the first back-off; it doubles, up to 10 minutes |
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from tandem_plumbing.settings import env, env_float, env_int

from .. import domain

SMTP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "tandem@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False

    @classmethod
    def from_env(cls) -> "SmtpConfig | None":
        host = env("SMTP_HOST")
        if host is None:
            return None
        return cls(
            host=host,
            port=env_int("SMTP_PORT", 25),
            sender=env("SMTP_FROM", "tandem@localhost"),
            username=env("SMTP_USERNAME"),
            password=env("SMTP_PASSWORD"),
            starttls=(env("SMTP_STARTTLS", "false").lower() in ("1", "true", "yes")),
        )


def retry_policy_from_env() -> domain.RetryPolicy:
    defaults = domain.RetryPolicy()
    return domain.RetryPolicy(
        max_attempts=env_int("EMAIL_MAX_ATTEMPTS", defaults.max_attempts),
        first_delay_s=env_float("EMAIL_RETRY_SECONDS", defaults.first_delay_s),
        max_delay_s=defaults.max_delay_s,
    )


class SmtpMailer:
    """Sends a batch over one connection; says per email whether it went out."""

    def __init__(self, config: SmtpConfig, retry_policy: domain.RetryPolicy) -> None:
        self.config = config
        self.retry_policy = retry_policy

    @classmethod
    def from_env(cls) -> "SmtpMailer | None":
        config = SmtpConfig.from_env()
        return cls(config, retry_policy_from_env()) if config is not None else None

    def _message(self, email: domain.OutgoingEmail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = email.to_address
        message["Subject"] = email.subject
        # The same id on every attempt: a receiver can drop a copy sent twice.
        message["Message-ID"] = f"<{email.id}@{self.config.sender.rpartition('@')[2] or 'tandem'}>"
        message.set_content(email.body)
        return message

    def send_all(self, emails: list[domain.OutgoingEmail]) -> dict[str, domain.SendFailure | None]:
        outcomes: dict[str, domain.SendFailure | None] = {}
        try:
            with smtplib.SMTP(self.config.host, self.config.port, timeout=SMTP_TIMEOUT_S) as smtp:
                if self.config.starttls:
                    # Verified against the system's CAs: the password must not go to an impostor.
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.username:
                    smtp.login(self.config.username, self.config.password or "")
                for email in emails:
                    outcomes[email.id] = self._send_one(smtp, email)
        except (OSError, smtplib.SMTPException) as exc:
            # The server is down or the session broke: everything not sent yet waits.
            failure = domain.SendFailure(f"{self.config.host}:{self.config.port}: {exc!r}", permanent=False)
            outcomes.update({email.id: failure for email in emails if email.id not in outcomes})
        return outcomes

    def _send_one(self, smtp: smtplib.SMTP, email: domain.OutgoingEmail) -> domain.SendFailure | None:
        try:
            smtp.send_message(self._message(email))
            return None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            return domain.SendFailure(repr(exc), permanent=all(code >= 500 for code in codes))
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            return domain.SendFailure(repr(exc), permanent=exc.smtp_code >= 500)
