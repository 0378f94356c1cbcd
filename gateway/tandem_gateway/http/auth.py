"""Bearer tokens on every protected route. The user is re-read on every request,
so a deactivated user's tokens stop working at once."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from ..identity import use_cases
from ..identity.domain import User
from ..identity.security import InvalidToken
from .context import gateway
from .errors import ApiError
from .limits import too_many


def _unauthorized(code: str, message: str, bearer_error: str | None = None) -> ApiError:
    challenge = 'Bearer realm="tandem"' + (f', error="{bearer_error}"' if bearer_error else "")
    return ApiError(401, code, message, headers={"WWW-Authenticate": challenge})


def current_user() -> User:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("unauthenticated", "send Authorization: Bearer <token> (POST /api/v1/auth/token)")
    gw = gateway()
    try:
        user_id = gw.tokens.subject(token.strip())
    except InvalidToken:
        raise _unauthorized("invalid_token", "the token is invalid or expired", "invalid_token") from None
    with gw.reads() as connection:  # once per request: one SELECT
        user = use_cases.active_user(connection, user_id)
    if user is None:
        raise _unauthorized("invalid_token", "the token is invalid or expired", "invalid_token")
    return user


def authenticated(*roles: str):
    """Require a valid token (and one of `roles`, when given) within the user's rate
    limit; the user is `g.user`."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            g.user = current_user()
            wait = gateway().rate_limit.take(g.user.id)
            if wait is not None:
                raise too_many("rate_limited", "too many requests; slow down", wait)
            if roles and g.user.role not in roles:
                raise ApiError(403, "forbidden", f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return guarded

    return decorate
