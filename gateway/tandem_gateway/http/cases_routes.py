"""/api/v1/cases and their comments, history and referrals: the service_desk service's
REST face. Bodies are checked for unknown fields and JSON types here; the service
checks values and rules, and enforces who may do what."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, jsonify, request
from tandem.service_desk.v1 import service_desk_pb2 as pb
from tandem.service_desk.v1.service_desk_pb2_grpc import ServiceDeskStub

from ..identity.domain import ADMIN, SERVICE_AGENT
from .auth import authenticated
from .errors import validation_failed
from .idempotency import REPLAYED, created_once
from .openapi_parts import errors, json_body as json_content, ok, operation, query, ref
from .representations import expected_version, json_body, known_params, opt, page_params, record
from .services import ask

bp = Blueprint("cases", __name__, url_prefix="/api/v1")

CASES_PATH = "/api/v1/cases"
STAFF = (SERVICE_AGENT, ADMIN)  # who works cases, comments and refers (the service checks it too)
SERVICE = "service_desk"


# -- bodies: unknown fields and JSON types (values are the service's business) --------------
@dataclass(frozen=True)
class Field:
    kind: type | dict  # str, bool, or the fields of a nested object
    nullable: bool = False
    expects: str = ""  # what to say when the type is wrong


# What the service sets on a case, comment or referral (said so when a body has one).
SERVER_OWNED = ("id", "number", "sla", "referrals", "case_id", "author_id", "agent_id", "lead_id", "assignee_id",
                "reason", "opportunity_id", "outcome_amount", "created_at", "updated_at", "version")


def _problems(body: dict[str, Any], fields: dict[str, Field], prefix: str = "") -> dict[str, str]:
    problems = {}
    for name, value in body.items():
        where, field = prefix + name, fields.get(name)
        if field is None:
            problems[where] = "is set by the server" if not prefix and name in SERVER_OWNED else "unknown field"
        elif value is None:
            if not field.nullable:
                problems[where] = "must not be null"
        elif isinstance(field.kind, dict):
            if isinstance(value, dict):
                problems.update(_problems(value, field.kind, where + "."))
            else:
                problems[where] = "must be an object"
        elif not isinstance(value, field.kind):
            problems[where] = field.expects or {str: "must be a string", bool: "must be true or false"}[field.kind]
    return problems


def _body(fields: dict[str, Field]) -> dict[str, Any]:
    body = json_body()
    problems = _problems(body, fields)
    if problems:
        raise validation_failed(problems)
    return body


TEXT, NULLABLE_TEXT = Field(str), Field(str, nullable=True)
CONTACT = {"name": TEXT, "email": TEXT, "phone": NULLABLE_TEXT, "company": NULLABLE_TEXT}
CASE_CREATE = {"subject": TEXT, "description": NULLABLE_TEXT, "priority": TEXT, "origin": TEXT,
               "account_id": NULLABLE_TEXT, "contact": Field(CONTACT, nullable=True), "owner_id": NULLABLE_TEXT}
# null clears a field; the service says which fields cannot be cleared.
CASE_PATCH = {name: Field(field.kind, nullable=True) for name, field in CASE_CREATE.items()}
CASE_PATCH["status"] = Field(str, nullable=True)
COMMENT_CREATE = {"body": TEXT, "internal": Field(bool)}
MONEY = {"amount": Field(str, expects='must be a decimal string, e.g. "1234.50"'), "currency": TEXT}
REFERRAL_CREATE = {"kind": TEXT, "product_interest": TEXT, "notes": NULLABLE_TEXT,
                   "estimated_value": Field(MONEY, nullable=True)}


def _contact_pb(contact: dict[str, Any]) -> pb.Contact:
    return pb.Contact(name=contact.get("name", ""), email=contact.get("email", ""), phone=contact.get("phone"),
                      company=contact.get("company"))


# -- query strings -----------------------------------------------------------------------
def _query(*names: str) -> dict[str, Any]:
    """The query parameters (page_size and page_token always allowed), strictly."""
    problems = known_params(*names)
    values: dict[str, Any] = {name: request.args[name] for name in names if name in request.args}
    values.update(page_params(problems))
    if problems:
        raise validation_failed(problems)
    return values


def _page(items: list, token: str):
    return jsonify({"items": items, "next_page_token": token or None})


# -- rendering -----------------------------------------------------------------------------
def _money_json(money: pb.Money) -> dict[str, str]:
    return {"amount": money.amount, "currency": money.currency}


def referral_json(referral: pb.Referral) -> dict[str, Any]:
    return {
        "id": referral.id, "case_id": referral.case_id, "agent_id": referral.agent_id, "kind": referral.kind,
        "status": referral.status, "lead_id": opt(referral, "lead_id"),
        "assignee_id": opt(referral, "assignee_id"), "product_interest": referral.product_interest,
        "notes": opt(referral, "notes"),
        "estimated_value": _money_json(referral.estimated_value) if referral.HasField("estimated_value") else None,
        "reason": opt(referral, "reason"), "opportunity_id": opt(referral, "opportunity_id"),
        "outcome_amount": _money_json(referral.outcome_amount) if referral.HasField("outcome_amount") else None,
        "created_at": referral.created_at, "updated_at": referral.updated_at, "version": referral.version,
    }


def case_json(case: pb.Case) -> dict[str, Any]:
    contact = case.contact
    sla = case.sla
    return {
        "id": case.id, "number": case.number, "subject": case.subject, "description": opt(case, "description"),
        "status": case.status, "priority": case.priority, "origin": case.origin,
        "account_id": opt(case, "account_id"),
        "contact": {"name": contact.name, "email": contact.email, "phone": opt(contact, "phone"),
                    "company": opt(contact, "company")} if case.HasField("contact") else None,
        "owner_id": opt(case, "owner_id"),
        "sla": {
            "first_response_due": sla.first_response_due, "resolution_due": sla.resolution_due,
            "first_responded_at": opt(sla, "first_responded_at"), "resolved_at": opt(sla, "resolved_at"),
            "first_response_breached": sla.first_response_breached, "resolution_breached": sla.resolution_breached,
            "at_risk": sla.at_risk,
        },
        "created_at": case.created_at, "updated_at": case.updated_at, "version": case.version,
        "referrals": [referral_json(referral) for referral in case.referrals],
    }


def comment_json(comment: pb.Comment) -> dict[str, Any]:
    return {"id": comment.id, "case_id": comment.case_id, "author_id": comment.author_id, "body": comment.body,
            "internal": comment.internal, "created_at": comment.created_at}


def history_json(entry: pb.HistoryEntry) -> dict[str, Any]:
    return {"at": entry.at, "actor_id": opt(entry, "actor_id"), "field": entry.field,
            "from": json.loads(entry.from_json), "to": json.loads(entry.to_json)}


def _ask(method: str, message):
    return ask(SERVICE, ServiceDeskStub, method, message)


# -- routes ----------------------------------------------------------------------------------
@bp.post("/cases")
@authenticated(*STAFF)
def create_case():
    body = _body(CASE_CREATE)
    message = pb.CreateCaseRequest(
        subject=body.get("subject") or "", description=body.get("description"), priority=body.get("priority") or "",
        origin=body.get("origin") or "", account_id=body.get("account_id"), owner_id=body.get("owner_id"),
        contact=_contact_pb(body["contact"]) if body.get("contact") is not None else None,
    )
    return created_once(body, lambda: (201, case_json(_ask("CreateCase", message))),
                    location=lambda case: f"{CASES_PATH}/{case['id']}")


@bp.get("/cases")
@authenticated()
def list_cases():
    reply = _ask("ListCases", pb.ListCasesRequest(**_query("status", "owner_id", "account_id", "q")))
    return _page([case_json(case) for case in reply.cases], reply.next_page_token)


@bp.get("/cases/<case_id>")
@authenticated()
def get_case(case_id: str):
    return record(case_json(_ask("GetCase", pb.GetCaseRequest(id=case_id))))


@bp.patch("/cases/<case_id>")
@authenticated(*STAFF)
def update_case(case_id: str):
    body = _body(CASE_PATCH)
    version = expected_version()
    values = {name: value for name, value in body.items() if value is not None and name != "contact"}
    cleared = sorted(name for name, value in body.items() if value is None)
    contact = _contact_pb(body["contact"]) if body.get("contact") is not None else None
    message = pb.UpdateCaseRequest(id=case_id, expected_version=version, contact=contact, cleared=cleared, **values)
    return record(case_json(_ask("UpdateCase", message)))


@bp.post("/cases/<case_id>/comments")
@authenticated(*STAFF)
def add_comment(case_id: str):
    body = _body(COMMENT_CREATE)
    message = pb.AddCommentRequest(case_id=case_id, body=body.get("body") or "", internal=body.get("internal", False))
    return created_once(body, lambda: (201, comment_json(_ask("AddComment", message))))


@bp.get("/cases/<case_id>/comments")
@authenticated()
def list_comments(case_id: str):
    reply = _ask("ListComments", pb.ListCommentsRequest(case_id=case_id, **_query()))
    return _page([comment_json(comment) for comment in reply.comments], reply.next_page_token)


@bp.get("/cases/<case_id>/history")
@authenticated()
def list_history(case_id: str):
    reply = _ask("ListHistory", pb.ListHistoryRequest(case_id=case_id, **_query()))
    return _page([history_json(entry) for entry in reply.entries], reply.next_page_token)


@bp.post("/cases/<case_id>/referrals")
@authenticated(*STAFF)
def submit_referral(case_id: str):
    body = _body(REFERRAL_CREATE)
    value = body.get("estimated_value")
    message = pb.SubmitReferralRequest(
        case_id=case_id, kind=body.get("kind") or "", product_interest=body.get("product_interest") or "",
        notes=body.get("notes"),
        estimated_value=pb.Money(amount=value.get("amount", ""), currency=value.get("currency", ""))
        if value is not None else None,
    )
    return created_once(body, lambda: (202, referral_json(_ask("SubmitReferral", message))))


@bp.get("/cases/<case_id>/referrals")
@authenticated()
def list_referrals(case_id: str):
    reply = _ask("ListReferrals", pb.ListReferralsRequest(case_id=case_id))
    return _page([referral_json(referral) for referral in reply.referrals], "")


# -- OpenAPI -------------------------------------------------------------------------------
_ID = {"type": "string", "description": "opaque"}
_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339 UTC (Z)"}
_NULLABLE = {"type": ["string", "null"]}
_STATUSES = ["new", "working", "escalated", "closed"]
_PRIORITIES = ["low", "medium", "high", "urgent"]
_ORIGINS = ["email", "phone", "web", "chat"]
_REFERRAL_STATUSES = ["submitted", "lead_created", "assigned", "converted", "won", "lost", "rejected"]


def _object(required: list[str], properties: dict[str, Any], *, closed: bool = False, **extra) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties, **extra}
    if closed:
        schema["additionalProperties"] = False
    return schema


def _list_of(schema_name: str) -> dict[str, Any]:
    return _object(["items", "next_page_token"], {"items": {"type": "array", "items": ref("schemas", schema_name)},
                                                  "next_page_token": {"type": ["string", "null"]}})


def _schemas() -> dict[str, Any]:
    contact_props = {"name": {"type": "string", "maxLength": 200}, "email": {"type": "string", "format": "email"},
                     "phone": {"type": ["string", "null"], "maxLength": 50},
                     "company": {"type": ["string", "null"], "maxLength": 200}}
    case_create_props = {
        "subject": {"type": "string", "minLength": 1, "maxLength": 300},
        "description": {"type": ["string", "null"], "maxLength": 20000},
        "priority": {"enum": _PRIORITIES}, "origin": {"enum": _ORIGINS},
        "account_id": {"type": ["string", "null"], "description": "a sales account id (not checked here)"},
        "contact": {"oneOf": [ref("schemas", "CaseContact"), {"type": "null"}]},
        "owner_id": {"type": ["string", "null"],
                     "description": "an active service agent or admin (else 422 invalid_owner); "
                                    "without it: the next active service agent, round-robin"},
    }
    return {
        "Money": _object(["amount", "currency"], {
            "amount": {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "description": "decimal string, > 0"},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217"}}, closed=True),
        "CaseContact": _object(["name", "email"], contact_props, closed=True),
        "CaseSla": _object(
            ["first_response_due", "resolution_due", "first_responded_at", "resolved_at", "first_response_breached",
             "resolution_breached", "at_risk"],
            {"first_response_due": _TIME, "resolution_due": _TIME,
             "first_responded_at": {"type": ["string", "null"], "format": "date-time",
                                    "description": "the first public comment"},
             "resolved_at": {"type": ["string", "null"], "format": "date-time", "description": "when it closed"},
             "first_response_breached": {"type": "boolean"}, "resolution_breached": {"type": "boolean"},
             "at_risk": {"type": "boolean",
                         "description": "a running clock has less than SLA_AT_RISK_FRACTION of its window left"}},
            description="Due times by priority from creation (defaults urgent 1h/4h, high 4h/24h, medium 8h/72h, "
                        "low 24h/120h; SLA_<PRIORITY>_HOURS). An open case overdue is escalated automatically.",
        ),
        "Referral": _object(
            ["id", "case_id", "agent_id", "kind", "status", "lead_id", "assignee_id", "product_interest", "notes",
             "estimated_value", "reason", "opportunity_id", "outcome_amount", "created_at", "updated_at",
             "version"],
            {"id": _ID, "case_id": _ID, "agent_id": _ID, "kind": {"enum": ["upsell", "cross_sell"]},
             "status": {"enum": _REFERRAL_STATUSES, "description": "follows the lead: submitted -> lead_created -> "
                        "assigned -> converted -> won | lost, or rejected (reason)"},
             "lead_id": _NULLABLE, "assignee_id": {"type": ["string", "null"], "description": "the lead's owner"},
             "product_interest": {"type": "string"}, "notes": _NULLABLE,
             "estimated_value": {"oneOf": [ref("schemas", "Money"), {"type": "null"}]},
             "reason": {"type": ["string", "null"], "description": "why sales rejected it"},
             "opportunity_id": {"type": ["string", "null"], "description": "the opportunity its lead became"},
             "outcome_amount": {"oneOf": [ref("schemas", "Money"), {"type": "null"}],
                                "description": "the deal's amount, once won or lost (final)"},
             "created_at": _TIME, "updated_at": _TIME, "version": {"type": "integer", "minimum": 1}},
        ),
        "ReferralCreate": _object(["kind", "product_interest"], {
            "kind": {"enum": ["upsell", "cross_sell"]},
            "product_interest": {"type": "string", "minLength": 1, "maxLength": 200},
            "notes": {"type": ["string", "null"], "maxLength": 5000},
            "estimated_value": {"oneOf": [ref("schemas", "Money"), {"type": "null"}]}}, closed=True),
        "ReferralList": _list_of("Referral"),
        "Case": _object(
            ["id", "number", "subject", "description", "status", "priority", "origin", "account_id", "contact",
             "owner_id", "sla", "created_at", "updated_at", "version", "referrals"],
            {"id": _ID, "number": {"type": "string", "description": "unique, human readable: 8 digits, e.g. 00001042"},
             "subject": {"type": "string"}, "description": _NULLABLE, "status": {"enum": _STATUSES},
             "priority": {"enum": _PRIORITIES}, "origin": {"enum": _ORIGINS}, "account_id": _NULLABLE,
             "contact": {"oneOf": [ref("schemas", "CaseContact"), {"type": "null"}]}, "owner_id": _NULLABLE,
             "sla": ref("schemas", "CaseSla"), "created_at": _TIME, "updated_at": _TIME,
             "version": {"type": "integer", "minimum": 1},
             "referrals": {"type": "array", "items": ref("schemas", "Referral")}},
        ),
        "CaseCreate": _object(["subject", "priority", "origin"], case_create_props, closed=True),
        "CasePatch": _object([], {**case_create_props, "status": {
            "enum": _STATUSES, "description": "never back to new (422 invalid_status_change); closed sets "
                                              "sla.resolved_at, leaving closed clears it"}}, closed=True,
            description="Only the fields sent change; null clears description, account_id, contact or owner_id. "
                        "A new priority recomputes the due times from the creation time."),
        "CaseList": _list_of("Case"),
        "CaseComment": _object(["id", "case_id", "author_id", "body", "internal", "created_at"], {
            "id": _ID, "case_id": _ID, "author_id": _ID, "body": {"type": "string"},
            "internal": {"type": "boolean", "description": "seen only by service agents and admins"},
            "created_at": _TIME}),
        "CaseCommentCreate": _object(["body"], {
            "body": {"type": "string", "minLength": 1, "maxLength": 20000},
            "internal": {"type": "boolean", "default": False}}, closed=True),
        "CaseCommentList": _list_of("CaseComment"),
        "CaseHistoryEntry": _object(["at", "actor_id", "field", "from", "to"], {
            "at": _TIME, "actor_id": {"type": ["string", "null"], "description": "null: the SLA escalation"},
            "field": {"type": "string"}, "from": {"description": "the value before (any JSON)"},
            "to": {"description": "the value after (any JSON)"}}),
        "CaseHistoryList": _list_of("CaseHistoryEntry"),
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    case_id = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}

    pages = [ref("parameters", "PageSize"), ref("parameters", "PageToken")]
    creates = {"Location": {"schema": {"type": "string"}}, **REPLAYED}
    staff_only = "Service agents and admins (others: 403)."
    paths = {
        "/api/v1/cases": {
            "get": operation(
                "List the cases the caller reads, newest first", "cases",
                {"200": ok("a page of cases", "CaseList"), **errors(400, 401, 503)},
                description=("Agents and admins read every case; sales users read cases on an account and "
                             "cases behind referred leads that they or someone below them own."),
                parameters=[query("status", {"enum": _STATUSES}, "only cases in this status"),
                            query("owner_id", {"type": "string"}, "only cases this user owns"),
                            query("account_id", {"type": "string"}, "only cases of this account"),
                            query("q", {"type": "string"}, "in the number, subject, contact name, email or company"),
                            *pages],
            ),
            "post": operation(
                "Open a case: numbered, assigned, with its SLA due times", "cases",
                {"201": ok("the case", "Case", etag=True, extra_headers=creates),
                 **errors(400, 401, 403, 413, 422, 503)},
                description=f"{staff_only} 422 invalid_owner when owner_id is not an active service agent or admin.",
                parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_content("CaseCreate")},
            ),
        },
        "/api/v1/cases/{case_id}": {
            "parameters": [case_id],
            "get": operation("One case, with its SLA state and referrals", "cases",
                             {"200": ok("the case", "Case", etag=True), **errors(401, 404, 503)}),
            "patch": operation(
                "Change a case; every change goes to its history", "cases",
                {"200": ok("the case after the change", "Case", etag=True),
                 **errors(400, 401, 403, 404, 412, 413, 422, 503)},
                description=f"{staff_only} If-Match is optional; a stale one gives 412. 422: invalid_owner, "
                            "invalid_status_change.",
                parameters=[ref("parameters", "IfMatch")],
                requestBody={"required": True, "content": json_content("CasePatch")},
            ),
        },
        "/api/v1/cases/{case_id}/comments": {
            "parameters": [case_id],
            "get": operation("The case's comments, oldest first (internal ones only for service agents and admins)",
                             "cases", {"200": ok("a page of comments", "CaseCommentList"),
                                       **errors(400, 401, 404, 503)}, parameters=pages),
            "post": operation(
                "Comment on a case; the first public comment is the first response", "cases",
                {"201": ok("the comment", "CaseComment", extra_headers=REPLAYED),
                 **errors(400, 401, 403, 404, 413, 422, 503)},
                description=staff_only, parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_content("CaseCommentCreate")},
            ),
        },
        "/api/v1/cases/{case_id}/history": {
            "parameters": [case_id],
            "get": operation("Every change of the case: who, when, field, from, to (oldest first)", "cases",
                             {"200": ok("a page of changes", "CaseHistoryList"), **errors(400, 401, 404, 503)},
                             parameters=pages),
        },
        "/api/v1/cases/{case_id}/referrals": {
            "parameters": [case_id],
            "get": operation("The case's referrals, oldest first (all of them: next_page_token is null)", "cases",
                             {"200": ok("the referrals", "ReferralList"), **errors(401, 404, 503)}),
            "post": operation(
                "Refer an upsell or cross-sell from the case to sales; emits referral_submitted", "cases",
                {"202": ok("the referral, submitted; its status follows the lead", "Referral", etag=True,
                           extra_headers=REPLAYED),
                 **errors(400, 401, 403, 404, 413, 422, 503)},
                description=f"{staff_only} 422 case_has_no_contact when the case names no customer contact. "
                            "A closed case may still be referred.",
                parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_content("ReferralCreate")},
            ),
        },
    }
    tags = [{"name": "cases", "description": "service cases, comments, history, SLAs and upsell referrals"}]
    return {"tags": tags, "paths": paths, "schemas": _schemas()}
