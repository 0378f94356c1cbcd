"""`tandem-gateway setup|migrate|serve|relay`:

    setup    migrate, make sure a JWT secret and a first admin exist
    migrate  alembic upgrade head of the gateway's database only
    serve    the REST API under gunicorn (gthread workers)
    relay    publish the gateway's outbox (user events) to RabbitMQ
"""
from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import tempfile
import uuid
from pathlib import Path

from tandem_plumbing.cli import configure_logging, migrate, relay
from tandem_plumbing.settings import data_dir, database_url, env, metrics_port

NAME = "gateway"
PACKAGE = "tandem_gateway"
DEFAULT_ADMIN_EMAIL = "admin@tandem.local"

log = logging.getLogger("tandem_gateway")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tandem-gateway", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["setup", "migrate", "serve", "relay"])
    args = parser.parse_args(argv)
    if args.role == "serve":
        _metrics_dir_for_workers()
    configure_logging(NAME, args.role)
    return {"setup": setup, "migrate": lambda: migrate(NAME, PACKAGE), "serve": serve, "relay": lambda: relay(NAME)}[
        args.role
    ]()


def setup() -> int:
    from .config import jwt_secret

    migrate(NAME, PACKAGE)
    jwt_secret()  # generated now, before any worker starts
    return ensure_first_admin()


def ensure_first_admin() -> int:
    """The admin from CRM_ADMIN_EMAIL/CRM_ADMIN_PASSWORD, or, when none is set and no
    admin exists yet, a generated one whose credentials go to a 0600 file."""
    from tandem_plumbing.db import make_engine, session_factory, transaction

    from .identity import use_cases
    from .identity.domain import IdentityError
    from .identity.security import Passwords

    email, password = env("CRM_ADMIN_EMAIL"), env("CRM_ADMIN_PASSWORD")
    if bool(email) != bool(password):
        print("set both CRM_ADMIN_EMAIL and CRM_ADMIN_PASSWORD, or neither", file=sys.stderr)
        return 2
    engine = make_engine(database_url(NAME))
    sessions = session_factory(engine)
    correlation_id = uuid.uuid4().hex
    try:
        with transaction(sessions) as session:
            generated = email is None
            if generated:
                if use_cases.has_active_admin(session):
                    return 0
                email, password = DEFAULT_ADMIN_EMAIL, secrets.token_urlsafe(18)
            created = use_cases.ensure_admin(session, Passwords(), email, password, correlation_id=correlation_id)
            if generated and created is None:
                raise IdentityError(f"no active admin, and {email} exists; set CRM_ADMIN_EMAIL and CRM_ADMIN_PASSWORD")
            if generated:
                # Written before the commit: a failure leaves at worst a stale file, never an admin nobody can use.
                path = _write_credentials(email, password)
                print(f"created the first admin {email}; the credentials are in {path}")
    except IdentityError as exc:
        print(f"cannot create the admin {email}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    log.info("gateway: admin %s %s", email, "created" if created else "already exists (left unchanged)")
    return 0


def _write_credentials(email: str, password: str) -> Path:
    path = data_dir() / "admin-credentials.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with a looser mode
    with os.fdopen(fd, "w") as handle:
        handle.write(f"email: {email}\npassword: {password}\n")
    return path


def _metrics_dir_for_workers() -> None:
    """With a metrics port, gunicorn's workers write their metrics to PROMETHEUS_MULTIPROC_DIR
    (default: <temp dir>/tandem-gateway-metrics-<GATEWAY_PORT>, one per gateway; emptied at
    start) and http/telemetry.py serves their sum. Set before prometheus_client is imported."""
    if metrics_port(NAME, "serve") is None:
        return
    default = Path(tempfile.gettempdir()) / f"tandem-gateway-metrics-{env('GATEWAY_PORT', '8080')}"
    path = Path(env("PROMETHEUS_MULTIPROC_DIR", str(default)))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def serve() -> int:
    from .config import jwt_secret
    from .http.server import serve as run_gunicorn

    jwt_secret()  # make sure it exists before the workers fork and read it
    run_gunicorn()
    return 0
