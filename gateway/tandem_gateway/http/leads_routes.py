"""/api/v1/leads, /api/v1/lead-assignment-rules and /api/v1/lead-scoring: check the
request's shape, ask the leads service as the caller, render its answer.

The gateway checks what JSON can tell (unknown and server-owned fields, types); the
leads service checks values and who may do what. When the gateway finds a problem it
still has the service check the rest (`validate_only`), so one 400 names every bad field.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, request
from tandem.leads.v1 import leads_pb2, leads_pb2_grpc
from tandem_plumbing.rpc import RpcFailure

from ..identity.domain import ADMIN, SALES_MANAGER, SALES_REP
from .auth import authenticated
from .errors import ApiError, validation_failed
from .idempotency import REPLAYED, created_once
from .openapi_parts import errors, json_body as json_content, ok, operation, query, ref
from .representations import (expected_version, json_body, known_params, opt, owner_checked, page_params, record,
                              settings_document, settings_document_json)
from .services import ask, ask_or_report

bp = Blueprint("leads", __name__, url_prefix="/api/v1")

SALES = (ADMIN, SALES_MANAGER, SALES_REP)
LEADS_PATH = "/api/v1/leads"
STATUSES = ("new", "working", "nurturing", "qualified", "unqualified", "converted")
SOURCES = ("web", "phone", "email", "event", "partner", "referral", "service_referral", "other")
_INTEGER_FIELDS = ("employees",)
_TEXT_FIELDS = ("first_name", "last_name", "email", "company", "title", "phone", "industry", "country", "source",
                "status", "status_reason", "description")
_SERVER_FIELDS = ("id", "score", "score_factors", "referral", "referrals", "conversion", "created_at", "updated_at",
                  "version")
_CONVERT_FIELDS = ("opportunity_name", "amount", "close_date", "account_id")
_LIST_FILTERS = ("status", "owner_id", "source", "q", "account_id", "email_domain")
STUB = leads_pb2_grpc.LeadsStub


# -- requests ------------------------------------------------------------------------------
def _is_integer(value: Any) -> bool:
    # 32 bits: what the column holds (a larger one was a 500)
    return isinstance(value, int) and not isinstance(value, bool) and -2**31 <= value < 2**31


def _lead_fields(payload: dict, problems: dict[str, str], *, extra: tuple[str, ...]) -> tuple[dict, list[str]]:
    """(LeadFields values, fields sent as null) of a body; shape problems go to `problems`.
    `extra` names the body's other keys, read by the caller."""
    values, nulls = {}, []
    for name, value in payload.items():
        if name in extra:
            continue
        if name in _SERVER_FIELDS:
            problems[name] = "is set by the server"
        elif name not in _TEXT_FIELDS + _INTEGER_FIELDS:
            problems[name] = "unknown field"
        elif value is None:
            nulls.append(name)
        elif name in _INTEGER_FIELDS and not _is_integer(value):
            problems[name] = "must be a whole number"
        elif name in _TEXT_FIELDS and not isinstance(value, str):
            problems[name] = "must be a string"
        else:
            values[name] = value
    return values, nulls


def _owner_id(payload: dict, problems: dict[str, str]) -> str | None:
    value = payload.get("owner_id")
    if value is not None and (not isinstance(value, str) or not value):
        problems["owner_id"] = "must be a user id"
        return None
    return value


def _flag(value: Any, problems: dict[str, str]) -> bool:
    if not isinstance(value, bool):
        problems["allow_duplicate"] = "must be true or false"
        return False
    return value


def _ask_or_report(method: str, message: Any, problems: dict[str, str]) -> Any:
    return ask_or_report("leads", STUB, method, message, problems)


def _money(value: Any) -> leads_pb2.Money | None:
    """`{"amount": "1234.50", "currency": "USD"}`; None for any other shape (a bare number above all)."""
    if (isinstance(value, dict) and set(value) == {"amount", "currency"}
            and all(isinstance(part, str) for part in value.values())):
        return leads_pb2.Money(amount=value["amount"], currency=value["currency"])
    return None


