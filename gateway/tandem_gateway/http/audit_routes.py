"""The audit trail of sales records: /api/v1/opportunities|accounts|contacts/{id}/history,
who changed which field, when, from what to what, asked of the sales service as the
caller (who may read the record reads its history; others get 404). Entries have the
shape of a lead's history (/api/v1/leads/{id}/history); a case's is
/api/v1/cases/{id}/history."""
from __future__ import annotations

import json

from flask import Blueprint, jsonify
from tandem.sales.v1 import sales_pb2 as pb
from tandem.sales.v1.sales_pb2_grpc import SalesStub

from .auth import authenticated
from .errors import validation_failed
from .openapi_parts import errors, ok, operation, ref
from .representations import known_params, opt, page_params
from .services import ask

bp = Blueprint("audit", __name__, url_prefix="/api/v1")

ACTIONS = ("created", "updated", "stage_changed", "assigned", "line_item_added", "line_item_changed",
           "line_item_removed")


def _history(method: str, record_id: str):
    problems = known_params()
    page = page_params(problems)
    if problems:
        raise validation_failed(problems)
    reply = ask("sales", SalesStub, method, pb.ListHistoryRequest(id=record_id, **page))
    items = [{"at": e.at, "actor_id": opt(e, "actor_id"), "action": e.action, "changes": json.loads(e.changes_json),
              "correlation_id": opt(e, "correlation_id")} for e in reply.entries]
    return jsonify({"items": items, "next_page_token": reply.next_page_token or None})


@bp.get("/opportunities/<opportunity_id>/history")
@authenticated()
def opportunity_history(opportunity_id: str):
    return _history("ListOpportunityHistory", opportunity_id)


@bp.get("/accounts/<record_id>/history")
@authenticated()
def account_history(record_id: str):
    return _history("ListAccountHistory", record_id)


@bp.get("/contacts/<record_id>/history")
@authenticated()
def contact_history(record_id: str):
    return _history("ListContactHistory", record_id)


# -- OpenAPI -------------------------------------------------------------------------------
def _schemas() -> dict:
    change = {"type": "object", "required": ["from", "to"],
              "properties": {"from": {"description": "the value before (null: none)"},
                             "to": {"description": "the value after (null: none)"}}}
    entry = {
        "type": "object",
        "required": ["at", "actor_id", "action", "changes", "correlation_id"],
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "actor_id": {"type": ["string", "null"], "description": "who made the change; null: the service"},
            "action": {"type": "string", "enum": list(ACTIONS),
                       "description": "one request may give several entries: the fields (updated), the stage "
                                      "and what entering it set (stage_changed), the owner (assigned)"},
            "changes": {"type": "object", "additionalProperties": change,
                        "description": '{field: {"from", "to"}}, money and dates as strings; a line item\'s entry: '
                                       '"line_item" (null on the side where there is none) and the amount it moved'},
            "correlation_id": {"type": ["string", "null"], "description": "the X-Request-ID of the change"},
        },
    }
    return {
        "RecordHistoryEntry": entry,
        "RecordHistory": {
            "type": "object",
            "required": ["items", "next_page_token"],
            "properties": {"items": {"type": "array", "items": ref("schemas", "RecordHistoryEntry")},
                           "next_page_token": {"type": ["string", "null"]}},
        },
    }


def _path(kind: str, parameter: str, readers: str) -> dict:
    return {
        "parameters": [{"name": parameter, "in": "path", "required": True, "schema": {"type": "string"}}],
        "get": operation(
            f"Who changed which field of {kind}, when, from what to what; oldest first", "sales",
            {"200": ok("a page of history", "RecordHistory"), **errors(400, 401, 404, 503)},
            description=f"{readers} Every change is recorded in the transaction of the change itself.",
            parameters=[ref("parameters", "PageSize"), ref("parameters", "PageToken")],
        ),
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its paths and schemas (under the sales tag)."""
    customers = ("Every user reads accounts and contacts and their history (the org-wide default is public "
                 "read); an unknown id gives 404.")
    paths = {
        "/api/v1/opportunities/{opportunity_id}/history": _path(
            "an opportunity", "opportunity_id",
            "Whoever may read the opportunity (its owner, the managers above them, admins) reads its history; "
            "anyone else gets 404, as for the opportunity. Creation, fields, stage, owner and line items."),
        "/api/v1/accounts/{record_id}/history": _path("an account", "record_id", customers),
        "/api/v1/contacts/{record_id}/history": _path("a contact", "record_id", customers),
    }
    return {"tags": [], "paths": paths, "schemas": _schemas()}
