"""The OpenAPI 3.1 document of the REST API. A test checks that its operations are
exactly the app's routes; the limits quoted come from the code that enforces them."""
from __future__ import annotations

from functools import cache
from importlib.metadata import version as package_version
from typing import Any

from ..identity import domain
from .representations import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from .idempotency import MAX_KEY_LENGTH
from .areas import AREAS
from .openapi_parts import ERROR_RESPONSES, error_response_spec, errors, json_body, ok, operation, query, ref

_DESCRIPTION = f"""\
Tandem's public REST API. JSON in and out.

* **Auth**: `Authorization: Bearer <token>` from `POST /api/v1/auth/token` on every route but
  that one, the public web-to-lead form, the health routes and this description. A deactivated
  user's tokens stop at once.
* **Errors** are always `{{"error": {{"code", "message", "details"}}}}`; a validation error's
  `details.fields` names each bad field. Unknown fields in a body are rejected.
* **Versions**: every record has `version`; single-record responses carry `ETag: "<version>"`.
  `PATCH` honours `If-Match` (optional for users) and answers 412 when it is stale.
* **Idempotency**: every creating `POST` accepts `Idempotency-Key`; a retry with the same key by
  the same caller (the public web form: the same client address) within 24 hours returns the
  first response (`Idempotent-Replayed: true`) and creates nothing; concurrent requests with one
  key create one record; the same key with another body or path gives 422
  `idempotency_key_reused`. Only a successful creation is remembered. After 24 hours a key is
  forgotten.
* **Fields**: server-owned fields (`id`, `version`, `created_at`, `updated_at`, a lead's `score`,
  the status `converted`, ...) and unknown fields give 400 naming each; a sales rep may not give
  a record to someone else (`owner_id`: 403, or with other bad fields one 400 naming them all).
* **Lists**: `page_size` (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}) and the opaque
  `page_token` from the previous page's `next_page_token`.
* **Tracing**: every response carries `X-Request-ID` (yours, when you send a sane one:
  1-128 of `A-Z a-z 0-9 . _ : -`); it is the correlation id of the events the request causes.
* **Users**: admins create users and change anything but the email; any user may change their
  own `name` and `password` (with `current_password`). A manager must be an active
  `admin` or `sales_manager`; the hierarchy never loops; a user with active reports cannot be
  deactivated or lose the manager role; one active admin always remains.
"""


def _user_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "email", "name", "role", "manager_id", "active", "created_at", "updated_at", "version"],
        "properties": {
            "id": {"type": "string", "description": "opaque"},
            "email": {"type": "string", "format": "email", "description": "stored stripped and lower-case"},
            "name": {"type": "string"},
            "role": ref("schemas", "Role"),
            "manager_id": {"type": ["string", "null"]},
            "active": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339 UTC (Z)"},
            "updated_at": {"type": "string", "format": "date-time"},
            "version": {"type": "integer", "minimum": 1},
        },
    }


_PASSWORD = {
    "type": "string",
    "minLength": domain.MIN_PASSWORD_LENGTH,
    "maxLength": domain.MAX_PASSWORD_LENGTH,
    "writeOnly": True,
}


def _schemas() -> dict[str, Any]:
    service_status = {
        "type": "object",
        "required": ["available"],
        "properties": {
            "available": {"type": "boolean"},
            "error": {"type": "string", "description": "why it is unavailable"},
            "version": {"type": "string"},
            "schema_revision": {"type": "string"},
            "outbox_pending": {"type": "integer"},
            "outbox_unroutable": {"type": "integer"},
            "started_at": {"type": "string", "format": "date-time"},
        },
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "details"],
                    "properties": {
                        "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                        "message": {"type": "string"},
                        "details": {"type": "object"},
                    },
                }
            },
        },
        "Role": {"type": "string", "enum": list(domain.ROLES)},
        "TokenRequest": {
            "type": "object",
            "required": ["email", "password"],
            "additionalProperties": False,
            "properties": {"email": {"type": "string"}, "password": {"type": "string", "writeOnly": True}},
        },
        "Token": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in"],
            "properties": {
                "access_token": {"type": "string", "description": "a JWT (HS256)"},
                "token_type": {"const": "bearer"},
                "expires_in": {"type": "integer", "description": "seconds"},
            },
        },
        "User": _user_schema(),
        "UserCreate": {
            "type": "object",
            "required": ["email", "name", "password", "role"],
            "additionalProperties": False,
            "properties": {
                "email": {"type": "string", "format": "email", "maxLength": domain.MAX_EMAIL_LENGTH},
                "name": {"type": "string", "minLength": 1, "maxLength": domain.MAX_NAME_LENGTH},
                "password": _PASSWORD,
                "role": ref("schemas", "Role"),
                "manager_id": {"type": ["string", "null"], "description": "an active admin or sales_manager"},
            },
        },
        "UserPatch": {
            "type": "object",
            "additionalProperties": False,
            "description": "Admins: any field. Others, on themselves: name, password (with current_password).",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": domain.MAX_NAME_LENGTH},
                "role": ref("schemas", "Role"),
                "manager_id": {"type": ["string", "null"]},
                "active": {"type": "boolean", "description": "false deactivates: tokens stop working at once"},
                "password": _PASSWORD,
                "current_password": {
                    "type": "string",
                    "writeOnly": True,
                    "description": "required when a non-admin changes their own password; checked whenever sent",
                },
            },
        },
        "UserList": {
            "type": "object",
            "required": ["items", "next_page_token"],
            "properties": {
                "items": {"type": "array", "items": ref("schemas", "User")},
                "next_page_token": {"type": ["string", "null"]},
            },
        },
        "Health": {"type": "object", "properties": {"status": {"const": "ok"}}},
        "Ready": {
            "type": "object",
            "properties": {
                "status": {"const": "ready"},
                "database": {"const": "ok"},
                "services": {"type": "object", "additionalProperties": {"const": "serving"}},
            },
        },
        "ServiceStatus": service_status,
        "SystemStatus": {
            "type": "object",
            "properties": {"services": {"type": "object", "additionalProperties": ref("schemas", "ServiceStatus")}},
        },
    }