def _conversion_request(lead_id: str, payload: dict, problems: dict[str, str]) -> leads_pb2.ConvertLeadRequest:
    message = leads_pb2.ConvertLeadRequest(id=lead_id)
    for name, value in payload.items():
        if name not in _CONVERT_FIELDS:
            problems[name] = "unknown field"
        elif value is None:
            continue  # the same as leaving it out: sales chooses
        elif name == "amount":
            money = _money(value)
            if money is None:
                problems[name] = ('must be {"amount": "1234.50", "currency": "USD"}: the amount a decimal string, '
                                  'never a number')
            else:
                message.amount.CopyFrom(money)
        elif not isinstance(value, str):
            problems[name] = "must be a string"
        else:
            setattr(message, name, value)
    version = expected_version()
    if version is not None:
        message.expected_version = version
    return message


# -- responses -----------------------------------------------------------------------------
def _referral_json(referral: leads_pb2.Referral) -> dict[str, Any]:
    value = opt(referral, "estimated_value")
    return {
        "referral_id": referral.referral_id,
        "case_id": referral.case_id,
        "case_number": referral.case_number or None,
        "agent_id": referral.agent_id,
        "kind": referral.kind,
        "product_interest": referral.product_interest,
        "notes": opt(referral, "notes"),
        "estimated_value": {"amount": value.amount, "currency": value.currency} if value else None,
        "attached_at": referral.attached_at,
    }


def _conversion_json(lead: leads_pb2.Lead) -> dict[str, Any] | None:
    if not lead.HasField("conversion"):
        return None
    c = lead.conversion
    return {"account_id": c.account_id, "contact_id": c.contact_id, "opportunity_id": c.opportunity_id,
            "converted_at": c.converted_at, "converted_by": opt(c, "converted_by")}


def lead_json(lead: leads_pb2.Lead) -> dict[str, Any]:
    referrals = [_referral_json(r) for r in lead.referrals]
    first = referrals[0] if referrals else None
    return {
        "id": lead.id,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": opt(lead, "email"),
        "company": lead.company,
        "title": opt(lead, "title"),
        "phone": opt(lead, "phone"),
        "industry": opt(lead, "industry"),
        "country": opt(lead, "country"),
        "employees": opt(lead, "employees"),
        "source": lead.source,
        "status": lead.status,
        "status_reason": opt(lead, "status_reason"),
        "score": lead.score,
        "score_factors": [{"factor": f.factor, "points": f.points, "reason": f.reason} for f in lead.score_factors],
        "owner_id": opt(lead, "owner_id"),
        "referral": {k: first[k] for k in ("case_id", "referral_id", "agent_id")} if first else None,
        "referrals": referrals,
        "description": opt(lead, "description"),
        "conversion": _conversion_json(lead),
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "version": lead.version,
    }


# -- routes --------------------------------------------------------------------------------
@bp.post("/leads")
@authenticated(*SALES)
def create_lead():
    payload = json_body()
    problems: dict[str, str] = {}
    values, _nulls = _lead_fields(payload, problems, extra=("owner_id", "allow_duplicate"))
    problems.update(known_params("allow_duplicate"))
    allow = "allow_duplicate" in payload and _flag(payload["allow_duplicate"], problems)
    if "allow_duplicate" in request.args:  # the query may say it instead
        allow = _flag({"true": True, "false": False}.get(request.args["allow_duplicate"]), problems) or allow
    message = leads_pb2.CreateLeadRequest(lead=leads_pb2.LeadFields(**values), allow_duplicate=allow)
    owner_id = _owner_id(payload, problems)
    if owner_id is not None:
        message.owner_id = owner_id
    with owner_checked(owner_id, problems):
        return created_once({"body": payload, "query": request.args.to_dict()},
                            lambda: (201, lead_json(_ask_or_report("CreateLead", message, problems))),
                            location=lambda lead: f"{LEADS_PATH}/{lead['id']}")


@bp.get("/leads")
@authenticated()
def list_leads():
    problems = known_params(*_LIST_FILTERS)
    page = page_params(problems)
    if problems:
        raise validation_failed(problems)
    filters = {name: request.args[name] for name in _LIST_FILTERS if name in request.args}
    reply = ask("leads", STUB, "ListLeads", leads_pb2.ListLeadsRequest(**filters, **page))
    items = [lead_json(lead) for lead in reply.leads]
    return jsonify({"items": items, "next_page_token": reply.next_page_token or None})


