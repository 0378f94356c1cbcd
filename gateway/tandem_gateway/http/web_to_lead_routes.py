"""POST /api/v1/web-to-lead: the contact form on the company's website, with no login.

The gateway asks leads as the system caller `web_form`, which may only create a web
lead owned by the assignment rules and sees no lead. A visitor learns nothing but
"received": not whether their email is on file (a duplicate of an open lead is
acknowledged and written nowhere), nor that a bot was spotted (a filled honeypot is
answered as a success and written nowhere). Submissions are limited per client address;
an Idempotency-Key is kept per client address too (the form has no user), after the
limit, so a flood of keys cannot outgrow it.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, request
from tandem.leads.v1 import leads_pb2
from tandem_plumbing.rpc import Caller, RpcFailure

from .context import gateway
from .idempotency import REPLAYED, anonymous_caller, created_once
from .leads_routes import STUB, _LEAD_FIELDS, _lead_fields
from .limits import TokenBuckets, client_address, too_many
from .openapi_parts import errors, json_body as json_content, ok, operation, ref
from .representations import json_body
from .services import ask_or_report

bp = Blueprint("web_to_lead", __name__, url_prefix="/api/v1")

FORM_CALLER_ID, FORM_ROLE = "web-to-lead", "web_form"
HONEYPOT = "website"  # hidden in the real form: only a bot fills it in
FORM_FIELDS = ("first_name", "last_name", "email", "company", "title", "phone", "country", "industry", "employees",
               "description")
LIMIT, WINDOW_SECONDS = 5, 600  # submissions per client address
_BUCKETS = "tandem_web_to_lead"


@bp.record_once
def _rate_limit(state) -> None:
    state.app.extensions[_BUCKETS] = TokenBuckets(LIMIT, seconds=WINDOW_SECONDS)


def _form(payload: dict, problems: dict[str, str]) -> dict[str, Any]:
    """The LeadFields values of the form; an empty optional field is the same as none."""
    for name in payload:
        if name not in FORM_FIELDS and name != HONEYPOT:
            problems[name] = "unknown field"
    filled = {name: value for name, value in payload.items() if name in FORM_FIELDS and value not in (None, "")}
    values, _nulls = _lead_fields(filled, problems, extra=())
    return values


@bp.post("/web-to-lead")
def submit():
    address = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                             gateway().config.trusted_proxies)
    wait = current_app.extensions[_BUCKETS].take(address)
    if wait is not None:
        raise too_many("rate_limited", "too many submissions from this address; try again later", wait)
    payload = json_body()
    return created_once(payload, lambda: _submit(payload), caller_id=anonymous_caller(address))


def _submit(payload: dict) -> tuple[int, dict[str, str]]:
    received = 202, {"status": "received"}
    if payload.get(HONEYPOT):
        return received
    problems: dict[str, str] = {}
    message = leads_pb2.CreateLeadRequest(lead=leads_pb2.LeadFields(**_form(payload, problems), source="web"))
    caller = Caller(user_id=FORM_CALLER_ID, role=FORM_ROLE, request_id=g.get("request_id", ""))
    try:
        ask_or_report("leads", STUB, "CreateLead", message, problems, caller=caller)
    except RpcFailure as failure:
        if failure.code != "duplicate_lead":
            raise
    return received


# -- OpenAPI -------------------------------------------------------------------------------
def _schemas() -> dict[str, Any]:
    return {
        "WebToLead": {
            "type": "object",
            "required": ["first_name", "last_name", "email", "company"],
            "additionalProperties": False,
            "properties": {
                **{name: _LEAD_FIELDS[name] for name in FORM_FIELDS},
                HONEYPOT: {"type": ["string", "null"],
                           "description": "a honeypot: hide it in the form and leave it empty. When it is filled "
                                          "in, the answer is the same 202 and nothing is written."},
            },
        },
        "WebToLeadReceived": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["received"]}},
        },
    }


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/web-to-lead": {
            "post": operation(
                "The public contact form: a web lead, owned by the assignment rules", "web-to-lead",
                {"202": ok("received (or the first response, replayed)", "WebToLeadReceived",
                           extra_headers=REPLAYED), **errors(400, 413, 422, 429, 503)},
                public=True,
                description=f"No login. At most {LIMIT} submissions per client address every "
                            f"{WINDOW_SECONDS // 60} minutes (429 with Retry-After). The answer is the same 202 "
                            "whether a lead was created, the person already has an open lead (nothing is written) "
                            f"or `{HONEYPOT}` was filled in (nothing is written). A 400 names each bad field. "
                            "Idempotency-Key is kept per client address: a retry replays the first answer and "
                            "writes nothing (submissions still count against the limit).",
                parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_content("WebToLead")},
            ),
        },
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    tag = {"name": "web-to-lead", "description": "the public contact form on the company's website"}
    return {"tags": [tag], "paths": _paths(), "schemas": _schemas()}
