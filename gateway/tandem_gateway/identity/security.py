"""Password hashing (argon2id) and access tokens (JWT, HS256)."""
from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_ISSUER = "tandem"
DEFAULT_AUDIENCE = "tandem-api"
ALGORITHM = "HS256"
MIN_SECRET_LENGTH = 32  # HS256 keys shorter than the hash output weaken it


class Passwords:
    """argon2id hashes. `verify` runs the KDF even when there is no user, so the
    time a login takes does not tell whether an email exists."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self._hasher.verify(password_hash or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None


class InvalidToken(Exception):
    pass


class Tokens:
    def __init__(
        self,
        secret: str,
        ttl_seconds: int = 3600,
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
    ) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_LENGTH} characters")
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self.issuer, self.audience = issuer, audience

    def issue(self, user_id: str) -> str:
        now = int(time.time())
        claims = {"sub": user_id, "iat": now, "exp": now + self.ttl_seconds, "iss": self.issuer, "aud": self.audience}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def subject(self, token: str) -> str:
        """The user id a valid token speaks for; anything else raises InvalidToken."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # never let the token choose (alg=none, key confusion)
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["sub", "iat", "exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        return claims["sub"]


def load_or_create_secret(path: Path) -> str:
    """The secret in `path`, generated on first use. Created complete or not at all
    (written aside, then hard-linked into place), so processes starting together
    agree on one secret."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=".jwt-secret-")  # mode 0600
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            os.link(scratch, path)
        except FileExistsError:
            pass  # another process won the race; use its secret
        finally:
            os.unlink(scratch)
    return path.read_text().strip()