@bp.get("/leads/<lead_id>")
@authenticated()
def get_lead(lead_id: str):
    return record(lead_json(ask("leads", STUB, "GetLead", leads_pb2.GetLeadRequest(id=lead_id))))


@bp.patch("/leads/<lead_id>")
@authenticated(*SALES)
def update_lead(lead_id: str):
    payload = json_body()
    version = expected_version()
    problems: dict[str, str] = {}
    values, nulls = _lead_fields(payload, problems, extra=("owner_id",))
    if "owner_id" in payload and payload["owner_id"] is None:
        nulls.append("owner_id")  # the service says it cannot be cleared
    message = leads_pb2.UpdateLeadRequest(id=lead_id, changes=leads_pb2.LeadFields(**values), clear=nulls)
    owner_id = _owner_id(payload, problems)
    if owner_id is not None:
        message.owner_id = owner_id
    if version is not None:
        message.expected_version = version
    with owner_checked(owner_id, problems):
        return record(lead_json(_ask_or_report("UpdateLead", message, problems)))


@bp.post("/leads/<lead_id>/convert")
@authenticated(*SALES)
def convert_lead(lead_id: str):
    payload = json_body() if request.get_data(cache=True).strip() else {}  # every field is optional
    problems: dict[str, str] = {}
    message = _conversion_request(lead_id, payload, problems)

    def convert():
        reply = _ask_or_report("ConvertLead", message, problems)
        return 200, {"lead_id": reply.lead_id, "account_id": reply.account_id, "contact_id": reply.contact_id,
                     "opportunity_id": reply.opportunity_id, "account_created": reply.account_created}

    return created_once({"body": payload, "if_match": request.headers.get("If-Match")}, convert)


@bp.get("/leads/<lead_id>/history")
@authenticated()
def lead_history(lead_id: str):
    problems = known_params()
    page = page_params(problems)
    if problems:
        raise validation_failed(problems)
    reply = ask("leads", STUB, "GetLeadHistory", leads_pb2.GetLeadHistoryRequest(id=lead_id, **page))
    items = [{"at": e.at, "actor_id": opt(e, "actor_id"), "action": e.action, "changes": json.loads(e.changes_json),
              "note": opt(e, "note"), "correlation_id": opt(e, "correlation_id")} for e in reply.entries]
    return jsonify({"items": items, "next_page_token": reply.next_page_token or None})


def _get_setting(method: str):
    return record(settings_document(ask("leads", STUB, method, leads_pb2.GetSettingRequest())))


def _put_setting(method: str):
    message = leads_pb2.PutSettingRequest(document_json=settings_document_json())
    version = expected_version()
    if version is not None:
        message.expected_version = version
    try:
        return record(settings_document(ask("leads", STUB, method, message)))
    except RpcFailure as failure:
        fields = failure.details.get("fields")
        if failure.kind != "invalid" or not isinstance(fields, dict):
            raise
        # The service names the document's own fields "document.<name>"; the body is the document.
        fields = {name.removeprefix("document."): why for name, why in fields.items()}
        raise ApiError(400, failure.code, failure.message, {**failure.details, "fields": fields}) from None


@bp.get("/lead-scoring")
@authenticated(*SALES)
def get_scoring():
    return _get_setting("GetScoringWeights")


@bp.put("/lead-scoring")
@authenticated(ADMIN)
def put_scoring():
    return _put_setting("PutScoringWeights")


@bp.get("/lead-assignment-rules")
@authenticated(ADMIN)
def get_assignment_rules():
    return _get_setting("GetAssignmentRules")


@bp.put("/lead-assignment-rules")
@authenticated(ADMIN)
def put_assignment_rules():
    return _put_setting("PutAssignmentRules")


