"""`tandem-gateway setup` / `migrate`: schema, JWT secret and the first admin."""
import os
import stat

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from tandem_plumbing.db import make_engine, session_factory

from tandem_gateway import cli
from tandem_gateway.adapters.models import metadata, users
from tandem_gateway.identity.security import Passwords


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    for name in ("GATEWAY_DATABASE_URL", "JWT_SECRET", "CRM_ADMIN_EMAIL", "CRM_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def admins(url):
    engine = make_engine(url)
    with session_factory(engine)() as session:
        rows = session.execute(select(users.c.email, users.c.password_hash).where(users.c.role == "admin")).all()
    engine.dispose()
    return rows


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_setup_without_settings_generates_an_admin_once(data_dir, capsys):
    assert cli.main(["setup"]) == 0
    credentials = data_dir / "admin-credentials.txt"
    assert str(credentials) in capsys.readouterr().out
    assert mode(credentials) == 0o600 and mode(data_dir / "jwt-secret") == 0o600
    lines = dict(line.split(": ", 1) for line in credentials.read_text().splitlines())
    [(email, password_hash)] = admins(f"sqlite:///{data_dir / 'gateway.db'}")
    assert email == lines["email"] == "admin@tandem.local"
    assert Passwords().verify(password_hash, lines["password"])

    secret, written = (data_dir / "jwt-secret").read_text(), credentials.read_text()
    assert cli.main(["setup"]) == 0  # idempotent: same admin, same secret, same file
    assert admins(f"sqlite:///{data_dir / 'gateway.db'}") == [(email, password_hash)]
    assert (data_dir / "jwt-secret").read_text() == secret and credentials.read_text() == written


def test_setup_with_settings_creates_that_admin_and_never_changes_it(data_dir, pg_url, monkeypatch):
    monkeypatch.setenv("GATEWAY_DATABASE_URL", pg_url)
    monkeypatch.setenv("JWT_SECRET", "z" * 40)
    monkeypatch.setenv("CRM_ADMIN_EMAIL", "Boss@Example.com")
    monkeypatch.setenv("CRM_ADMIN_PASSWORD", "first-password")
    assert cli.main(["setup"]) == 0
    [(email, first_hash)] = admins(pg_url)
    assert email == "boss@example.com"
    monkeypatch.setenv("CRM_ADMIN_PASSWORD", "second-password")
    assert cli.main(["setup"]) == 0
    assert admins(pg_url) == [(email, first_hash)]
    assert not (data_dir / "admin-credentials.txt").exists() and not (data_dir / "jwt-secret").exists()


@pytest.mark.parametrize(
    "env", [{"CRM_ADMIN_EMAIL": "a@b.co"}, {"CRM_ADMIN_EMAIL": "a@b.co", "CRM_ADMIN_PASSWORD": "short"}]
)
def test_setup_refuses_half_or_bad_settings(data_dir, monkeypatch, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["setup"]) == 2
    assert admins(f"sqlite:///{data_dir / 'gateway.db'}") == []


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_migrations_build_the_schema_the_models_describe(kind, make_database, tmp_path, monkeypatch):
    url = make_database("schema") if kind == "postgresql" else f"sqlite:///{tmp_path / 'gateway.db'}"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    assert cli.main(["migrate"]) == 0
    engine = make_engine(url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()
