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
