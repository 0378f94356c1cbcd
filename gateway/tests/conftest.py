"""Fixtures: a migrated gateway database (PostgreSQL, and SQLite where a test asks for
both), the Flask app on it, an admin and tokens. Real servers, no mocks."""
from __future__ import annotations

import importlib
from importlib.resources import files
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import func, select
from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.directory import record_user
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.grpc_client import close_channels
from tandem_plumbing.migrations import upgrade

from tandem_gateway.adapters.models import outbox, users
from tandem_gateway.config import SERVICES, GatewayConfig
from tandem_gateway.http import create_app
from tandem_gateway.identity import use_cases
from tandem_gateway.identity.security import Passwords

JWT_SECRET = "test-secret-that-is-long-enough-for-hs256!"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.com", "admin-password-1"
MIGRATIONS = files("tandem_gateway") / "migrations"


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    # The real argon2id with the cheapest parameters: tests hash hundreds of passwords.
    return Passwords(PasswordHasher.from_parameters(profiles.CHEAPEST))


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request, tmp_path) -> str:
    """A fresh, migrated gateway database; the test runs once on each kind."""
    if request.param == "postgresql":
        url = request.getfixturevalue("make_database")("gateway")
    else:
        url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade(MIGRATIONS, url)
    return url


@pytest.fixture
def pg_url(make_database) -> str:
    url = make_database("gateway")
    upgrade(MIGRATIONS, url)
    return url


@pytest.fixture
def services() -> dict:
    """The services running for real behind the gateway, by name (see run_service): none,
    unless a test module overrides this fixture."""
    return {}


@pytest.fixture
def config(db_url, services, free_port) -> GatewayConfig:
    # Ports where nothing listens, but for the services a module runs.
    addrs = {name: f"127.0.0.1:{free_port()}" for name in SERVICES}
    addrs.update({name: service.address for name, service in services.items()})
    return GatewayConfig(database_url=db_url, jwt_secret=JWT_SECRET, service_addrs=addrs, probe_timeout=0.5)


@pytest.fixture
def app(config, passwords):
    app = create_app(config, passwords)
    yield app
    app.extensions["tandem_gateway"].engine.dispose()
    close_channels()  # the next test's free ports may reuse a number this one saw down


@pytest.fixture
def gw(app):
    return app.extensions["tandem_gateway"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin_credentials() -> tuple[str, str]:
    return ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def admin(gw):
    with transaction(gw.sessions) as session:
        return use_cases.ensure_admin(session, gw.passwords, ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture
def login(client):
    """Log in through the API; returns the Authorization header."""

    def login(email: str, password: str) -> dict[str, str]:
        response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['access_token']}"}

    return login


@pytest.fixture
def admin_auth(login, admin) -> dict[str, str]:
    return login(ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture
def make_user(client, admin_auth, login):
    """Create a user through the API; returns (user json, auth headers for them)."""
    counter = iter(range(1_000))

    def make(role: str = "sales_rep", manager_id: str | None = None, **fields):
        body = {
            "email": f"user{next(counter)}@example.com",
            "name": "Some One",
            "password": "password-123",
            "role": role,
            "manager_id": manager_id,
            **fields,
        }
        response = client.post("/api/v1/users", json=body, headers=admin_auth)
        assert response.status_code == 201, response.json
        return response.json, login(body["email"], body["password"])

    return make


@pytest.fixture
def make_team(make_user, admin_auth):
    """make_team() -> admin; a manager with rep1 and rep2; rep3 elsewhere; an agent.
    Each: (user json, auth headers); the admin's json has only "id": None."""

    def make() -> dict[str, tuple[dict, dict[str, str]]]:
        manager = make_user("sales_manager")
        return {
            "manager": manager,
            "rep1": make_user("sales_rep", manager[0]["id"]),
            "rep2": make_user("sales_rep", manager[0]["id"]),
            "rep3": make_user("sales_rep"),
            "agent": make_user("service_agent"),
            "admin": ({"id": None}, admin_auth),
        }

    return make


@pytest.fixture
def team(make_team, services):
    """make_team()'s people, known to every service in `services`."""
    people = make_team()
    for service in services.values():
        service.sync_users()
    return people


@pytest.fixture
def rows(gw):
    """rows() -> (number of users, number of outbox events)."""

    def rows() -> tuple[int, int]:
        with gw.sessions() as session:
            return tuple(session.execute(select(func.count()).select_from(t)).scalar_one() for t in (users, outbox))

    return rows


@pytest.fixture
def events(gw):
    """events() -> the envelopes in the outbox, oldest first."""

    def events() -> list[Envelope]:
        with gw.sessions() as session:
            bodies = session.execute(select(outbox.c.body).order_by(outbox.c.seq)).scalars()
            return [Envelope.from_dict(body) for body in bodies]

    return events


def made(response, status: int = 201) -> dict:
    """The JSON of a response that must have `status` (201 unless told)."""
    assert response.status_code == status, response.json
    return response.json


@pytest.fixture
def every_service(run_service, monkeypatch) -> dict:
    """A real gRPC server of every service, by name, each on its own PostgreSQL database;
    a test module that wants them all behind the gateway overrides `services` with it."""
    from tandem_forecast.adapters import models as forecast_models
    from tandem_leads.adapters import models as leads_models
    from tandem_sales.adapters import models as sales_models
    from tandem_service_desk.adapters import models as desk_models

    sales = run_service("tandem_sales", sales_models.owners)
    monkeypatch.setenv("SALES_GRPC_ADDR", sales.address)  # where leads converts
    notify = run_service("tandem_notify", None)  # keeps no directory of users
    return {"sales": sales,
            "leads": run_service("tandem_leads", leads_models.reps),
            "service_desk": run_service("tandem_service_desk", desk_models.agents),
            "forecast": run_service("tandem_forecast", forecast_models.users),
            "notify": SimpleNamespace(address=notify.address, engine=notify.engine, sync_users=lambda: None)}


@pytest.fixture
def run_service(make_database, serve_grpc, request, monkeypatch):
    """run_service(package, directory) -> a real gRPC server of the service `package`
    (e.g. "tandem_sales") on its own migrated PostgreSQL database, as a namespace with
    `address`, `engine`, `server` and `sync_users()`: apply the gateway's user events to
    the service's directory copy `directory`, as its consumer would."""
    engines = []

    def run(package: str, directory):
        url = make_database(package.removeprefix("tandem_"))
        upgrade(files(package) / "migrations", url)
        engine = make_engine(url)
        register = importlib.import_module(f"{package}.adapters.grpc_server").register
        address, server = serve_grpc(lambda s: register(s, engine))
        # where the other services' servers find it (sales asks leads, leads asks sales)
        monkeypatch.setenv(f"{package.removeprefix('tandem_').upper()}_GRPC_ADDR", address)
        engines.append(engine)

        def sync_users() -> None:
            # `events` needs the app, whose config may need this server's address: asked for late.
            events = request.getfixturevalue("events")
            with transaction(session_factory(engine)) as session:
                for event in events():
                    record_user(session, directory, event.data["user"])

        return SimpleNamespace(address=address, engine=engine, server=server, sync_users=sync_users)

    yield run
    for engine in engines:  # serve_grpc stops the servers
        engine.dispose()