# -- OpenAPI -------------------------------------------------------------------------------
_LEAD_ID = {"name": "lead_id", "in": "path", "required": True, "schema": {"type": "string"}}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_LEAD_FIELDS = {
    "first_name": {"type": "string", "minLength": 1, "maxLength": 100},
    "last_name": {"type": "string", "minLength": 1, "maxLength": 100},
    "email": {"type": "string", "format": "email", "maxLength": 320,
              "description": "duplicates are found on the trimmed, lower-cased email"},
    "company": {"type": "string", "minLength": 1, "maxLength": 200},
    "title": {**_NULLABLE_TEXT, "maxLength": 200, "description": "its seniority counts in the score"},
    "phone": {**_NULLABLE_TEXT, "maxLength": 50},
    "industry": {**_NULLABLE_TEXT, "maxLength": 100},
    "country": {**_NULLABLE_TEXT, "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2; stored upper-case"},
    "employees": {"type": ["integer", "null"], "minimum": 0},
    "source": ref("schemas", "LeadSource"),
    "status": {"type": "string", "enum": list(STATUSES[:-1]),
               "description": "not `converted`: conversion sets it (POST /leads/{id}/convert)"},
    "status_reason": {**_NULLABLE_TEXT, "maxLength": 500, "description": "required when moving to unqualified"},
    "description": {**_NULLABLE_TEXT, "maxLength": 10000},
}
_OWNER = {"type": "string", "description": "admins: any active sales user; managers: themselves or their team; "
                                           "reps: only themselves (else 403 forbidden naming owner_id)"}
_SETTING_META = {
    "version": {"type": "integer", "readOnly": True, "description": "0: the built-in default, never replaced"},
    "updated_at": {"type": ["string", "null"], "format": "date-time", "readOnly": True},
    "updated_by": {"type": ["string", "null"], "readOnly": True},
}
_SETTING_NOTE = ("The read-only `version`, `updated_at` and `updated_by` of GET may be sent back and are ignored. "
                 "If-Match is optional: a stale one gives 412.")


