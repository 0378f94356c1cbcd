"""/healthz, /readyz and /api/v1/system/status against real gRPC servers."""
import time
from importlib.metadata import version

import pytest
from sqlalchemy import MetaData
from tandem_plumbing.db import make_engine, transaction
from tandem_plumbing.grpc_client import close_channels
from tandem_plumbing.grpc_server import build_server
from tandem_plumbing.ops import add_ops
from tandem_plumbing.outbox import add_plumbing_tables

from tandem_gateway.config import SERVICES, GatewayConfig
from tandem_gateway.http import create_app
from tandem_gateway.identity import use_cases


@pytest.fixture
def env_app(monkeypatch, pg_url, passwords, free_port):
    """An app configured from the environment the way `serve` does; returns
    (app, {service: port}) with every <SERVICE>_GRPC_ADDR on a free port."""
    ports = {name: free_port() for name in SERVICES}
    monkeypatch.setenv("GATEWAY_DATABASE_URL", pg_url)
    monkeypatch.setenv("JWT_SECRET", "y" * 48)
    for name, port in ports.items():
        monkeypatch.setenv(f"{name.upper()}_GRPC_ADDR", f"127.0.0.1:{port}")
    close_channels()  # an earlier test may have seen one of these port numbers down
    app = create_app(GatewayConfig.from_env(), passwords)
    yield app, ports
    app.extensions["tandem_gateway"].engine.dispose()
    close_channels()


@pytest.fixture
def grpc_servers():
    started = []

    def start(port, register=lambda server: []):
        server, _health = build_server(f"127.0.0.1:{port}", register)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(0)


def test_healthz(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_readyz_names_every_service_that_does_not_answer(env_app):
    app, _ = env_app
    started = time.monotonic()
    response = app.test_client().get("/readyz")
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json["error"]["code"] == "not_ready"
    assert response.json["error"]["details"]["unavailable"] == sorted(SERVICES)


def test_readyz_is_ready_when_every_service_serves(env_app, grpc_servers):
    app, ports = env_app
    for port in ports.values():
        grpc_servers(port)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "database": "ok", "services": {n: "serving" for n in SERVICES}}


def test_readyz_names_the_one_missing(env_app, grpc_servers):
    app, ports = env_app
    for name, port in ports.items():
        if name != "forecast":
            grpc_servers(port)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["error"]["details"]["unavailable"] == ["forecast"]


def test_system_status_reports_each_service_and_never_fails_whole(
    env_app, grpc_servers, admin_credentials, tmp_path
):
    app, ports = env_app
    client = app.test_client()
    gw = app.extensions["tandem_gateway"]
    with transaction(gw.sessions) as session:
        use_cases.ensure_admin(session, gw.passwords, *admin_credentials)
    token = client.post("/api/v1/auth/token", json=dict(zip(("email", "password"), admin_credentials))).json
    auth = {"Authorization": f"Bearer {token['access_token']}"}

    # leads: a real Ops servicer on its own database; sales: up but without Ops; the rest: down.
    leads_db = f"sqlite:///{tmp_path / 'leads.db'}"
    metadata = MetaData()
    add_plumbing_tables(metadata)
    leads_engine = make_engine(leads_db)
    metadata.create_all(leads_engine)
    grpc_servers(ports["leads"], lambda server: [add_ops(server, "leads", "9.9.9", leads_engine, metadata)])
    grpc_servers(ports["sales"])

    started = time.monotonic()
    response = client.get("/api/v1/system/status", headers=auth)
    assert time.monotonic() - started < 2
    assert response.status_code == 200
    services = response.json["services"]
    assert set(services) == {"gateway", *SERVICES}
    assert services["gateway"] == {
        "available": True,
        "version": version("tandem-gateway"),
        "schema_revision": "0003",
        "outbox_pending": 1,  # the admin's user_created
        "outbox_unroutable": 0,
    }
    assert services["leads"]["available"] is True
    assert (services["leads"]["version"], services["leads"]["outbox_pending"]) == ("9.9.9", 0)
    assert services["sales"]["available"] is False and "UNIMPLEMENTED" in services["sales"]["error"]
    for name in ("service_desk", "forecast", "notify"):
        assert services[name]["available"] is False and services[name]["error"]
    leads_engine.dispose()


def test_system_status_is_for_admins(client, make_user):
    _, auth = make_user(role="sales_manager")
    assert client.get("/api/v1/system/status", headers=auth).status_code == 403
    assert client.get("/api/v1/system/status").status_code == 401
