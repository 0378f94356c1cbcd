"""`tandem.notify.v1.Notifications`: thin servicer methods that call use cases as the
calling user (`caller_from`) and translate the domain's errors into RpcFailures."""
from __future__ import annotations

import functools
import json
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import Engine
from tandem.notify.v1 import notify_pb2, notify_pb2_grpc
from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.rpc import RpcFailure, caller_from, rpc_method

from .. import domain, use_cases


def _rpc(method):
    """`rpc_method`, with the domain's errors as the failures the gateway maps."""

    @functools.wraps(method)
    def translated(self, request, context):
        try:
            return method(self, request, context)
        except domain.Invalid as exc:
            raise RpcFailure("invalid", "validation_failed", "the request has invalid fields",
                             {"fields": exc.fields}) from None
        except domain.NotFound as exc:
            raise RpcFailure("not_found", "not_found", str(exc)) from None
        except domain.Forbidden as exc:
            raise RpcFailure("forbidden", "forbidden", str(exc)) from None
        except domain.Stale as exc:
            raise RpcFailure("stale", "version_mismatch", "it changed since you read it; read it again",
                             {"current_version": exc.current_version}) from None

    return rpc_method(translated)


def _user(context) -> str:
    """The calling person's id (metadata; refused: no caller, or a system caller)."""
    return use_cases.user_of(caller_from(context))


def _document(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise domain.Invalid({"body": f"is not valid JSON: {exc}"}) from None


def _expected(request) -> int | None:
    return request.expected_version if request.HasField("expected_version") else None


def _rfc3339(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite hands back the UTC time it stored, without a zone
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _notification(row: Mapping[str, Any]) -> notify_pb2.Notification:
    return notify_pb2.Notification(
        id=row["id"], kind=row["kind"], title=row["title"], body=row["body"], data=row["data"],
        created_at=_rfc3339(row["created_at"]), read_at=_rfc3339(row["read_at"]), version=row["version"],
    )


def _preferences(preferences: domain.Preferences) -> notify_pb2.Preferences:
    return notify_pb2.Preferences(
        channels={name: notify_pb2.ChannelPreferences(kinds=kinds) for name, kinds in preferences.channels.items()},
        version=preferences.version,
    )


def _settings(settings: domain.Settings) -> notify_pb2.Settings:
    return notify_pb2.Settings(hot_lead_threshold=settings.hot_lead_threshold, version=settings.version)


class NotificationsServicer(notify_pb2_grpc.NotificationsServicer):
    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    @_rpc
    def ListNotifications(self, request, context):
        user_id = _user(context)
        with self.sessions() as session:
            rows, next_token = use_cases.list_notifications(
                session, user_id, unread_only=request.unread_only,
                page_size=request.page_size or use_cases.DEFAULT_PAGE_SIZE, page_token=request.page_token,
            )
        return notify_pb2.NotificationPage(items=[_notification(row) for row in rows], next_page_token=next_token)

    @_rpc
    def MarkRead(self, request, context):
        user_id = _user(context)
        with transaction(self.sessions) as session:
            return _notification(use_cases.mark_read(session, user_id, request.id))

    @_rpc
    def MarkAllRead(self, request, context):
        user_id = _user(context)
        with transaction(self.sessions) as session:
            return notify_pb2.MarkAllReadReply(marked=use_cases.mark_all_read(session, user_id))

    @_rpc
    def GetPreferences(self, request, context):
        user_id = _user(context)
        with self.sessions() as session:
            return _preferences(use_cases.get_preferences(session, user_id))

    @_rpc
    def SetPreferences(self, request, context):
        user_id = _user(context)
        document = _document(request.document_json)
        with transaction(self.sessions) as session:
            preferences = use_cases.set_preferences(session, user_id, document, _expected(request))
        return _preferences(preferences)

    @_rpc
    def GetSettings(self, request, context):
        _user(context)  # anonymous and system calls are refused
        with self.sessions() as session:
            return _settings(use_cases.get_settings(session))

    @_rpc
    def SetSettings(self, request, context):
        caller = caller_from(context)  # admins only (set_settings)
        document = _document(request.document_json)
        with transaction(self.sessions) as session:
            settings = use_cases.set_settings(session, caller.role, document, _expected(request))
        return _settings(settings)


def register(server, engine: Engine) -> list[str]:
    notify_pb2_grpc.add_NotificationsServicer_to_server(NotificationsServicer(engine), server)
    return [notify_pb2.DESCRIPTOR.services_by_name["Notifications"].full_name]
