"""POST /api/v1/auth/token and bearer tokens on protected routes."""
import pytest


def test_a_token_for_the_right_password(client, admin, admin_credentials):
    email, password = admin_credentials
    response = client.post("/api/v1/auth/token", json={"email": f"  {email.upper()} ", "password": password})
    assert response.status_code == 200
    assert response.json["token_type"] == "bearer"
    assert response.json["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['access_token']}"})
    assert me.status_code == 200
    assert me.json["email"] == email
    assert me.headers["ETag"] == f'"{me.json["version"]}"'


def test_unknown_email_wrong_password_and_deactivated_user_look_the_same(
    client, admin, admin_auth, admin_credentials, make_user
):
    user, _ = make_user()
    client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=admin_auth)
    attempts = [
        {"email": "nobody@example.com", "password": "whatever-123"},
        {"email": admin_credentials[0], "password": "wrong-password"},
        {"email": user["email"], "password": "password-123"},  # right password, deactivated
    ]
    responses = [client.post("/api/v1/auth/token", json=body) for body in attempts]
    assert {r.status_code for r in responses} == {401}
    assert {r.get_data() for r in responses} == {responses[0].get_data()}
    assert responses[0].json["error"]["code"] == "invalid_credentials"


def test_an_unknown_email_still_runs_the_password_hash(client, gw, admin, monkeypatch):
    verified = []
    original = gw.passwords.verify
    monkeypatch.setattr(gw.passwords, "verify", lambda h, p: verified.append(h) or original(h, p))
    client.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": "whatever-123"})
    assert verified == [None]  # Passwords.verify(None, ...) hashes against a dummy


@pytest.mark.parametrize(
    "body, fields",
    [({"email": "a@b.co"}, {"password"}), ({"email": 1, "password": "x", "otp": "1"}, {"email", "otp"})],
)
def test_token_request_validation(client, body, fields):
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "validation_failed"
    assert set(response.json["error"]["details"]["fields"]) == fields


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic YWRtaW46YWRtaW4="])
def test_no_token_gets_401(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/users", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tandem"'


def test_a_deactivated_users_token_stops_working_at_once(client, admin_auth, make_user):
    user, auth = make_user()
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=admin_auth)
    response = client.get("/api/v1/me", headers=auth)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"
