"""Tokens and password hashes."""
import os
import stat
import time

import jwt
import pytest
from argon2 import PasswordHasher, profiles

from tandem_gateway.identity.security import InvalidToken, Passwords, Tokens, load_or_create_secret

SECRET = "s" * 64


def claims(**overrides):
    now = int(time.time())
    return {"sub": "u1", "iat": now, "exp": now + 60, "iss": "tandem", "aud": "tandem-api", **overrides}


def test_a_token_names_its_user_with_the_standard_claims():
    tokens = Tokens(SECRET, ttl_seconds=120)
    token = tokens.issue("u1")
    assert tokens.subject(token) == "u1"
    header = jwt.get_unverified_header(token)
    body = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert body["iss"] == "tandem" and body["aud"] == "tandem-api"
    assert body["exp"] - body["iat"] == 120


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims(exp=int(time.time()) - 10), SECRET, algorithm="HS256"),  # expired
        jwt.encode(claims(aud="someone-else"), SECRET, algorithm="HS256"),
        jwt.encode(claims(iss="evil"), SECRET, algorithm="HS256"),
        jwt.encode({k: v for k, v in claims().items() if k != "exp"}, SECRET, algorithm="HS256"),
        jwt.encode(claims(), "another-secret-which-is-long-enough!!", algorithm="HS256"),
        jwt.encode(claims(), SECRET, algorithm="HS512"),
        jwt.encode(claims(), None, algorithm="none"),
        "not.a.token",
    ],
    ids=["expired", "wrong-aud", "wrong-iss", "no-exp", "other-key", "hs512", "alg-none", "garbage"],
)
def test_anything_but_a_valid_token_is_refused(token):
    with pytest.raises(InvalidToken):
        Tokens(SECRET).subject(token)


def test_a_tampered_token_is_refused():
    token = Tokens(SECRET).issue("u1")
    header, payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(b'{"sub":"admin","iat":1,"exp":9999999999,"iss":"tandem","aud":"tandem-api"}')
    with pytest.raises(InvalidToken):
        Tokens(SECRET).subject(f"{header}.{forged.decode()}.{signature}")


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError):
        Tokens("short")


def test_passwords_verify_and_run_the_kdf_without_a_user():
    calls = []

    class Counting(PasswordHasher):
        def verify(self, hash, password):
            calls.append(hash)
            return super().verify(hash, password)

    passwords = Passwords(Counting.from_parameters(profiles.CHEAPEST))
    stored = passwords.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "wrong horse")
    assert not passwords.verify(None, "correct horse")
    assert len(calls) == 3  # the unknown user too


def test_the_secret_file_is_created_once_private(tmp_path):
    path = tmp_path / "data" / "jwt-secret"
    first = load_or_create_secret(path)
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["jwt-secret"]  # no scratch files left