def _schemas() -> dict[str, Any]:
    target = {
        "type": "object",
        "description": '{"user_id"}, {"queue": [user ids], "strategy"} or {"role": "sales_rep"|"sales_manager", '
                       '"strategy"} (every active user of that role, in id order)',
        "properties": {
            "user_id": {"type": "string"},
            "queue": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
            "role": {"type": "string", "enum": ["sales_rep", "sales_manager"]},
            "strategy": {"type": "string", "enum": ["round_robin", "least_loaded"],
                         "description": "round_robin: the next after the last one this rule gave a lead to; "
                                        "least_loaded: fewest open leads, ties to the first in the queue"},
        },
        "additionalProperties": False,
    }
    points = {"type": "integer", "minimum": -100, "maximum": 100}
    return {
        "LeadStatus": {"type": "string", "enum": list(STATUSES)},
        "LeadSource": {"type": "string", "enum": list(SOURCES)},
        "LeadScoreFactor": {
            "type": "object",
            "required": ["factor", "points", "reason"],
            "properties": {"factor": {"type": "string", "description": "title_seniority, company_size, industry, "
                                                                        "country, source, referrals, phone, "
                                                                        "description, clamp"},
                           "points": {"type": "integer"}, "reason": {"type": "string"}},
        },
        "LeadReferral": {
            "type": "object",
            "description": "a service agent's referral attached to the lead",
            "properties": {
                "referral_id": {"type": "string"}, "case_id": {"type": "string"},
                "case_number": {"type": ["string", "null"]}, "agent_id": {"type": "string"},
                "kind": {"type": "string"}, "product_interest": {"type": "string"}, "notes": _NULLABLE_TEXT,
                "estimated_value": {"type": ["object", "null"], "properties": {
                    "amount": {"type": "string", "description": "decimal"}, "currency": {"type": "string"}}},
                "attached_at": {"type": "string", "format": "date-time"},
            },
        },
        "Lead": {
            "type": "object",
            "required": ["id", "first_name", "last_name", "email", "company", "source", "status", "score",
                         "score_factors", "owner_id", "referral", "referrals", "conversion", "created_at", "updated_at",
                         "version"],
            "properties": {
                "id": {"type": "string"},
                **{name: schema for name, schema in _LEAD_FIELDS.items() if name != "status"},
                "email": {"type": ["string", "null"], "description": "null only for a referral whose contact had none"},
                "status": ref("schemas", "LeadStatus"),
                "score": {"type": "integer", "minimum": 0, "maximum": 100,
                          "description": "the sum of score_factors; recomputed on every change"},
                "score_factors": {"type": "array", "items": ref("schemas", "LeadScoreFactor")},
                "owner_id": {"type": ["string", "null"], "description": "null: no rule found an eligible owner"},
                "referral": {"type": ["object", "null"], "description": "the first referral, if any",
                             "properties": {"case_id": {"type": "string"}, "referral_id": {"type": "string"},
                                            "agent_id": {"type": "string"}}},
                "referrals": {"type": "array", "items": ref("schemas", "LeadReferral"),
                              "description": "every referral merged into this lead, oldest first"},
                "conversion": {"anyOf": [ref("schemas", "LeadConversion"), {"type": "null"}],
                               "description": "null until the lead is converted"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "version": {"type": "integer", "minimum": 1},
            },
        },
        "LeadCreate": {
            "type": "object",
            "required": ["first_name", "last_name", "email", "company"],
            "additionalProperties": False,
            "description": "id, score, score_factors, referral(s), times and version are the server's (400).",
            "properties": {
                **_LEAD_FIELDS,
                "owner_id": {**_OWNER, "description": _OWNER["description"] + ". Left out: a rep's lead is "
                             "theirs; otherwise the assignment rules choose"},
                "allow_duplicate": {"type": "boolean", "default": False,
                                    "description": "create even when an open lead for the same person exists"},
            },
        },
        "LeadPatch": {
            "type": "object",
            "additionalProperties": False,
            "description": "null clears an optional field. The status moves new -> working | nurturing | "
                           "qualified | unqualified; an unqualified lead may be reopened (working, nurturing); "
                           "a converted lead cannot change (422). id, score, score_factors, referral(s), "
                           "conversion, times and version are the server's (400), as is the status converted.",
            "properties": {**_LEAD_FIELDS, "owner_id": {**_OWNER, "description": "reassign: managers within "
                                                                                 "their team, admins (else 403 "
                                                                                 "forbidden naming owner_id)"}},
        },
        "LeadList": {
            "type": "object",
            "required": ["items", "next_page_token"],
            "properties": {"items": {"type": "array", "items": ref("schemas", "Lead")},
                           "next_page_token": {"type": ["string", "null"]}},
        },
        "LeadHistory": {
            "type": "object",
            "required": ["items", "next_page_token"],
            "properties": {
                "items": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "at": {"type": "string", "format": "date-time"},
                        "actor_id": {"type": ["string", "null"],
                                     "description": "null: the service (rules, deactivation)"},
                        "action": {"type": "string", "enum": ["created", "merged", "updated", "status_changed",
                                                              "assigned", "assignment_failed", "rescored",
                                                              "converted"]},
                        "changes": {"type": "object", "description": '{field: {"from", "to"}}'},
                        "note": _NULLABLE_TEXT,
                        "correlation_id": _NULLABLE_TEXT,
                    },
                }},
                "next_page_token": {"type": ["string", "null"]},
            },
        },
        "LeadConversion": {
            "type": "object",
            "description": "where the converted lead went in sales",
            "required": ["account_id", "contact_id", "opportunity_id", "converted_at", "converted_by"],
            "properties": {"account_id": {"type": "string"}, "contact_id": {"type": "string"},
                           "opportunity_id": {"type": "string"},
                           "converted_at": {"type": "string", "format": "date-time"},
                           "converted_by": {"type": ["string", "null"]}},
        },
        "LeadConvert": {
            "type": "object",
            "additionalProperties": False,
            "description": "Every field is optional (an empty body too); left out or null, sales chooses. "
                           "A lead converted already answers with its ids whatever is sent.",
            "properties": {
                "opportunity_name": {"type": "string", "minLength": 1, "maxLength": 200,
                                     "description": "default: <company> - <product interest or New business>"},
                "amount": {"type": "object", "required": ["amount", "currency"], "additionalProperties": False,
                           "description": "the opportunity's amount; default: the first referral's estimated "
                                          "value. A JSON number is refused (400): money is never a float.",
                           "properties": {"amount": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,2})?$",
                                                     "example": "1234.50"},
                                          "currency": {"type": "string", "pattern": "^[A-Z]{3}$",
                                                       "example": "USD"}}},
                "close_date": {"type": "string", "format": "date", "description": "default: 90 days from today"},
                "account_id": {"type": "string", "description": "reuse this account (you must see it); default: "
                                                                "the account with the lead's email domain, else a "
                                                                "new one named after the company"},
            },
        },
        "LeadConverted": {
            "type": "object",
            "required": ["lead_id", "account_id", "contact_id", "opportunity_id", "account_created"],
            "properties": {"lead_id": {"type": "string"}, "account_id": {"type": "string"},
                           "contact_id": {"type": "string"}, "opportunity_id": {"type": "string"},
                           "account_created": {"type": "boolean",
                                               "description": "false: an existing account was used"}},
        },
        "LeadAssignTarget": target,
        "LeadAssignmentRules": {
            "type": "object",
            "required": ["rules"],
            "description": "The first rule whose criteria all hold wins; if its target has nobody eligible (active "
                           "sales user below capacity), the default is tried; else the lead stays unassigned. "
                           "The built-in default sends every lead round-robin to the active sales reps. A rep who "
                           "is deactivated has their open leads reassigned by these rules. " + _SETTING_NOTE,
            "properties": {
                "rules": {"type": "array", "items": {
                    "type": "object",
                    "required": ["name", "assign_to"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "criteria": {"type": "object", "additionalProperties": False, "properties": {
                            "country": {"type": "array", "items": {"type": "string"}},
                            "industry": {"type": "array", "items": {"type": "string"}},
                            "source": {"type": "array", "items": ref("schemas", "LeadSource")},
                            "employees_min": {"type": "integer", "minimum": 0},
                            "employees_max": {"type": "integer", "minimum": 0},
                            "score_min": {"type": "integer", "minimum": 0},
                        }},
                        "assign_to": ref("schemas", "LeadAssignTarget"),
                    },
                }},
                "default": {"anyOf": [ref("schemas", "LeadAssignTarget"), {"type": "null"}],
                            "description": "left out or null: no default"},
                "capacity": {"type": "object", "description": "most open leads a user may get by the rules",
                             "properties": {"default": {"type": ["integer", "null"], "minimum": 0},
                                            "per_user": {"type": "object",
                                                         "additionalProperties": {"type": ["integer", "null"]}}}},
                **_SETTING_META,
            },
        },
        "LeadScoringWeights": {
            "type": "object",
            "required": ["title_seniority", "company_size", "industry", "country", "source", "engagement"],
            "description": "Points per factor (-100..100); a score is their sum, clamped to 0-100. Replacing them "
                           "rescores every open lead at once. " + _SETTING_NOTE,
            "properties": {
                "title_seniority": {"type": "array", "description": "the first tier with a keyword that is a word "
                                                                    "of the title", "items": {
                    "type": "object", "properties": {"level": {"type": "string"}, "points": points,
                                                     "keywords": {"type": "array", "items": {"type": "string"}}}}},
                "company_size": {"type": "array", "description": "the band with the largest min not above "
                                                                 "employees", "items": {
                    "type": "object", "properties": {"min": {"type": "integer", "minimum": 0}, "points": points}}},
                "industry": {"type": "object", "additionalProperties": points},
                "country": {"type": "object", "additionalProperties": points},
                "source": {"type": "object", "additionalProperties": points},
                "engagement": {"type": "object", "properties": {
                    "per_referral": points, "max_referrals": {"type": "integer", "minimum": 0, "maximum": 100},
                    "phone": points, "description": points}},
                **_SETTING_META,
            },
        },
    }


