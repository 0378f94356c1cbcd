"""The audit trail of opportunities: /api/v1/opportunities/{id}/history, who changed which
field, when, from what to what, asked of the sales service as the caller (who may read
the opportunity reads its history; others get 404). Entries have the shape of a lead's
history (/api/v1/leads/{id}/history); a case's is /api/v1/cases/{id}/history."""
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


@bp.get("/opportunities/<opportunity_id>/history")
@authenticated()
def opportunity_history(opportunity_id: str):
    problems = known_params()
    page = page_params(problems)
    if problems:
        raise validation_failed(problems)
    reply = ask("sales", SalesStub, "ListOpportunityHistory",
                pb.ListOpportunityHistoryRequest(opportunity_id=opportunity_id, **page))
    items = [{"at": e.at, "actor_id": opt(e, "actor_id"), "action": e.action, "changes": json.loads(e.changes_json),
              "correlation_id": opt(e, "correlation_id")} for e in reply.entries]
    return jsonify({"items": items, "next_page_token": reply.next_page_token or None})


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
        "OpportunityHistoryEntry": entry,
        "OpportunityHistory": {
            "type": "object",
            "required": ["items", "next_page_token"],
            "properties": {"items": {"type": "array", "items": ref("schemas", "OpportunityHistoryEntry")},
                           "next_page_token": {"type": ["string", "null"]}},
        },
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its paths and schemas (under the sales tag)."""
    opportunity_id = {"name": "opportunity_id", "in": "path", "required": True, "schema": {"type": "string"}}
    paths = {
        "/api/v1/opportunities/{opportunity_id}/history": {
            "parameters": [opportunity_id],
            "get": operation(
                "Who changed which field of an opportunity, when, from what to what; oldest first", "sales",
                {"200": ok("a page of history", "OpportunityHistory"), **errors(400, 401, 404, 503)},
                description="Whoever may read the opportunity (its owner, the managers above them, admins) reads "
                            "its history; anyone else gets 404, as for the opportunity. Every change is recorded "
                            "with the change itself: creation, fields, stage, owner, line items.",
                parameters=[ref("parameters", "PageSize"), ref("parameters", "PageToken")],
            ),
        },
    }
    return {"tags": [], "paths": paths, "schemas": _schemas()}
