"""Building blocks of the OpenAPI document, shared by every area's route module
(each module describes its own operations next to its routes)."""
from __future__ import annotations

from typing import Any


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def json_body(schema_name: str) -> dict[str, Any]:
    return {"application/json": {"schema": ref("schemas", schema_name)}}


def ok(description: str, schema_name: str, *, etag: bool = False, extra_headers: dict | None = None) -> dict:
    headers = {"X-Request-ID": ref("headers", "XRequestId")}
    if etag:
        headers["ETag"] = ref("headers", "ETag")
    headers.update(extra_headers or {})
    return {"description": description, "headers": headers, "content": json_body(schema_name)}


def query(name: str, schema: dict, description: str) -> dict[str, Any]:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def errors(*statuses: int) -> dict[str, Any]:
    return {str(status): ref("responses", ERROR_RESPONSES[status][0]) for status in (*statuses, 500)}


def operation(summary: str, tag: str, responses: dict, *, public: bool = False, **extra) -> dict[str, Any]:
    op = {"summary": summary, "tags": [tag], "responses": responses, **extra}
    if public:
        op["security"] = []
    else:  # every authenticated route is under the per-user rate limit
        op["responses"] = {**responses, "429": ref("responses", ERROR_RESPONSES[429][0])}
    return op


ERROR_RESPONSES = {
    400: ("BadRequest", "malformed_json, or validation_failed with details.fields naming each bad field"),
    401: ("Unauthorized", "unauthenticated or invalid_token (invalid_credentials for the token route)"),
    403: ("Forbidden", "forbidden: the caller's role may not do this"),
    404: ("NotFound", "not_found"),
    409: ("Conflict", "a duplicate: email_taken or duplicate_lead, with details.existing_id"),
    412: ("PreconditionFailed", "version_mismatch: If-Match is stale; details.current_version"),
    413: ("PayloadTooLarge", "request_entity_too_large: the body is larger than GATEWAY_MAX_BODY_BYTES (1 MiB)"),
    422: ("Unprocessable", "a business rule said no: invalid_manager, has_direct_reports, last_admin, "
                           "current_password_incorrect, idempotency_key_reused, invalid_owner, "
                           "invalid_status_change, case_has_no_contact, stage_requirements_unmet (details.missing), "
                           "..."),
    428: ("PreconditionRequired", "precondition_required: this change needs If-Match with the record's ETag"),
    429: ("TooManyRequests", "rate_limited (the caller's requests a minute) or too_many_attempts (failed logins "
                             "for the email or from the address); Retry-After and details.retry_after: seconds"),
    500: ("InternalError", "internal_error: logged with the request id, no stack trace"),
    503: ("Unavailable", "not_ready (details.unavailable names what does not answer), or "
                         "service_unavailable (details.service; Retry-After)"),
}


def error_response_spec(status: int, description: str) -> dict[str, Any]:
    headers = {"X-Request-ID": ref("headers", "XRequestId")}
    if status == 401:
        headers["WWW-Authenticate"] = {"description": 'Bearer realm="tandem"', "schema": {"type": "string"}}
    if status == 429:
        headers["Retry-After"] = {"description": "seconds to wait", "schema": {"type": "integer"}}
    return {"description": description, "headers": headers, "content": json_body("Error")}
