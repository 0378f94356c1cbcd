"""JSON in and out: request bodies (and who may name which owner in one), the user
resource, ETags."""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from flask import g, jsonify, request

from ..adapters import repository
from ..identity.domain import ADMIN, SALES_MANAGER, User
from .context import gateway
from .errors import ApiError

USERS_PATH = "/api/v1/users"


DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
PAGE_SIZE_RULE = f"must be an integer from 1 (more than {MAX_PAGE_SIZE} gives {MAX_PAGE_SIZE})"


def page_size(problems: dict[str, str]) -> int:
    """`page_size` from the query string: the default when absent, capped when too
    large; a malformed one is added to `problems` (the caller answers 400 with all)."""
    raw = request.args.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        problems["page_size"] = PAGE_SIZE_RULE
        return DEFAULT_PAGE_SIZE
    return min(size, MAX_PAGE_SIZE)


def json_body() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 `malformed_json`."""
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH raises 413 here
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", "the body must be a JSON object")
    return body


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_json(user: User) -> dict[str, Any]:
    """The public user resource; the password hash never leaves."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "manager_id": user.manager_id,
        "active": user.active,
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
        "version": user.version,
    }


def etag(version: int) -> str:
    return f'"{version}"'


def user_response(body: dict[str, Any], status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["ETag"] = etag(body["version"])
    if status == 201:
        response.headers["Location"] = f"{USERS_PATH}/{body['id']}"
    return response


_ETAG = re.compile(r'^\s*(?:W/)?"(\d+)"\s*$')


def expected_version() -> int | None:
    """The version named by If-Match (None without one, or for `*`)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header)
    if match is None:
        # Not an ETag we ever sent, so it cannot be the current one.
        raise ApiError(412, "version_mismatch", "If-Match does not name a version of this record",
                       {"if_match": header})
    return int(match.group(1))


def opt(message: Any, name: str) -> Any:
    """A proto3 optional field's value, None when unset."""
    return getattr(message, name) if message.HasField(name) else None


SETTINGS_READ_ONLY = ("version", "updated_at", "updated_by")  # sent back by GET; ignored by PUT


def settings_document(message: Any) -> dict[str, Any]:
    """A service's versioned settings document (`document_json`, `version`, `updated_at`,
    `updated_by`) as the JSON clients read and send back."""
    return {**json.loads(message.document_json), "version": message.version,
            "updated_at": opt(message, "updated_at"), "updated_by": opt(message, "updated_by")}


def settings_document_json() -> str:
    """The request's settings document for its service: what GET answered, less the
    server-owned fields."""
    return json.dumps({k: v for k, v in json_body().items() if k not in SETTINGS_READ_ONLY})


def record(body: dict[str, Any], status: int = 200, location: str | None = None):
    """A record's response: its ETag (when it has a version) and, when created, Location."""
    response = jsonify(body)
    response.status_code = status
    if "version" in body:
        response.headers["ETag"] = etag(body["version"])
    if location:
        response.headers["Location"] = location
    return response


def known_params(*names: str) -> dict[str, str]:
    """A problem for each query parameter that is neither in `names` nor a page parameter."""
    return {name: "unknown query parameter" for name in request.args if name not in ("page_size", "page_token", *names)}


def page_params(problems: dict[str, str]) -> dict[str, Any]:
    """`page_size` and `page_token` for a List request; a bad size goes to `problems`."""
    return {"page_size": page_size(problems), "page_token": request.args.get("page_token", "")}


def _owner_refusal(owner_id: Any) -> str | None:
    """Why the caller may not give a record to `owner_id`, or None: admins give to anyone,
    sales managers to themselves and anyone below them, everyone else only to themselves.
    The services hold the same rule (and check that the owner may own it); the gateway
    applies it too because it knows the hierarchy and can name the field."""
    caller = g.user
    if not isinstance(owner_id, str) or owner_id == caller.id or caller.role == ADMIN:
        return None  # a malformed owner_id is a shape problem, found by the route
    if caller.role != SALES_MANAGER:
        return "you may give records only to yourself; a manager or an admin reassigns them"
    with gateway().sessions() as session:
        if repository.get(session, owner_id) is None:
            return None  # no such user: the service says so
        if caller.id in repository.chain_above(session, owner_id):
            return None
    return "you may give records only to yourself or someone below you"


@contextmanager
def owner_checked(owner_id: Any, problems: dict[str, str]) -> Iterator[None]:
    """Around asking a service to create or change a record with `owner_id`: an owner
    the caller may not name joins `problems`, so a 400 names it with every other bad
    field; alone, it is a 403 `forbidden` naming `owner_id`."""
    why = _owner_refusal(owner_id)
    if why is None:
        yield
        return
    problems["owner_id"] = why
    try:
        yield
    except ApiError as exc:
        if exc.code == "validation_failed" and exc.details.get("fields") == {"owner_id": why}:
            raise ApiError(403, "forbidden", why, {"fields": {"owner_id": why}}) from None
        raise