def _parameters() -> dict[str, Any]:
    return {
        "UserId": {"name": "user_id", "in": "path", "required": True, "schema": {"type": "string"}},
        "IfMatch": {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
            "description": "the ETag last read; a stale one gives 412 version_mismatch",
        },
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "description": "a retry with the same key within 24 hours returns the first response "
                           "(Idempotent-Replayed: true) and creates nothing; concurrent requests with one key "
                           "create one record; another body gives 422 idempotency_key_reused",
        },
        "PageSize": query("page_size", {"type": "integer", "minimum": 1, "default": DEFAULT_PAGE_SIZE},
                          f"larger than {MAX_PAGE_SIZE} gives {MAX_PAGE_SIZE}"),
        "PageToken": query("page_token", {"type": "string"}, "next_page_token of the previous page"),
        "Role": query("role", ref("schemas", "Role"), "only users with this role"),
        "ManagerId": query("manager_id", {"type": "string"}, "only the direct reports of this user"),
        "Active": query("active", {"type": "string", "enum": ["true", "false"]}, "only (de)activated users"),
    }


def _paths() -> dict[str, Any]:
    user_id = ref("parameters", "UserId")
    return {
        "/healthz": {"get": operation("The process is alive", "ops", {"200": ok("alive", "Health")}, public=True)},
        "/readyz": {
            "get": operation(
                "The database and every service behind the gateway answer",
                "ops",
                {"200": ok("ready", "Ready"), **errors(503)},
                public=True,
            )
        },
        "/docs": {
            "get": operation(
                "This document as a page",
                "ops",
                {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}},
                public=True,
            )
        },
        "/api/v1/openapi.json": {
            "get": operation(
                "This document",
                "ops",
                {"200": {"description": "OpenAPI 3.1",
                         "content": {"application/json": {"schema": {"type": "object"}}}}},
                public=True,
            )
        },
        "/api/v1/system/status": {
            "get": operation(
                "Version, schema revision and outbox backlog of the gateway and each service (admin)",
                "ops",
                {"200": ok("one entry per service; one that does not answer is available: false", "SystemStatus"),
                 **errors(401, 403)},
            )
        },
        "/api/v1/auth/token": {
            "post": operation(
                "Exchange email and password for an access token",
                "identity",
                {"200": ok("a bearer token", "Token"), **errors(400, 401, 413, 429)},
                public=True,
                description="Wrong password, unknown email and deactivated user get the same 401. Too many "
                "failures for the email or from the address: 429 until the window has passed.",
                requestBody={"required": True, "content": json_body("TokenRequest")},
            )
        },
        "/api/v1/me": {
            "get": operation("The caller", "identity", {"200": ok("the caller", "User", etag=True), **errors(401)})
        },
        "/api/v1/users": {
            "get": operation(
                "List users, ordered by email",
                "identity",
                {"200": ok("a page of users", "UserList"), **errors(400, 401)},
                parameters=[
                    ref("parameters", name) for name in ("PageSize", "PageToken", "Role", "ManagerId", "Active")
                ],
            ),
            "post": operation(
                "Create a user (admin); emits user_created",
                "identity",
                {
                    "201": ok("created (or the first response, replayed)", "User", etag=True, extra_headers={
                        "Location": {"schema": {"type": "string"}},
                        "Idempotent-Replayed": {"description": "true on a replay", "schema": {"type": "string"}},
                    }),
                    **errors(400, 401, 403, 409, 413, 422),
                },
                parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_body("UserCreate")},
            ),
        },
        "/api/v1/users/{user_id}": {
            "parameters": [user_id],
            "get": operation("One user", "identity", {"200": ok("the user", "User", etag=True), **errors(401, 404)}),
            "patch": operation(
                "Change a user; emits user_changed when anything changed",
                "identity",
                {"200": ok("the user after the change", "User", etag=True),
                 **errors(400, 401, 403, 404, 412, 413, 422)},
                parameters=[ref("parameters", "IfMatch")],
                requestBody={"required": True, "content": json_body("UserPatch")},
            ),
        },
    }


@cache
def document() -> dict[str, Any]:
    tags = [{"name": "identity", "description": "users, roles, hierarchy, tokens"},
            {"name": "ops", "description": "health and discovery"}]
    paths, schemas = _paths(), _schemas()
    for area in AREAS:
        fragment = area.openapi_fragment()
        tags += fragment["tags"]
        paths.update(fragment["paths"])
        schemas.update(fragment["schemas"])
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tandem API", "version": package_version("tandem-gateway"), "description": _DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": schemas,
            "parameters": _parameters(),
            "headers": {
                "XRequestId": {"description": "the request's id (the correlation id of its events)",
                               "schema": {"type": "string"}},
                "ETag": {"description": 'the record\'s version, "<version>"', "schema": {"type": "string"}},
            },
            "responses": {name: error_response_spec(status, text) for status, (name, text) in ERROR_RESPONSES.items()},
        },
    }
