"""/api/v1/auth/token, /api/v1/me and /api/v1/users: translate HTTP, call identity's use cases."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from flask import Blueprint, g, jsonify, request
from tandem_plumbing.db import transaction

from ..identity import domain, throttle, use_cases
from .auth import authenticated
from .context import gateway
from .errors import ApiError, validation_failed
from .idempotency import HEADER, fingerprint, parse_key, run_once
from .limits import client_address, too_many
from .representations import expected_version, json_body, page_size, user_json, user_response

bp = Blueprint("identity", __name__, url_prefix="/api/v1")


def _invalid_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", "the email or password is incorrect",
                    headers={"WWW-Authenticate": 'Bearer realm="tandem"'})


@bp.post("/auth/token")
def issue_token():
    email, password = domain.parse_credentials(json_body())
    gw = gateway()
    address = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"), gw.config.trusted_proxies)
    try:
        user = throttle.authenticate(
            gw.sessions, gw.passwords, gw.config.login_limits, email, password,
            address=address, now=datetime.now(timezone.utc),
        )
    except throttle.TooManyAttempts as exc:
        raise too_many("too_many_attempts", "too many failed logins; try again later", exc.retry_after) from None
    if user is None:
        raise _invalid_credentials()  # same answer for an unknown email, a wrong password, a deactivated user
    response = jsonify(
        {"access_token": gw.tokens.issue(user.id), "token_type": "bearer", "expires_in": gw.tokens.ttl_seconds}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/me")
@authenticated()
def me():
    return user_response(user_json(g.user))


@bp.post("/users")
@authenticated(domain.ADMIN)
def create_user():
    payload = json_body()
    key = parse_key(request.headers.get(HEADER))
    gw = gateway()

    def create(session):
        user = use_cases.create_user(session, gw.passwords, payload, correlation_id=g.request_id)
        return 201, user_json(user)

    (status, body), replayed = run_once(
        gw.sessions, g.user.id, key, fingerprint(request.method, request.path, payload), create
    )
    response = user_response(body, status)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/users")
@authenticated()
def list_users():
    filters = _list_filters()
    page_size = filters.pop("page_size")
    with gateway().sessions() as session:
        users = use_cases.list_users(session, limit=page_size + 1, **filters)
    more = len(users) > page_size
    users = users[:page_size]
    next_token = _encode_token(users[-1].email) if more else None
    return jsonify({"items": [user_json(user) for user in users], "next_page_token": next_token})


@bp.get("/users/<user_id>")
@authenticated()
def get_user(user_id: str):
    with gateway().sessions() as session:
        return user_response(user_json(use_cases.get_user(session, user_id)))


@bp.patch("/users/<user_id>")
@authenticated()
def update_user(user_id: str):
    payload = json_body()
    version = expected_version()
    gw = gateway()
    with transaction(gw.sessions) as session:
        user = use_cases.update_user(
            session, gw.passwords, g.user, user_id, payload, expected_version=version, correlation_id=g.request_id
        )
    return user_response(user_json(user))


_LIST_PARAMS = ("page_size", "page_token", "role", "manager_id", "active")


def _list_filters() -> dict:
    args = request.args
    problems = {name: "unknown query parameter" for name in args if name not in _LIST_PARAMS}
    filters: dict = {"page_size": page_size(problems)}
    if "page_token" in args:
        try:
            filters["after_email"] = _decode_token(args["page_token"])
        except ValueError:
            problems["page_token"] = "is not a token this API returned"
    if "role" in args:
        if args["role"] not in domain.ROLES:
            problems["role"] = f"must be one of {', '.join(domain.ROLES)}"
        filters["role"] = args["role"]
    if "manager_id" in args:
        filters["manager_id"] = args["manager_id"]
    if "active" in args:
        if args["active"] not in ("true", "false"):
            problems["active"] = "must be true or false"
        filters["active"] = args["active"] == "true"
    if problems:
        raise validation_failed(problems)
    return filters


# Page tokens are opaque to clients: today the last email of the page, base64url.
def _encode_token(email: str) -> str:
    return base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(token) from None
