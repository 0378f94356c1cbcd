"""Every error leaves as `{"error": {"code", "message", "details"}}`."""
from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, g, jsonify
from tandem_plumbing.grpc_client import ServiceUnavailable
from tandem_plumbing.rpc import RpcFailure
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from ..identity import domain

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}


def validation_failed(fields: dict[str, str]) -> ApiError:
    return ApiError(400, "validation_failed", "the request has invalid fields", {"fields": fields})


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None, headers=None):
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _from_domain(exc: domain.IdentityError) -> ApiError:
    if isinstance(exc, domain.ValidationFailed):
        return validation_failed(exc.fields)
    if isinstance(exc, domain.UserNotFound):
        return ApiError(404, "not_found", "no such user")
    if isinstance(exc, domain.EmailTaken):
        return ApiError(409, "email_taken", str(exc), {"existing_id": exc.existing_id} if exc.existing_id else {})
    if isinstance(exc, domain.NotAllowed):
        return ApiError(403, "forbidden", str(exc))
    if isinstance(exc, domain.VersionMismatch):
        return ApiError(412, "version_mismatch", "the user changed since you read it; read it again",
                        {"current_version": exc.current_version})
    if isinstance(exc, domain.RuleViolation):
        return ApiError(422, exc.code, str(exc), {"fields": exc.fields} if exc.fields else {})
    log.error("no HTTP mapping for %r", exc)
    return _internal_error()


def _internal_error() -> ApiError:
    return ApiError(500, "internal_error", "something went wrong on our side; it has been logged",
                    {"request_id": g.get("request_id")})


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(domain.IdentityError)
    def identity_error(exc: domain.IdentityError):
        return api_error(_from_domain(exc))

    @app.errorhandler(RpcFailure)
    def service_failure(exc: RpcFailure):
        # A service said no (validation, not found, conflict, a business rule, ...).
        current = exc.details.get("current_version") if exc.kind == "stale" else None
        headers = {"ETag": f'"{current}"'} if isinstance(current, int) else None  # what If-Match should say now
        return error_response(exc.http_status, exc.code, exc.message, exc.details, headers)

    @app.errorhandler(ServiceUnavailable)
    def service_unavailable(exc: ServiceUnavailable):
        return error_response(503, "service_unavailable", f"the {exc.service} service is not answering; try again",
                              {"service": exc.service}, {"Retry-After": "5"})

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc: Exception):
        # The gateway's own database refused or dropped the connection (down, "too many
        # clients", locked): nothing was committed, so the client may retry.
        log.warning("gateway database unavailable in request %s: %s", g.get("request_id"), str(exc).splitlines()[0])
        return error_response(503, "database_unavailable", "the gateway's database is not answering; try again",
                              headers={"Retry-After": "5"})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Routing and protocol errors raised by Flask itself (404, 405, 413, ...).
        if exc.code in (None, 500):
            return api_error(_internal_error())
        allow = {k: v for k, v in exc.get_headers() if k == "Allow"}
        return error_response(exc.code, _snake(exc.name), exc.description or exc.name, headers=allow)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error in request %s", g.get("request_id"))
        return api_error(_internal_error())
