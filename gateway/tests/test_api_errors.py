"""The error format on every path, and X-Request-ID on every response."""
import logging

import pytest

from tandem_gateway.identity import use_cases


def assert_error(response, status: int, code: str):
    assert response.status_code == status
    assert response.is_json
    assert set(response.json) == {"error"}
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert response.json["error"]["code"] == code


def test_an_unknown_route_is_404_in_the_error_format(client):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/v1/me")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_a_body_over_one_mebibyte_is_413(client, admin_auth):
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/api/v1/users", data=big, headers={**admin_auth, "Content-Type": "application/json"})
    assert_error(response, 413, "request_entity_too_large")


def test_an_unexpected_error_is_500_without_a_trace_and_is_logged(client, admin_auth, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(use_cases, "list_users", explode)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/users", headers={**admin_auth, "X-Request-ID": "boom-1"})
    assert_error(response, 500, "internal_error")
    assert b"secret internals" not in response.get_data() and b"Traceback" not in response.get_data()
    assert response.json["error"]["details"] == {"request_id": "boom-1"}
    assert any("boom-1" in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/nothing-here", "/api/v1/me"])
def test_a_sane_request_id_is_echoed(client, path):
    response = client.get(path, headers={"X-Request-ID": "client-id_1.2:3"})
    assert response.headers["X-Request-ID"] == "client-id_1.2:3"


@pytest.mark.parametrize("sent", [None, "", "has spaces", "x" * 129, "new\\nline", "<script>"])
def test_otherwise_a_request_id_is_generated(client, sent):
    headers = {"X-Request-ID": sent} if sent is not None else {}
    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert first != sent and len(first) == 32 and first != second



def test_the_gateway_database_refusing_connections_is_a_retryable_503(pg_url, passwords, free_port):
    """A real refusal (the database stops allowing connections), not a mock: 503 with
    Retry-After, and the same request works again once the database is back."""
    from sqlalchemy import create_engine, make_url, text
    from tandem_plumbing.db import transaction

    from tandem_gateway.config import SERVICES, GatewayConfig
    from tandem_gateway.http import create_app

    from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET

    config = GatewayConfig(database_url=pg_url, jwt_secret=JWT_SECRET, probe_timeout=0.5,
                           service_addrs={name: f"127.0.0.1:{free_port()}" for name in SERVICES})
    app = create_app(config, passwords)
    gw = app.extensions["tandem_gateway"]
    with transaction(gw.sessions) as session:
        use_cases.ensure_admin(session, passwords, ADMIN_EMAIL, ADMIN_PASSWORD)
    client = app.test_client()
    login = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    name = make_url(pg_url).database
    superuser = create_engine(make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with superuser.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
        gw.engine.dispose()
        response = client.post("/api/v1/auth/token", json=login)
        assert_error(response, 503, "database_unavailable")
        assert response.headers["Retry-After"] == "5"
    finally:
        with superuser.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        superuser.dispose()
    assert client.post("/api/v1/auth/token", json=login).status_code == 200
    gw.engine.dispose()
