"""Fixtures for the notify tests: a migrated PostgreSQL database, a real SMTP server in
this process (aiosmtpd), and builders for the catalogue's event data.

This conftest also applies to `consumers/` (an eventlet-patched pytest process):
module level imports stay stdlib-only; the rest is imported in fixtures.
"""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest


@pytest.fixture
def notify_db(request, tmp_path):
    """A fresh notify database at head: its URL, engine, sessions and a few readers.
    PostgreSQL, or SQLite (`make run`'s default) where a test parametrizes it so."""
    from importlib.resources import files

    from sqlalchemy import func, select
    from tandem_plumbing.db import make_engine, session_factory
    from tandem_plumbing.migrations import upgrade

    if getattr(request, "param", "postgresql") == "postgresql":
        url = request.getfixturevalue("make_database")("notify")
    else:
        url = f"sqlite:///{tmp_path / 'notify.db'}"
    upgrade(files("tandem_notify") / "migrations", url)
    engine = make_engine(url)

    def rows(table, *where, order_by=None):
        query = select(table).where(*where)
        if order_by is not None:
            query = query.order_by(order_by)
        with engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def count(table, *where):
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

    yield SimpleNamespace(url=url, engine=engine, sessions=session_factory(engine), rows=rows, count=count)
    engine.dispose()


@pytest.fixture
def directory(notify_db):
    """add(id, name=..., manager_id=..., ...): a user in notify's copy of the directory."""
    from tandem_plumbing.db import transaction
    from tandem_plumbing.directory import record_user

    from tandem_notify.adapters.models import recipients

    def add(user_id, name=None, role="sales_rep", manager_id=None, active=True, email=None, version=1):
        user = {"id": user_id, "email": email or f"{user_id}@example.com", "name": name or user_id.title(),
                "role": role, "manager_id": manager_id, "active": active, "version": version}
        with transaction(notify_db.sessions) as session:
            record_user(session, recipients, user)
        return user

    return SimpleNamespace(add=add)


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a fixed port that can be stopped and started."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages = []  # email.message.Message, as they arrived
        self.refused = set()  # addresses answered with a permanent 550
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes

        message = message_from_bytes(envelope.content)
        message["X-Rcpt-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def start(self, tls_context=None, credentials: tuple[str, str] | None = None) -> "SmtpServer":
        """With `tls_context`, STARTTLS is required; with `credentials`, AUTH (after it)."""
        from aiosmtpd.controller import Controller

        options = {}
        if tls_context is not None:
            options.update(tls_context=tls_context, require_starttls=True)
        if credentials is not None:
            options.update(authenticator=self._authenticator(credentials), auth_require_tls=tls_context is not None)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        return self

    @staticmethod
    def _authenticator(credentials: tuple[str, str]):
        from aiosmtpd.smtp import AuthResult

        def authenticate(server, session, envelope, mechanism, auth_data):
            given = (auth_data.login.decode(), auth_data.password.decode())
            return AuthResult(success=given == credentials)

        return authenticate

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {count} email(s); got {len(self.messages)}")
            time.sleep(0.05)  # looked up now: green in the eventlet-patched process
        return self.messages


@pytest.fixture
def tls_context(tmp_path, monkeypatch):
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1, which
    this process's default CA paths (SSL_CERT_FILE) trust."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def smtp_server(free_port):
    """A stopped SMTP server with a port of its own: `.start()` it (or leave it down)."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


def _lead(lead_id="L1", version=1, owner_id="rep-1", score=50, referrals=(), **changes):
    return {"id": lead_id, "version": version, "first_name": "Grace", "last_name": "Hopper",
            "email": "grace@navy.example", "company": "Navy Labs", "title": "CTO", "industry": "government",
            "country": "US", "employees": 5000, "source": "service_referral" if referrals else "web",
            "status": "new", "status_reason": None, "score": score, "score_factors": [], "owner_id": owner_id,
            "referrals": list(referrals), **changes}


def _referral_ref(referral_id="R1", agent_id="agent-1", **changes):
    return {"referral_id": referral_id, "case_id": "C1", "case_number": 1042, "agent_id": agent_id,
            "kind": "upsell", "product_interest": "50 more seats", **changes}


def _lead_assigned(lead, previous_owner_id=None, reason="rules"):
    return {"lead": lead, "previous_owner_id": previous_owner_id, "reason": reason}


def _lead_created(lead, reason="rules"):
    """The new producer's form: `assignment` when the lead has an owner, `referral` when a
    referral made it (the old producer sent `{"lead": lead}` and lead_assigned after)."""
    data = {"lead": lead}
    if lead.get("owner_id"):
        data["assignment"] = {"previous_owner_id": None, "reason": reason}
    if lead.get("referrals"):
        data["referral"] = lead["referrals"][-1]
    return data


def _referral_status_changed(status, previous_status="lead_created", **changes):
    referral = {"id": "R1", "case_id": "C1", "case_number": 1042, "agent_id": "agent-1", "kind": "upsell",
                "product_interest": "50 more seats", "status": status, "lead_id": "L1", "assignee_id": "rep-1",
                "reason": None, "company": "Navy Labs", **changes}
    return {"referral": referral, "previous_status": previous_status}


@pytest.fixture
def shapes():
    """Builders of event data in the shapes of docs/architecture.md's Event catalogue."""
    return SimpleNamespace(lead=_lead, referral_ref=_referral_ref, lead_assigned=_lead_assigned,
                           lead_created=_lead_created, referral_status_changed=_referral_status_changed)