def _paths() -> dict[str, Any]:
    page = [ref("parameters", "PageSize"), ref("parameters", "PageToken")]
    allow_duplicate = query("allow_duplicate", {"type": "string", "enum": ["true", "false"]},
                            "the same as allow_duplicate in the body")
    lead = ok("the lead", "Lead", etag=True)
    return {
        "/api/v1/leads": {
            "get": operation(
                "The leads the caller may see, newest first", "leads",
                {"200": ok("a page of leads", "LeadList"), **errors(400, 401, 503)},
                description="Admins see every lead, managers their own and their team's (the whole hierarchy "
                            "below them), reps their own; service agents none.",
                parameters=[*page,
                            query("status", ref("schemas", "LeadStatus"), "only this status"),
                            query("owner_id", {"type": "string"}, "only this owner's; `none`: the unassigned"),
                            query("source", ref("schemas", "LeadSource"), "only this source"),
                            query("q", {"type": "string"}, "case-insensitive search in name, email and company"),
                            query("account_id", {"type": "string"}, "only the leads converted into this account"),
                            query("email_domain", {"type": "string"},
                                  "only the leads whose email is at this domain (e.g. acme.com), any case")],
            ),
            "post": operation(
                "Create a lead: scored, assigned, announced (lead_created, with the owner)", "leads",
                {"201": ok("created (or the first response, replayed)", "Lead", etag=True,
                           extra_headers={"Location": {"schema": {"type": "string"}}, **REPLAYED}),
                 **errors(400, 401, 403, 409, 413, 422, 503)},
                description="An open lead (not converted or unqualified) with the same email, or the same name at "
                            "the same company (case, spacing and suffixes such as Inc, Ltd, GmbH ignored), gives "
                            "409 duplicate_lead with details.existing_id, unless allow_duplicate is true (body or "
                            "query).",
                parameters=[ref("parameters", "IdempotencyKey"), allow_duplicate],
                requestBody={"required": True, "content": json_content("LeadCreate")},
            ),
        },
        "/api/v1/leads/{lead_id}": {
            "parameters": [_LEAD_ID],
            "get": operation("One lead (404 also when the caller may not see it)", "leads",
                             {"200": lead, **errors(401, 404, 503)}),
            "patch": operation(
                "Change a lead; rescored; emits lead_status_changed and lead_assigned (reassignment)", "leads",
                {"200": ok("the lead after the change", "Lead", etag=True),
                 **errors(400, 401, 403, 404, 412, 413, 422, 503)},
                description="If-Match is optional; a stale one gives 412. 422: invalid_status_transition "
                            "(details.allowed) or lead_converted.",
                parameters=[ref("parameters", "IfMatch")],
                requestBody={"required": True, "content": json_content("LeadPatch")},
            ),
        },
        "/api/v1/leads/{lead_id}/convert": {
            "parameters": [_LEAD_ID],
            "post": operation(
                "Convert a lead: sales makes (or reuses) the account, the contact and the opportunity; the lead "
                "becomes converted (lead_status_changed)", "leads",
                {"200": ok("where the lead went (the same ids on every call)", "LeadConverted",
                           extra_headers=REPLAYED),
                 **errors(400, 401, 403, 404, 412, 413, 422, 503)},
                description="Idempotent by lead: converting again answers the same ids without asking sales. "
                            "A referred lead carries its referrals into the opportunity. 422 lead_unqualified "
                            "(reopen it first) or a refusal of sales (e.g. 404 for an account you cannot see). "
                            "503 when sales does not answer: the lead stays as it was; simply retry. If-Match is "
                            "optional; a stale one gives 412.",
                parameters=[ref("parameters", "IdempotencyKey"), ref("parameters", "IfMatch")],
                requestBody={"required": False, "content": json_content("LeadConvert")},
            ),
        },
        "/api/v1/leads/{lead_id}/history": {
            "parameters": [_LEAD_ID],
            "get": operation("What happened to a lead, oldest first: who, when, what", "leads",
                             {"200": ok("a page of history", "LeadHistory"), **errors(400, 401, 404, 503)},
                             parameters=page),
        },
        "/api/v1/lead-assignment-rules": {
            "get": operation("The assignment rules (admin)", "leads",
                             {"200": ok("the rules", "LeadAssignmentRules", etag=True), **errors(401, 403, 503)}),
            "put": operation(
                "Replace the assignment rules (admin); they apply to leads assigned from now on", "leads",
                {"200": ok("the rules as stored", "LeadAssignmentRules", etag=True),
                 **errors(400, 401, 403, 412, 413, 503)},
                parameters=[ref("parameters", "IfMatch")],
                requestBody={"required": True, "content": json_content("LeadAssignmentRules")},
            ),
        },
        "/api/v1/lead-scoring": {
            "get": operation("The scoring weights (sales users and admins)", "leads",
                             {"200": ok("the weights", "LeadScoringWeights", etag=True), **errors(401, 403, 503)}),
            "put": operation(
                "Replace the scoring weights (admin); every open lead is rescored", "leads",
                {"200": ok("the weights as stored", "LeadScoringWeights", etag=True),
                 **errors(400, 401, 403, 412, 413, 503)},
                parameters=[ref("parameters", "IfMatch")],
                requestBody={"required": True, "content": json_content("LeadScoringWeights")},
            ),
        },
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    tag = {"name": "leads", "description": "leads: capture, deduplication, scoring, assignment rules"}
    return {"tags": [tag], "paths": _paths(), "schemas": _schemas()}
