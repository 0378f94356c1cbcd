"""/api/v1/notifications, /notification-preferences and /notification-settings: the
caller's inbox and preferences, the admin's settings; the notify service answers."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, request
from tandem.notify.v1 import notify_pb2 as pb
from tandem.notify.v1.notify_pb2_grpc import NotificationsStub

from ..identity.domain import ADMIN
from .auth import authenticated
from .errors import validation_failed
from .openapi_parts import errors, json_body as json_content, ok, operation, ref
from .representations import expected_version, json_body, page_size, record
from .services import ask

bp = Blueprint("notifications", __name__, url_prefix="/api/v1")

SERVICE = "notify"
_INBOX_PARAMS = ("unread", "page_size", "page_token")


def _ask(method: str, message: Any) -> Any:
    return ask(SERVICE, NotificationsStub, method, message)


def _notification_json(note: pb.Notification) -> dict[str, Any]:
    return {
        "id": note.id,
        "kind": note.kind,
        "title": note.title,
        "body": note.body,
        "data": dict(sorted(note.data.items())),
        "created_at": note.created_at,
        "read_at": note.read_at or None,
        "version": note.version,
    }


def _preferences_json(preferences: pb.Preferences) -> dict[str, Any]:
    channels = {name: dict(sorted(channel.kinds.items())) for name, channel in sorted(preferences.channels.items())}
    return {**channels, "version": preferences.version}


def _settings_json(settings: pb.Settings) -> dict[str, Any]:
    return {"hot_lead_threshold": settings.hot_lead_threshold, "version": settings.version}


def _version_kwargs() -> dict[str, int]:
    version = expected_version()
    return {} if version is None else {"expected_version": version}


def _inbox_query() -> pb.ListNotificationsRequest:
    args = request.args
    problems = {name: "unknown query parameter" for name in args if name not in _INBOX_PARAMS}
    query = pb.ListNotificationsRequest(page_size=page_size(problems), page_token=args.get("page_token", ""))
    if "unread" in args:
        if args["unread"] not in ("true", "false"):
            problems["unread"] = "must be true or false"
        query.unread_only = args["unread"] == "true"
    if problems:
        raise validation_failed(problems)
    return query


@bp.get("/notifications")
@authenticated()
def list_notifications():
    page = _ask("ListNotifications", _inbox_query())
    return jsonify({"items": [_notification_json(note) for note in page.items],
                    "next_page_token": page.next_page_token or None})


@bp.post("/notifications/<notification_id>/read")
@authenticated()
def mark_read(notification_id: str):
    return record(_notification_json(_ask("MarkRead", pb.MarkReadRequest(id=notification_id))))


@bp.post("/notifications/read-all")
@authenticated()
def mark_all_read():
    return jsonify({"marked": _ask("MarkAllRead", pb.MarkAllReadRequest()).marked})


@bp.get("/notification-preferences")
@authenticated()
def get_preferences():
    return record(_preferences_json(_ask("GetPreferences", pb.GetPreferencesRequest())))


@bp.put("/notification-preferences")
@authenticated()
def set_preferences():
    message = pb.SetPreferencesRequest(document_json=json.dumps(json_body()), **_version_kwargs())
    return record(_preferences_json(_ask("SetPreferences", message)))


@bp.get("/notification-settings")
@authenticated()
def get_settings():
    return record(_settings_json(_ask("GetSettings", pb.GetSettingsRequest())))


@bp.put("/notification-settings")
@authenticated(ADMIN)
def set_settings():
    message = pb.SetSettingsRequest(document_json=json.dumps(json_body()), **_version_kwargs())
    return record(_settings_json(_ask("SetSettings", message)))


# -- OpenAPI -----------------------------------------------------------------------------------
KINDS = ["lead_assigned", "hot_lead", "referral_update"]
_TAG = "notifications"


def _switches(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": False,
        "properties": {kind: {"type": "boolean"} for kind in KINDS},
    }


def _schemas() -> dict[str, Any]:
    return {
        "Notification": {
            "type": "object",
            "required": ["id", "kind", "title", "body", "data", "created_at", "read_at", "version"],
            "properties": {
                "id": {"type": "string"},
                "kind": {"type": "string", "enum": KINDS},
                "title": {"type": "string"},
                "body": {"type": "string"},
                "data": {
                    "type": "object",
                    "description": "ids to link, as present: lead_id, referral_id, case_id, agent_id, "
                                   "assignee_id, owner_id",
                    "additionalProperties": {"type": "string"},
                },
                "created_at": {"type": "string", "format": "date-time"},
                "read_at": {"type": ["string", "null"], "format": "date-time"},
                "version": {"type": "integer", "minimum": 1},
            },
        },
        "NotificationList": {
            "type": "object",
            "required": ["items", "next_page_token"],
            "properties": {
                "items": {"type": "array", "items": ref("schemas", "Notification")},
                "next_page_token": {"type": ["string", "null"]},
            },
        },
        "MarkAllReadResult": {
            "type": "object",
            "required": ["marked"],
            "properties": {"marked": {"type": "integer", "description": "how many were unread"}},
        },
        "NotificationPreferences": {
            "type": "object",
            "required": ["in_app", "email", "version"],
            "properties": {
                "in_app": _switches("the inbox; on for every kind by default"),
                "email": _switches("email (when the service has SMTP_HOST); by default on for lead_assigned "
                                   "and hot_lead, off for referral_update"),
                "version": {"type": "integer", "minimum": 0, "description": "0 while the defaults apply"},
            },
        },
        "NotificationPreferencesUpdate": {
            "type": "object",
            "additionalProperties": False,
            "description": "Replaces the caller's choices: a channel or kind left out takes its default. "
                           "Each unknown channel (`sms`) or kind (`email.hot`) is named in details.fields.",
            "properties": {"in_app": _switches("the inbox"), "email": _switches("email")},
        },
        "NotificationSettings": {
            "type": "object",
            "required": ["hot_lead_threshold", "version"],
            "properties": {
                "hot_lead_threshold": {"type": "integer", "minimum": 0, "maximum": 100, "default": 80,
                                       "description": "a lead scoring at or above it alerts its owner and "
                                                      "the owner's manager, once"},
                "version": {"type": "integer", "minimum": 0, "description": "0 while the defaults apply"},
            },
        },
        "NotificationSettingsUpdate": {
            "type": "object",
            "required": ["hot_lead_threshold"],
            "additionalProperties": False,
            "properties": {"hot_lead_threshold": {"type": "integer", "minimum": 0, "maximum": 100}},
        },
    }


def _paths() -> dict[str, Any]:
    unread = {"name": "unread", "in": "query", "required": False,
              "schema": {"type": "string", "enum": ["true", "false"]}, "description": "true: only unread ones"}
    if_match = ref("parameters", "IfMatch")
    return {
        "/api/v1/notifications": {
            "get": operation(
                "The caller's notifications, newest first",
                _TAG,
                {"200": ok("a page of notifications", "NotificationList"), **errors(400, 401, 503)},
                parameters=[unread, ref("parameters", "PageSize"), ref("parameters", "PageToken")],
            )
        },
        "/api/v1/notifications/{notification_id}/read": {
            "parameters": [{"name": "notification_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": operation(
                "Mark one of the caller's notifications read (idempotent: read_at stays the first one)",
                _TAG,
                {"200": ok("the notification", "Notification", etag=True), **errors(401, 404, 503)},
                description="Another user's notification is 404, as an unknown one is.",
            ),
        },
        "/api/v1/notifications/read-all": {
            "post": operation(
                "Mark every unread notification of the caller read",
                _TAG,
                {"200": ok("how many were marked", "MarkAllReadResult"), **errors(401, 503)},
            )
        },
        "/api/v1/notification-preferences": {
            "get": operation(
                "The caller's preferences: every channel and kind, defaults filled in",
                _TAG,
                {"200": ok("the preferences", "NotificationPreferences", etag=True), **errors(401, 503)},
            ),
            "put": operation(
                "Replace the caller's preferences; a channel turned off gets nothing of that kind",
                _TAG,
                {"200": ok("the preferences now", "NotificationPreferences", etag=True),
                 **errors(400, 401, 412, 413, 503)},
                parameters=[if_match],
                description="If-Match is optional; when sent and stale, 412 version_mismatch.",
                requestBody={"required": True, "content": json_content("NotificationPreferencesUpdate")},
            ),
        },
        "/api/v1/notification-settings": {
            "get": operation(
                "The notification settings (any user may read them)",
                _TAG,
                {"200": ok("the settings", "NotificationSettings", etag=True), **errors(401, 503)},
            ),
            "put": operation(
                "Replace the notification settings (admin)",
                _TAG,
                {"200": ok("the settings now", "NotificationSettings", etag=True),
                 **errors(400, 401, 403, 412, 413, 503)},
                parameters=[if_match],
                description="If-Match is optional; when sent and stale, 412 version_mismatch. "
                            "A threshold outside 0-100 is 400 naming hot_lead_threshold.",
                requestBody={"required": True, "content": json_content("NotificationSettingsUpdate")},
            ),
        },
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    tag = {"name": _TAG, "description": "the caller's inbox and preferences; the admin's notification settings"}
    return {"tags": [tag], "paths": _paths(), "schemas": _schemas()}
