"""Bearer tokens that must not work: each answers 401 `invalid_token` with a Bearer challenge."""
import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from tandem_gateway.config import GatewayConfig
from tandem_gateway.http import create_app


def _claims(user_id, **overrides):
    now = int(time.time())
    return {"sub": user_id, "iat": now, "exp": now + 60, "iss": "tandem", "aud": "tandem-api", **overrides}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hand_made(header: dict, claims: dict, key: str) -> str:
    """A token whose header says what we like, signed HMAC-SHA256 with `key`."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _tampered_payload(uid, key):
    header, _, signature = jwt.encode(_claims(uid), key, algorithm="HS256").split(".")
    forged = _b64(json.dumps(_claims(uid, exp=int(time.time()) + 10**6)).encode())
    return f"{header}.{forged}.{signature}"


BAD_TOKENS = {
    "expired": lambda uid, key: jwt.encode(_claims(uid, exp=int(time.time()) - 5), key, algorithm="HS256"),
    "tampered-signature": lambda uid, key: jwt.encode(_claims(uid), key, algorithm="HS256")[:-4] + "AAAA",
    "tampered-payload": _tampered_payload,
    "alg-none": lambda uid, key: jwt.encode(_claims(uid), None, algorithm="none"),
    "alg-none-with-signature": lambda uid, key: _hand_made({"alg": "none", "typ": "JWT"}, _claims(uid), key),
    "hs512": lambda uid, key: jwt.encode(_claims(uid), key, algorithm="HS512"),
    # Key confusion: an RS256 header over an HMAC made with a key the server holds.
    "rs256-confusion": lambda uid, key: _hand_made({"alg": "RS256", "typ": "JWT"}, _claims(uid), key),
    "wrong-issuer": lambda uid, key: jwt.encode(_claims(uid, iss="evil"), key, algorithm="HS256"),
    "wrong-audience": lambda uid, key: jwt.encode(_claims(uid, aud="other-api"), key, algorithm="HS256"),
    "no-exp": lambda uid, key: jwt.encode(
        {k: v for k, v in _claims(uid).items() if k != "exp"}, key, algorithm="HS256"
    ),
    "no-aud": lambda uid, key: jwt.encode(
        {k: v for k, v in _claims(uid).items() if k != "aud"}, key, algorithm="HS256"
    ),
    "other-key": lambda uid, key: jwt.encode(_claims(uid), "x" * 64, algorithm="HS256"),
    "unknown-user": lambda uid, key: jwt.encode(_claims("no-such-user"), key, algorithm="HS256"),
    "garbage": lambda uid, key: "not.a.token",
    "not-even-dots": lambda uid, key: "garbage",
}


def _assert_refused(response):
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tandem", error="invalid_token"'


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the hs512 case, on purpose
@pytest.mark.parametrize("name", BAD_TOKENS)
def test_a_bad_token_gets_401(client, gw, admin, name):
    token = BAD_TOKENS[name](admin.id, gw.config.jwt_secret)
    _assert_refused(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}))


def test_a_good_token_made_the_same_way_works(client, gw, admin):
    # The counterpart of the cases above: only what each changed made it fail.
    token = jwt.encode(_claims(admin.id), gw.config.jwt_secret, algorithm="HS256")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_issuer_and_audience_come_from_the_configuration(config, passwords, admin, admin_credentials, admin_auth):
    email, password = admin_credentials
    custom = GatewayConfig(
        database_url=config.database_url, jwt_secret=config.jwt_secret, jwt_issuer="crm.example", jwt_audience="crm"
    )
    app = create_app(custom, passwords)
    try:
        client = app.test_client()
        _assert_refused(client.get("/api/v1/me", headers=admin_auth))  # same key, default iss/aud
        token = client.post("/api/v1/auth/token", json={"email": email, "password": password}).json["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["iss"], claims["aud"]) == ("crm.example", "crm")
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        app.extensions["tandem_gateway"].engine.dispose()
