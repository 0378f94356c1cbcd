"""The `tandem.sales.v1.Activities` servicer: translate messages, call a use case, translate back."""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import Engine
from tandem.sales.v1 import sales_pb2, sales_pb2_grpc
from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.failures import Caller
from tandem_plumbing.rpc import caller_from, rpc_method

from ..domain import access
from ..domain.activities import Activity
from ..domain.fields import rfc3339
from ..use_cases import activities as use_cases
from .activity_repository import activity_from_row
from .leads import see_lead


def user_from(context) -> Caller:
    """The calling user, whose role this service serves (others: PERMISSION_DENIED)."""
    caller = caller_from(context)
    access.check_user(caller)
    return caller


_FIELDS = [field.name for field in sales_pb2.ActivityFields.DESCRIPTOR.fields]


def _given(message: sales_pb2.ActivityFields) -> dict[str, Any]:
    """The fields set on the message; related_to as {"type", "id"}."""
    values = {name: getattr(message, name) for name in _FIELDS if message.HasField(name)}
    if "related_to" in values:
        values["related_to"] = {"type": message.related_to.type, "id": message.related_to.id}
    return values


def activity_message(activity: Activity | Mapping[str, Any]) -> sales_pb2.Activity:
    """An activity (or a row of the `activities` table) as its message."""
    if not isinstance(activity, Activity):
        activity = activity_from_row(activity)
    values = {
        **{name: getattr(activity, name) for name in (
            "id", "type", "subject", "description", "owner_id", "status", "duration_minutes", "outcome",
            "created_by", "version")},
        "due_date": activity.due_date.isoformat() if activity.due_date else None,
        "starts_at": activity.starts_at and rfc3339(activity.starts_at),
        "completed_at": activity.completed_at and rfc3339(activity.completed_at),
        "created_at": rfc3339(activity.created_at),
        "updated_at": rfc3339(activity.updated_at),
    }
    return sales_pb2.Activity(
        related_to=sales_pb2.RelatedTo(type=activity.related_type, id=activity.related_id),
        **{name: value for name, value in values.items() if value is not None},
    )


def _reply(found: list[Activity], token: str | None = None) -> sales_pb2.ListActivitiesReply:
    return sales_pb2.ListActivitiesReply(activities=[activity_message(a) for a in found], next_page_token=token or "")


class ActivitiesServicer(sales_pb2_grpc.ActivitiesServicer):
    def __init__(self, engine: Engine, see_lead: use_cases.SeeLead) -> None:
        self.sessions = session_factory(engine)
        self.see_lead = see_lead

    @rpc_method
    def CreateActivity(self, request, context):
        caller = user_from(context)
        activity = use_cases.create_activity(self.sessions, caller, _given(request.activity), self.see_lead,
                                             validate_only=request.validate_only)
        return activity_message(activity) if activity else sales_pb2.Activity()

    @rpc_method
    def GetActivity(self, request, context):
        caller = user_from(context)
        return activity_message(use_cases.get_activity(self.sessions, caller, request.id, self.see_lead))

    @rpc_method
    def ListActivities(self, request, context):
        caller = user_from(context)
        filters = {name: getattr(request, name) for name in ("owner_id", "status", "type") if request.HasField(name)}
        if request.HasField("related_to"):
            filters["related_to"] = (request.related_to.type, request.related_to.id)
        found, token = use_cases.list_activities(self.sessions, caller, self.see_lead, **filters,
                                                 page_size=request.page_size, page_token=request.page_token)
        return _reply(found, token)

    @rpc_method
    def UpdateActivity(self, request, context):
        caller = user_from(context)
        with transaction(self.sessions) as session:
            activity = use_cases.update_activity(
                session, caller, request.id, _given(request.changes), clear=list(request.clear),
                expected_version=request.expected_version if request.HasField("expected_version") else None,
                validate_only=request.validate_only,
            )
        return activity_message(activity) if activity else sales_pb2.Activity()

    @rpc_method
    def TodayActivities(self, request, context):
        caller = user_from(context)
        with self.sessions() as session:
            return _reply(use_cases.today_activities(
                session, caller, request.today if request.HasField("today") else None))


def register(server, engine: Engine) -> list[str]:
    sales_pb2_grpc.add_ActivitiesServicer_to_server(ActivitiesServicer(engine, see_lead), server)
    return [sales_pb2.DESCRIPTOR.services_by_name["Activities"].full_name]
