"""/api/v1/activities and the activity timelines of accounts, contacts, opportunities and
leads: the sales service's Activities, asked as the caller.

The gateway checks what JSON can tell (unknown and server-owned fields, types); the sales
service checks values and who may do what. Leads belong to the leads service, which the
sales service cannot ask: before an activity is put on a lead, or a lead's timeline is
read, the gateway asks the leads service whether the caller may see that lead (404 if not).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from tandem.leads.v1 import leads_pb2, leads_pb2_grpc
from tandem.sales.v1 import sales_pb2, sales_pb2_grpc

from .auth import authenticated
from .errors import validation_failed
from .idempotency import REPLAYED, created_once
from .openapi_parts import errors, json_body as json_content, ok, operation, query, ref
from .representations import expected_version, json_body, known_params, opt, owner_checked, page_params, record
from .services import ask, ask_or_report

bp = Blueprint("activities", __name__, url_prefix="/api/v1")

ACTIVITIES_PATH = "/api/v1/activities"
STUB = sales_pb2_grpc.ActivitiesStub
TYPES = ("task", "call", "email", "meeting")
STATUSES = ("open", "completed", "cancelled")
RELATED_TYPES = ("lead", "contact", "account", "opportunity")
_TEXT_FIELDS = ("type", "subject", "description", "owner_id", "status", "due_date", "starts_at", "outcome")
_SERVER_FIELDS = ("id", "completed_at", "created_by", "created_at", "updated_at", "version")
_FILTERS = ("owner_id", "status", "type")
# A timeline's path segment -> the related_to type it lists.
TIMELINES = {"accounts": "account", "contacts": "contact", "opportunities": "opportunity", "leads": "lead"}


# -- requests ------------------------------------------------------------------------------
def _related_to(value: Any, problems: dict[str, str]) -> sales_pb2.RelatedTo | None:
    if not isinstance(value, dict):
        problems["related_to"] = 'must be an object {"type", "id"}'
        return None
    for name in value.keys() - {"type", "id"}:
        problems[f"related_to.{name}"] = "unknown field"
    for name in ("type", "id"):
        if name in value and not isinstance(value[name], str):
            problems[f"related_to.{name}"] = "must be a string"
    return sales_pb2.RelatedTo(type=str(value.get("type") or ""), id=str(value.get("id") or ""))


def _fields(payload: dict, problems: dict[str, str]) -> tuple[sales_pb2.ActivityFields, list[str]]:
    """(ActivityFields of a body, the fields sent as null); shape problems go to `problems`."""
    message, nulls = sales_pb2.ActivityFields(), []
    for name, value in payload.items():
        if name in _SERVER_FIELDS:
            problems[name] = "is set by the server"
        elif name not in (*_TEXT_FIELDS, "duration_minutes", "related_to"):
            problems[name] = "unknown field"
        elif value is None:
            nulls.append(name)
        elif name == "related_to":
            related = _related_to(value, problems)
            if related is not None:
                message.related_to.CopyFrom(related)
        elif name == "duration_minutes":
            if isinstance(value, int) and not isinstance(value, bool) and -2**31 <= value < 2**31:
                message.duration_minutes = value
            else:
                problems[name] = "must be a whole number of minutes"
        elif not isinstance(value, str):
            problems[name] = "must be a string"
        else:
            setattr(message, name, value)
    return message, nulls


def _check_lead_visible(lead_id: str) -> None:
    """The leads service says whether the caller may see the lead (404 otherwise)."""
    ask("leads", leads_pb2_grpc.LeadsStub, "GetLead", leads_pb2.GetLeadRequest(id=lead_id))


def _list(related: sales_pb2.RelatedTo | None, problems: dict[str, str], *params: str):
    problems.update(known_params(*_FILTERS, *params))
    page = page_params(problems)
    if problems:
        raise validation_failed(problems)
    filters = {name: request.args[name] for name in _FILTERS if name in request.args}
    if related is not None and related.type == "lead":
        _check_lead_visible(related.id)
    message = sales_pb2.ListActivitiesRequest(related_to=related, **filters, **page)
    return _page(ask("sales", STUB, "ListActivities", message))


# -- responses -----------------------------------------------------------------------------
def activity_json(activity: sales_pb2.Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "type": activity.type,
        "subject": activity.subject,
        "description": opt(activity, "description"),
        "related_to": {"type": activity.related_to.type, "id": activity.related_to.id},
        "owner_id": activity.owner_id,
        "status": activity.status,
        "due_date": opt(activity, "due_date"),
        "starts_at": opt(activity, "starts_at"),
        "duration_minutes": opt(activity, "duration_minutes"),
        "completed_at": opt(activity, "completed_at"),
        "outcome": opt(activity, "outcome"),
        "created_by": activity.created_by,
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
        "version": activity.version,
    }


def _page(reply: sales_pb2.ListActivitiesReply):
    return jsonify({"items": [activity_json(a) for a in reply.activities],
                    "next_page_token": reply.next_page_token or None})


# -- routes --------------------------------------------------------------------------------
@bp.post("/activities")
@authenticated()
def create_activity():
    payload = json_body()
    problems = known_params()
    fields, _nulls = _fields(payload, problems)  # null: not given
    message = sales_pb2.CreateActivityRequest(activity=fields)

    def create():
        if not problems and fields.related_to.type == "lead":
            _check_lead_visible(fields.related_to.id)
        return 201, activity_json(ask_or_report("sales", STUB, "CreateActivity", message, problems))

    with owner_checked(payload.get("owner_id"), problems):
        return created_once(payload, create, location=lambda activity: f"{ACTIVITIES_PATH}/{activity['id']}")


@bp.get("/activities")
@authenticated()
def list_activities():
    pair, problems, related = ("related_type", "related_id"), {}, None
    given = [name for name in pair if name in request.args]
    if len(given) == 1:
        problems[{*pair}.difference(given).pop()] = f"is required with {given[0]}"
    elif given:
        related = sales_pb2.RelatedTo(type=request.args["related_type"], id=request.args["related_id"])
    return _list(related, problems, *pair)


@bp.get("/activities/today")
@authenticated()
def today_activities():
    problems = {name: "unknown query parameter" for name in request.args if name != "today"}
    if problems:
        raise validation_failed(problems)
    reply = ask("sales", STUB, "TodayActivities", sales_pb2.TodayActivitiesRequest(today=request.args.get("today")))
    return _page(reply)


@bp.get("/activities/<activity_id>")
@authenticated()
def get_activity(activity_id: str):
    return record(activity_json(ask("sales", STUB, "GetActivity", sales_pb2.GetRequest(id=activity_id))))


@bp.patch("/activities/<activity_id>")
@authenticated()
def update_activity(activity_id: str):
    payload = json_body()
    version = expected_version()
    problems: dict[str, str] = {}
    changes, nulls = _fields(payload, problems)
    message = sales_pb2.UpdateActivityRequest(id=activity_id, changes=changes, clear=nulls,
                                              expected_version=version)
    with owner_checked(payload.get("owner_id"), problems):
        return record(activity_json(ask_or_report("sales", STUB, "UpdateActivity", message, problems)))


def _timeline(related_type: str):
    def timeline(record_id: str):
        return _list(sales_pb2.RelatedTo(type=related_type, id=record_id), {})

    timeline.__name__ = f"{related_type}_activities"
    return authenticated()(timeline)


for _segment, _type in TIMELINES.items():
    bp.get(f"/{_segment}/<record_id>/activities")(_timeline(_type))


# -- OpenAPI -------------------------------------------------------------------------------
_NULLABLE_TEXT = {"type": ["string", "null"]}
_RELATED_TO = {
    "type": "object",
    "required": ["type", "id"],
    "additionalProperties": False,
    "properties": {"type": {"type": "string", "enum": list(RELATED_TYPES)}, "id": {"type": "string"}},
    "description": "what the activity is about: the caller must see that record (404 otherwise); "
                   "service agents only accounts and contacts",
}
_FIELD_SCHEMAS = {
    "subject": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": {**_NULLABLE_TEXT, "maxLength": 10000},
    "owner_id": {"type": "string", "description": "default: the caller. Managers may give an activity to someone "
                                                   "in their team, admins to any active sales user; others "
                                                   "only to themselves"},
    "status": {"type": "string", "enum": list(STATUSES),
               "description": "completing sets completed_at; reopening or cancelling clears it"},
    "due_date": {"type": ["string", "null"], "format": "date", "description": "YYYY-MM-DD"},
    "starts_at": {"type": ["string", "null"], "format": "date-time",
                  "description": "calls and meetings only: RFC 3339 with an offset"},
    "duration_minutes": {"type": ["integer", "null"], "minimum": 1, "maximum": 1440,
                         "description": "calls and meetings only; needs starts_at"},
    "outcome": {**_NULLABLE_TEXT, "maxLength": 10000, "description": "a call's result, a meeting's notes"},
}


def _schemas() -> dict[str, Any]:
    return {
        "ActivityRelatedTo": _RELATED_TO,
        "Activity": {
            "type": "object",
            "required": ["id", "type", "subject", "related_to", "owner_id", "status", "created_by", "created_at",
                         "updated_at", "version"],
            "properties": {
                "id": {"type": "string"},
                "type": {"type": "string", "enum": list(TYPES)},
                **_FIELD_SCHEMAS,
                "related_to": ref("schemas", "ActivityRelatedTo"),
                "completed_at": {"type": ["string", "null"], "format": "date-time"},
                "created_by": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "version": {"type": "integer", "minimum": 1},
            },
        },
        "ActivityCreate": {
            "type": "object",
            "required": ["type", "subject", "related_to"],
            "additionalProperties": False,
            "description": "id, completed_at, created_by, times and version are the server's (400). "
                           "status defaults to open; created completed, it is completed now.",
            "properties": {"type": {"type": "string", "enum": list(TYPES)}, **_FIELD_SCHEMAS,
                           "related_to": ref("schemas", "ActivityRelatedTo")},
        },
        "ActivityPatch": {
            "type": "object",
            "additionalProperties": False,
            "description": "null clears an optional field. type and related_to cannot change (400). Its owner, "
                           "their managers and admins change an activity; others who see it get 403.",
            "properties": _FIELD_SCHEMAS,
        },
        "ActivityList": {
            "type": "object",
            "required": ["items", "next_page_token"],
            "properties": {"items": {"type": "array", "items": ref("schemas", "Activity")},
                           "next_page_token": {"type": ["string", "null"]}},
        },
    }


def _paths() -> dict[str, Any]:
    page = [ref("parameters", "PageSize"), ref("parameters", "PageToken")]
    filters = [query("owner_id", {"type": "string"}, "only this owner's"),
               query("status", {"type": "string", "enum": list(STATUSES)}, "only this status"),
               query("type", {"type": "string", "enum": list(TYPES)}, "only this type")]
    newest_first = "Newest first by due date, else start, else creation time."
    activity = ok("the activity", "Activity", etag=True)
    paths = {
        ACTIVITIES_PATH: {
            "get": operation(
                "Activities: a record's timeline (related_type and related_id), or those the caller sees",
                "activities", {"200": ok("a page of activities", "ActivityList"), **errors(400, 401, 404, 503)},
                description="Without a record: the caller's own, a manager's team's, every one for admins. "
                            "With a record the caller may see (404 otherwise): every activity on it. "
                            + newest_first,
                parameters=[query("related_type", {"type": "string", "enum": list(RELATED_TYPES)},
                                   "with related_id: that record's timeline"),
                            query("related_id", {"type": "string"}, "with related_type"), *filters, *page],
            ),
            "post": operation(
                "Create a task, call, email or meeting about a lead, contact, account or opportunity",
                "activities",
                {"201": ok("created (or the first response, replayed)", "Activity", etag=True,
                           extra_headers={"Location": {"schema": {"type": "string"}}, **REPLAYED}),
                 **errors(400, 401, 403, 404, 413, 422, 503)},
                description="404 when the caller may not see the related record (a lead: as the leads service "
                            "says). 403 when owner_id names someone the caller may not assign to.",
                parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_content("ActivityCreate")},
            ),
        },
        f"{ACTIVITIES_PATH}/today": {
            "get": operation(
                "The caller's open activities overdue or due today, or starting today, most overdue first",
                "activities", {"200": ok("all of them (next_page_token is null)", "ActivityList"),
                               **errors(400, 401, 503)},
                parameters=[query("today", {"type": "string", "format": "date"},
                                   "the caller's date, YYYY-MM-DD; default: today in UTC")],
            ),
        },
        f"{ACTIVITIES_PATH}/{{activity_id}}": {
            "parameters": [{"name": "activity_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": operation("One activity (404 also when the caller may not see it)", "activities",
                             {"200": activity, **errors(401, 404, 503)}),
            "patch": operation(
                "Change, complete, reopen, cancel or reassign an activity", "activities",
                {"200": ok("the activity after the change", "Activity", etag=True),
                 **errors(400, 401, 403, 404, 412, 413, 503)},
                description="If-Match is optional; a stale one gives 412.",
                parameters=[ref("parameters", "IfMatch")],
                requestBody={"required": True, "content": json_content("ActivityPatch")},
            ),
        },
    }
    for segment, related_type in TIMELINES.items():
        paths[f"/api/v1/{segment}/{{record_id}}/activities"] = {
            "parameters": [{"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": operation(
                f"The {related_type}'s activity timeline", "activities",
                {"200": ok("a page of activities", "ActivityList"), **errors(400, 401, 404, 503)},
                description=f"Every activity on the {related_type}, whoever owns it, for a caller who may see "
                            f"the {related_type} (404 otherwise). " + newest_first,
                parameters=[*filters, *page],
            ),
        }
    return paths


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    tag = {"name": "activities", "description": "tasks, calls, emails and meetings; timelines; the today list"}
    return {"tags": [tag], "paths": _paths(), "schemas": _schemas()}
