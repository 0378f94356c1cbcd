"""/api/v1/accounts, /contacts, /products, /opportunities (with line items and stage
history) and /opportunity-stages: the sales service's REST face.

The gateway checks what JSON can tell (unknown and server-owned fields, types; money
never as a float); the sales service checks values, the Sales Path and who may see and
change which record. When the gateway finds a problem it still has the service check
the rest (`validate_only`), so one 400 names every bad field.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from tandem.sales.v1 import sales_pb2 as pb
from tandem.sales.v1.sales_pb2_grpc import SalesStub

from ..identity.domain import ADMIN, SALES_MANAGER, SALES_REP
from .auth import authenticated
from .errors import ApiError, validation_failed
from .idempotency import REPLAYED, created_once
from .openapi_parts import errors, json_body as json_content, ok, operation, query, ref
from .representations import expected_version, json_body, known_params, opt, owner_checked, page_params, record
from .services import ask, ask_or_report

bp = Blueprint("sales", __name__, url_prefix="/api/v1")

SALES = (ADMIN, SALES_MANAGER, SALES_REP)
SERVICE = "sales"
BASE = "/api/v1"
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
REQUIREMENTS = ("line_items", "close_date", "amount", "primary_contact", "loss_reason", "next_step")
DECIMAL_RULE = 'must be a decimal string, e.g. "1234.50" (floats lose cents)'


# -- bodies: unknown and server-owned fields, JSON types ------------------------------------
TEXT, INTEGER, DECIMAL, BOOL, MONEY = "text", "integer", "decimal", "bool", "money"
ACCOUNT_FIELDS = {"name": TEXT, "domain": TEXT, "industry": TEXT, "employees": INTEGER, "country": TEXT,
                  "website": TEXT, "phone": TEXT, "description": TEXT, "owner_id": TEXT, "parent_id": TEXT}
CONTACT_FIELDS = {"account_id": TEXT, "first_name": TEXT, "last_name": TEXT, "email": TEXT, "phone": TEXT,
                  "title": TEXT, "owner_id": TEXT}
PRODUCT_FIELDS = {"name": TEXT, "code": TEXT, "description": TEXT, "family": TEXT, "list_price": MONEY,
                  "active": BOOL}
OPPORTUNITY_FIELDS = {"name": TEXT, "account_id": TEXT, "owner_id": TEXT, "amount": DECIMAL, "currency": TEXT,
                      "close_date": TEXT, "stage": TEXT, "forecast_category": TEXT, "next_step": TEXT,
                      "description": TEXT, "primary_contact_id": TEXT, "loss_reason": TEXT}
LINE_ITEM_FIELDS = {"product_id": TEXT, "quantity": DECIMAL, "unit_price": DECIMAL, "discount": DECIMAL}
LINE_ITEM_CHANGES = {name: kind for name, kind in LINE_ITEM_FIELDS.items() if name != "product_id"}
STAGE_FIELDS = {"name": TEXT, "probability": INTEGER, "forecast_category": TEXT, "is_closed": BOOL, "is_won": BOOL,
                "guidance": TEXT, "requirements": "requirements"}
_RECORD_OWNED = ("id", "created_at", "updated_at", "version")
SERVER_OWNED = {
    "account": _RECORD_OWNED,
    "contact": (*_RECORD_OWNED, "lead_id"),
    "product": _RECORD_OWNED,
    "opportunity": (*_RECORD_OWNED, "probability", "forecast_category_overridden", "lead_id", "referrals",
                    "line_items", "is_closed", "is_won", "closed_at"),
    "line_item": ("id", "product_name", "total", "position"),
}
_TYPE_RULES = {TEXT: "must be a string", INTEGER: "must be a whole number", BOOL: "must be true or false",
               DECIMAL: DECIMAL_RULE, MONEY: 'must be {"amount": "<decimal string>", "currency": "<ISO 4217>"}',
               "requirements": "must be a list of requirement names"}


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _decimal(value: Any) -> str | None:
    """A decimal string as the service takes it: a JSON string, or an integer (exact);
    None for anything else (a float has already lost its cents)."""
    if isinstance(value, str):
        return value
    return str(value) if _is_integer(value) else None


def _value(kind: str, value: Any, where: str, problems: dict[str, str]) -> Any:
    """The proto value of one JSON value, or None with the problem recorded under `where`."""
    if kind == TEXT and isinstance(value, str) or kind == BOOL and isinstance(value, bool):
        return value
    if kind == INTEGER and _is_integer(value) and -2**31 <= value < 2**31:  # 32 bits, as stored (larger: was a 500)
        return value
    if kind == DECIMAL and _decimal(value) is not None:
        return _decimal(value)
    if kind == "requirements" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    if kind == MONEY and isinstance(value, dict):
        money = _fields(value, {"amount": DECIMAL, "currency": TEXT}, (), problems, where + ".")[0]
        return pb.Money(**money)
    problems[where] = _TYPE_RULES[kind]
    return None


def _fields(body: dict[str, Any], spec: dict[str, str], server_owned: tuple[str, ...], problems: dict[str, str],
            prefix: str = "") -> tuple[dict[str, Any], list[str]]:
    """(proto field values, names sent as null) of a body; shape problems go to `problems`."""
    values, nulls = {}, []
    for name, value in body.items():
        where = prefix + name
        if name in server_owned:
            problems[where] = "is set by the server"
        elif name not in spec:
            problems[where] = "unknown field"
        elif value is None:
            nulls.append(name)
        else:
            converted = _value(spec[name], value, where, problems)
            if converted is not None:
                values[name] = converted
    return values, nulls


def _sales(method: str, message: Any) -> Any:
    return ask(SERVICE, SalesStub, method, message)


def _checked(method: str, message: Any, problems: dict[str, str]) -> Any:
    return ask_or_report(SERVICE, SalesStub, method, message, problems)


def _with_version(message: Any, version: int | None) -> Any:
    if version is not None:
        message.expected_version = version
    return message


def _required_version() -> int:
    """PATCH on an opportunity must say which version it changes (lost updates cost deals)."""
    version = expected_version()
    if version is None:
        raise ApiError(428, "precondition_required",
                       'send If-Match with the ETag of the opportunity you read (e.g. If-Match: "3")')
    return version


# -- query strings ---------------------------------------------------------------------------
def _list_request(message_class: type, text: tuple[str, ...], flags: tuple[str, ...] = ()) -> Any:
    """A List request from the query string: `text` and `flags` (true/false) filters and
    the page; an unknown parameter or a bad value is a 400 naming each."""
    problems = known_params(*text, *flags)
    filters: dict[str, Any] = {name: request.args[name] for name in text if name in request.args}
    for name in flags:
        if name in request.args:
            flag = {"true": True, "false": False}.get(request.args[name])
            if flag is None:
                problems[name] = "must be true or false"
            filters[name] = bool(flag)
    page = page_params(problems)
    if problems:
        raise validation_failed(problems)
    return message_class(**filters, **page)


def _page(items: list[dict[str, Any]], token: str = ""):
    return jsonify({"items": items, "next_page_token": token or None})


# -- rendering -------------------------------------------------------------------------------
def _times(message: Any) -> dict[str, Any]:
    return {"created_at": message.created_at, "updated_at": message.updated_at, "version": message.version}


def account_json(account: pb.Account) -> dict[str, Any]:
    return {"id": account.id, "name": account.name,
            **{name: opt(account, name) for name in ("domain", "industry", "employees", "country", "website",
                                                     "phone", "description")},
            "owner_id": account.owner_id, "parent_id": opt(account, "parent_id"), **_times(account)}


def contact_json(contact: pb.Contact) -> dict[str, Any]:
    return {"id": contact.id, "account_id": opt(contact, "account_id"), "first_name": contact.first_name,
            "last_name": contact.last_name, "email": opt(contact, "email"), "phone": opt(contact, "phone"),
            "title": opt(contact, "title"), "owner_id": contact.owner_id, "lead_id": opt(contact, "lead_id"),
            **_times(contact)}


def _money_json(money: pb.Money) -> dict[str, str]:
    return {"amount": money.amount, "currency": money.currency}


def product_json(product: pb.Product) -> dict[str, Any]:
    return {"id": product.id, "name": product.name, "code": opt(product, "code"),
            "description": opt(product, "description"), "family": opt(product, "family"),
            "list_price": _money_json(product.list_price), "active": product.active, **_times(product)}


def _line_item_json(item: pb.LineItem) -> dict[str, Any]:
    return {"id": item.id, "product_id": item.product_id, "product_name": item.product_name,
            "quantity": item.quantity, "unit_price": item.unit_price, "discount": item.discount,
            "total": item.total, "position": item.position}


def _referral_json(referral: pb.ReferralRef) -> dict[str, Any]:
    return {"referral_id": referral.referral_id, "case_id": referral.case_id,
            "case_number": referral.case_number or None, "agent_id": referral.agent_id, "kind": referral.kind,
            "product_interest": referral.product_interest}


def opportunity_json(opportunity: pb.Opportunity) -> dict[str, Any]:
    o = opportunity
    return {
        "id": o.id, "name": o.name, "account_id": o.account_id, "owner_id": o.owner_id, "amount": opt(o, "amount"),
        "currency": o.currency, "close_date": opt(o, "close_date"), "stage": o.stage, "probability": o.probability,
        "forecast_category": o.forecast_category, "forecast_category_overridden": o.forecast_category_overridden,
        "next_step": opt(o, "next_step"), "description": opt(o, "description"), "lead_id": opt(o, "lead_id"),
        "primary_contact_id": opt(o, "primary_contact_id"), "loss_reason": opt(o, "loss_reason"),
        "referrals": [_referral_json(r) for r in o.referrals],
        "line_items": [_line_item_json(item) for item in o.line_items],
        "is_closed": o.is_closed, "is_won": o.is_won, "closed_at": opt(o, "closed_at"), **_times(o),
    }


def _stage_change_json(change: pb.StageChange) -> dict[str, Any]:
    return {"at": change.at, "actor_id": opt(change, "actor_id"), "from_stage": opt(change, "from_stage"),
            "to_stage": change.to_stage, "amount": opt(change, "amount"), "currency": change.currency,
            "close_date": opt(change, "close_date"), "probability": change.probability,
            "forecast_category": change.forecast_category}


def _stage_json(stage: pb.Stage) -> dict[str, Any]:
    return {"name": stage.name, "probability": stage.probability, "forecast_category": stage.forecast_category,
            "is_closed": stage.is_closed, "is_won": stage.is_won, "guidance": stage.guidance,
            "requirements": list(stage.requirements)}


def _stages_json(stages: pb.Stages) -> dict[str, Any]:
    return {"stages": [_stage_json(stage) for stage in stages.stages], "version": stages.version,
            "updated_at": opt(stages, "updated_at"), "updated_by": opt(stages, "updated_by")}


# -- the four records: list, get, create, patch ---------------------------------------------
class _Resource:
    """How one kind of sales record maps between REST and the Sales service."""

    def __init__(self, kind: str, plural: str, fields: dict[str, str], fields_message: type, render, *,
                 text_filters: tuple[str, ...], flag_filters: tuple[str, ...] = ()) -> None:
        self.kind, self.plural, self.render = kind, plural, render
        self.fields, self.fields_message = fields, fields_message
        self.title = kind.capitalize()
        self.rule = f"/{plural}"
        self.path = BASE + self.rule
        self.text_filters, self.flag_filters = text_filters, flag_filters

    def list(self):
        method = f"List{self.plural.capitalize()}"
        reply = _sales(method, _list_request(getattr(pb, f"{method}Request"), self.text_filters, self.flag_filters))
        return _page([self.render(item) for item in getattr(reply, self.plural)], reply.next_page_token)

    def get(self, record_id: str):
        return record(self.render(_sales(f"Get{self.title}", pb.GetRequest(id=record_id))))

    def create(self):
        payload = json_body()
        problems: dict[str, str] = {}
        values, _nulls = _fields(payload, self.fields, SERVER_OWNED[self.kind], problems)  # null: not given
        message = getattr(pb, f"Create{self.title}Request")(**{self.kind: self.fields_message(**values)})
        with owner_checked(values.get("owner_id"), problems):
            return created_once(payload,
                                lambda: (201, self.render(_checked(f"Create{self.title}", message, problems))),
                                location=lambda body: f"{self.path}/{body['id']}")

    def update(self, record_id: str, version: int | None):
        problems: dict[str, str] = {}
        values, nulls = _fields(json_body(), self.fields, SERVER_OWNED[self.kind], problems)
        message = getattr(pb, f"Update{self.title}Request")(id=record_id, changes=self.fields_message(**values),
                                                            clear=nulls)
        with owner_checked(values.get("owner_id"), problems):
            return record(self.render(_checked(f"Update{self.title}", _with_version(message, version), problems)))


ACCOUNTS = _Resource("account", "accounts", ACCOUNT_FIELDS, pb.AccountFields, account_json,
                     text_filters=("owner_id", "q", "domain", "parent_id"))
CONTACTS = _Resource("contact", "contacts", CONTACT_FIELDS, pb.ContactFields, contact_json,
                     text_filters=("account_id", "owner_id", "q", "email"))
PRODUCTS = _Resource("product", "products", PRODUCT_FIELDS, pb.ProductFields, product_json, text_filters=("q",),
                     flag_filters=("active",))
OPPORTUNITIES = _Resource("opportunity", "opportunities", OPPORTUNITY_FIELDS, pb.OpportunityFields, opportunity_json,
                          text_filters=("owner_id", "account_id", "stage", "forecast_category", "close_date_from",
                                        "close_date_to", "q", "lead_id"), flag_filters=("is_closed",))
RESOURCES = (ACCOUNTS, CONTACTS, PRODUCTS, OPPORTUNITIES)


def _register(res: _Resource, writers: tuple[str, ...]) -> None:
    """list, create, get and (If-Match optional) patch routes of one kind of record. Every
    signed-in user may read: the service decides what they see (agents: accounts and
    contacts, no opportunities)."""
    def route(rule: str, endpoint: str, view, method: str, roles: tuple[str, ...]) -> None:
        bp.add_url_rule(rule, endpoint, authenticated(*roles)(view), methods=[method])

    route(res.rule, f"list_{res.plural}", res.list, "GET", ())
    route(res.rule, f"create_{res.kind}", res.create, "POST", writers)
    route(f"{res.rule}/<record_id>", f"get_{res.kind}", res.get, "GET", ())
    if res is not OPPORTUNITIES:  # its PATCH requires If-Match: below
        route(f"{res.rule}/<record_id>", f"update_{res.kind}",
              lambda record_id: res.update(record_id, expected_version()), "PATCH", writers)


for _res in RESOURCES:
    _register(_res, (ADMIN,) if _res is PRODUCTS else SALES)


@bp.patch("/opportunities/<record_id>")
@authenticated(*SALES)
def update_opportunity(record_id: str):
    return OPPORTUNITIES.update(record_id, _required_version())


# -- line items, stage history, the Sales Path ------------------------------------------------
@bp.post("/opportunities/<opportunity_id>/line-items")
@authenticated(*SALES)
def add_line_item(opportunity_id: str):
    payload = json_body()
    problems: dict[str, str] = {}
    values, _nulls = _fields(payload, LINE_ITEM_FIELDS, SERVER_OWNED["line_item"], problems)
    message = _with_version(pb.AddLineItemRequest(opportunity_id=opportunity_id,
                                                  line_item=pb.LineItemFields(**values)), expected_version())
    return created_once(payload, lambda: (201, opportunity_json(_checked("AddLineItem", message, problems))),
                        location=lambda body: f"{OPPORTUNITIES.path}/{body['id']}")


@bp.patch("/opportunities/<opportunity_id>/line-items/<item_id>")
@authenticated(*SALES)
def update_line_item(opportunity_id: str, item_id: str):
    problems: dict[str, str] = {}
    payload = json_body()
    values, nulls = _fields(payload, LINE_ITEM_CHANGES, SERVER_OWNED["line_item"], problems)
    if "product_id" in payload:
        problems["product_id"] = "cannot be changed: remove the line item and add another"
    for name in nulls:
        problems[name] = "must not be null"
    message = pb.UpdateLineItemRequest(opportunity_id=opportunity_id, line_item_id=item_id,
                                       changes=pb.LineItemFields(**values))
    return record(opportunity_json(_checked("UpdateLineItem", _with_version(message, expected_version()), problems)))


@bp.delete("/opportunities/<opportunity_id>/line-items/<item_id>")
@authenticated(*SALES)
def remove_line_item(opportunity_id: str, item_id: str):
    message = pb.RemoveLineItemRequest(opportunity_id=opportunity_id, line_item_id=item_id)
    return record(opportunity_json(_sales("RemoveLineItem", _with_version(message, expected_version()))))


@bp.get("/opportunities/<opportunity_id>/stage-history")
@authenticated()
def stage_history(opportunity_id: str):
    problems = known_params()
    if problems:
        raise validation_failed(problems)
    reply = _sales("GetStageHistory", pb.GetStageHistoryRequest(opportunity_id=opportunity_id))
    return _page([_stage_change_json(change) for change in reply.changes])


@bp.get("/opportunity-stages")
@authenticated(*SALES)
def get_stages():
    return record(_stages_json(_sales("GetStages", pb.GetStagesRequest())))


_STAGES_READ_ONLY = ("version", "updated_at", "updated_by")  # sent back by GET; ignored by PUT


@bp.put("/opportunity-stages")
@authenticated(ADMIN)
def put_stages():
    body = json_body()
    problems: dict[str, str] = {}
    stages = []
    for name in body:
        if name not in ("stages", *_STAGES_READ_ONLY):
            problems[name] = "unknown field"
    listed = body.get("stages")
    if not isinstance(listed, list):
        problems["stages"] = "must be a list of stages"
        listed = []
    for n, stage in enumerate(listed):
        if isinstance(stage, dict):
            stages.append(pb.Stage(**_fields(stage, STAGE_FIELDS, (), problems, f"stages[{n}].")[0]))
        else:
            problems[f"stages[{n}]"] = "must be an object"
    if problems:
        raise validation_failed(problems)  # PutStages has no validate_only
    message = _with_version(pb.PutStagesRequest(stages=stages), expected_version())
    return record(_stages_json(_sales("PutStages", message)))


# -- OpenAPI -----------------------------------------------------------------------------------
_ID = {"type": "string", "description": "opaque"}
_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339 UTC (Z)"}
_DATE = {"type": "string", "format": "date", "description": "YYYY-MM-DD"}
_TEXT = {"type": "string"}
_NULLABLE = {"type": ["string", "null"]}
_DECIMAL_IN = {"type": ["string", "integer"], "pattern": r"^-?\d+(\.\d+)?$",
               "description": "a decimal string (or a whole number); a float is refused (400)"}
_DECIMAL_OUT = {"type": "string", "description": "decimal string"}
_VERSION = {"type": "integer", "minimum": 1}
_META = {"id": _ID, "created_at": _TIME, "updated_at": _TIME, "version": _VERSION}
_SCHEMA_TYPES = {TEXT: _TEXT, INTEGER: {"type": "integer"}, DECIMAL: _DECIMAL_IN, BOOL: {"type": "boolean"},
                 MONEY: ref("schemas", "SalesMoneyInput"),
                 "requirements": {"type": "array", "items": {"enum": list(REQUIREMENTS)}}}


def _object(properties: dict[str, Any], required: list[str] | None = None, *, closed: bool = False,
            **extra) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def _list_of(name: str) -> dict[str, Any]:
    return _object({"items": {"type": "array", "items": ref("schemas", name)},
                    "next_page_token": {"type": ["string", "null"]}}, ["items", "next_page_token"])


def _input(spec: dict[str, str], notes: dict[str, str], *, nullable: bool) -> dict[str, Any]:
    """The body schema of a create (nullable=False) or a patch (null clears) from the field spec."""
    properties = {}
    for name, kind in spec.items():
        schema = dict(_SCHEMA_TYPES[kind])
        if nullable and "type" in schema:
            schema["type"] = [*(schema["type"] if isinstance(schema["type"], list) else [schema["type"]]), "null"]
        if name in notes:
            schema["description"] = notes[name]
        properties[name] = schema
    return properties


def _record_schema(fields: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {"id": _ID, **fields, **(extra or {}), **{k: v for k, v in _META.items() if k != "id"}}
    return _object(properties, list(properties))


OWNER_NOTE = ("an active sales user; left out: the caller. Admins name anyone, managers themselves or someone "
              "below them, reps only themselves (else 403 forbidden naming owner_id)")
_ACCOUNT_NOTES = {"domain": "stored lower-case; lead conversion matches accounts by it",
                  "employees": "company size", "country": "ISO 3166-1 alpha-2",
                  "owner_id": OWNER_NOTE, "parent_id": "never a cycle"}
_CONTACT_NOTES = {"email": "stored lower-case", "owner_id": OWNER_NOTE}
_PRODUCT_NOTES = {"code": "unique SKU", "active": "inactive products stay on old deals but cannot be added"}
_OPPORTUNITY_NOTES = {
    "owner_id": OWNER_NOTE,
    "amount": "refused (422 amount_from_line_items) while the opportunity has line items: it is their sum",
    "currency": "ISO 4217; fixed while the opportunity has line items",
    "close_date": "YYYY-MM-DD", "stage": "a stage of the Sales Path; left out on create: the first",
    "forecast_category": "overrides the stage's category; null (PATCH) drops the override",
    "primary_contact_id": "a contact of the same account",
}
_LINE_ITEM_NOTES = {"quantity": "> 0", "unit_price": "in the opportunity's currency; left out: the list price",
                    "discount": "percent, 0-100"}


def _schemas() -> dict[str, Any]:
    account_fields = {"name": _TEXT, "domain": _NULLABLE, "industry": _NULLABLE,
                      "employees": {"type": ["integer", "null"]}, "country": _NULLABLE, "website": _NULLABLE,
                      "phone": _NULLABLE, "description": _NULLABLE, "owner_id": _ID, "parent_id": _NULLABLE}
    contact_fields = {"account_id": _NULLABLE, "first_name": _TEXT, "last_name": _TEXT, "email": _NULLABLE,
                      "phone": _NULLABLE, "title": _NULLABLE, "owner_id": _ID, "lead_id": _NULLABLE}
    category = {"enum": list(FORECAST_CATEGORIES)}
    stage = _object({"name": _TEXT, "probability": {"type": "integer", "minimum": 0, "maximum": 100},
                     "forecast_category": category, "is_closed": {"type": "boolean"}, "is_won": {"type": "boolean"},
                     "guidance": {"type": "string", "description": "what the rep should do in this stage"},
                     "requirements": _SCHEMA_TYPES["requirements"]},
                    ["name", "probability", "forecast_category", "is_closed", "is_won"], closed=True)
    return {
        "SalesMoney": _object({"amount": _DECIMAL_OUT, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
                              ["amount", "currency"]),
        "SalesMoneyInput": _object({"amount": _DECIMAL_IN, "currency": {"type": "string",
                                                                        "description": "ISO 4217"}},
                                   ["amount", "currency"], closed=True),
        "Account": _record_schema(account_fields),
        "AccountCreate": _object(_input(ACCOUNT_FIELDS, _ACCOUNT_NOTES, nullable=False), ["name"], closed=True),
        "AccountPatch": _object(_input(ACCOUNT_FIELDS, _ACCOUNT_NOTES, nullable=True), closed=True,
                                description="Only the fields sent change; null clears an optional one."),
        "AccountList": _list_of("Account"),
        "Contact": _record_schema(contact_fields),
        "ContactCreate": _object(_input(CONTACT_FIELDS, _CONTACT_NOTES, nullable=False),
                                 ["first_name", "last_name"], closed=True),
        "ContactPatch": _object(_input(CONTACT_FIELDS, _CONTACT_NOTES, nullable=True), closed=True),
        "ContactList": _list_of("Contact"),
        "Product": _record_schema({"name": _TEXT, "code": _NULLABLE, "description": _NULLABLE, "family": _NULLABLE,
                                   "list_price": ref("schemas", "SalesMoney"), "active": {"type": "boolean"}}),
        "ProductCreate": _object(_input(PRODUCT_FIELDS, _PRODUCT_NOTES, nullable=False), ["name", "list_price"],
                                 closed=True),
        "ProductPatch": _object(_input(PRODUCT_FIELDS, _PRODUCT_NOTES, nullable=True), closed=True),
        "ProductList": _list_of("Product"),
        "LineItem": _object({"id": _ID, "product_id": _ID, "product_name": _TEXT, "quantity": _DECIMAL_OUT,
                             "unit_price": _DECIMAL_OUT, "discount": {**_DECIMAL_OUT, "description": "percent"},
                             "total": {**_DECIMAL_OUT, "description": "quantity x unit price x (1 - discount/100), "
                                                                      "rounded to the currency's minor unit"},
                             "position": {"type": "integer"}}),
        "LineItemCreate": _object(_input(LINE_ITEM_FIELDS, _LINE_ITEM_NOTES, nullable=False),
                                  ["product_id", "quantity"], closed=True),
        "LineItemPatch": _object(_input(LINE_ITEM_CHANGES, _LINE_ITEM_NOTES, nullable=False), closed=True,
                                 description="not product_id: remove the line item and add another"),
        "OpportunityReferral": _object({"referral_id": _ID, "case_id": _ID, "case_number": _NULLABLE,
                                        "agent_id": _ID, "kind": _TEXT, "product_interest": _TEXT},
                                       description="the service agent's referral the converted lead carried"),
        "Opportunity": _record_schema({
            "name": _TEXT, "account_id": _ID, "owner_id": _ID,
            "amount": {"type": ["string", "null"], "description": "decimal string; the line items' sum when "
                                                                  "there are any"},
            "currency": _TEXT, "close_date": {"type": ["string", "null"], "format": "date"}, "stage": _TEXT,
            "probability": {"type": "integer", "minimum": 0, "maximum": 100, "description": "from the stage"},
            "forecast_category": category,
            "forecast_category_overridden": {"type": "boolean", "description": "the rep chose the category"},
            "next_step": _NULLABLE, "description": _NULLABLE, "lead_id": _NULLABLE, "primary_contact_id": _NULLABLE,
            "loss_reason": _NULLABLE,
            "referrals": {"type": "array", "items": ref("schemas", "OpportunityReferral")},
            "line_items": {"type": "array", "items": ref("schemas", "LineItem")},
            "is_closed": {"type": "boolean"}, "is_won": {"type": "boolean"},
            "closed_at": {"type": ["string", "null"], "format": "date-time"},
        }),
        "OpportunityCreate": _object(_input(OPPORTUNITY_FIELDS, _OPPORTUNITY_NOTES, nullable=False),
                                     ["name", "account_id"], closed=True),
        "OpportunityPatch": _object(_input(OPPORTUNITY_FIELDS, _OPPORTUNITY_NOTES, nullable=True), closed=True,
                                    description="Only the fields sent change; null clears an optional one. A new "
                                                "stage sets probability and category and must have its "
                                                "requirements met after the whole change (else 422)."),
        "OpportunityList": _list_of("Opportunity"),
        "StageChange": _object({"at": _TIME, "actor_id": {"type": ["string", "null"],
                                                          "description": "null: the service itself"},
                                "from_stage": {"type": ["string", "null"], "description": "null: created"},
                                "to_stage": _TEXT, "amount": _NULLABLE, "currency": _TEXT,
                                "close_date": _NULLABLE, "probability": {"type": "integer"},
                                "forecast_category": category}),
        "StageHistory": _list_of("StageChange"),
        "Stage": stage,
        "Stages": _object({"stages": {"type": "array", "items": ref("schemas", "Stage")},
                           "version": {"type": "integer", "minimum": 0, "readOnly": True,
                                       "description": "0: the built-in defaults"},
                           "updated_at": {"type": ["string", "null"], "format": "date-time", "readOnly": True},
                           "updated_by": {"type": ["string", "null"], "readOnly": True}}, ["stages"],
                          description="The Sales Path, in order. Requirements: " + ", ".join(REQUIREMENTS) + ". "
                                      "The read-only fields of GET may be sent back and are ignored."),
    }


_FILTER_NOTES = {"owner_id": "only this owner's", "q": "case-insensitive search", "domain": "exactly this domain",
                 "parent_id": "the children of this account", "account_id": "only this account's",
                 "email": "exactly this email", "stage": "only in this stage",
                 "forecast_category": "only this category", "close_date_from": "closing on or after (YYYY-MM-DD)",
                 "close_date_to": "closing on or before (YYYY-MM-DD)", "lead_id": "converted from this lead",
                 "active": "only active (true) or inactive (false) products", "is_closed": "only closed or open"}

_CREATED = {"Location": {"schema": {"type": "string"}}, **REPLAYED}
_RULES_422 = ("422: invalid_owner, stage_requirements_unmet (details.stage, details.missing), "
              "amount_from_line_items, currency_mismatch, product_inactive, ...")


def _resource_paths(res: _Resource, what: str, description: str) -> dict[str, Any]:
    title = res.title
    record_id = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
    writers = "admins" if res is PRODUCTS else "sales users"
    strict = res is OPPORTUNITIES
    readers_only = (403,) if res is PRODUCTS else ()  # the catalogue is for sales users: agents get 403
    patch_status = (400, 401, 403, 404, 412, 413, 422, 428, 503) if strict else (400, 401, 403, 404, 412, 413,
                                                                                  422, 503)
    filters = [query(name, {"type": "string", "enum": ["true", "false"]} if name in res.flag_filters else _TEXT,
                      _FILTER_NOTES[name]) for name in (*res.text_filters, *res.flag_filters)]
    return {
        res.path: {
            "get": operation(f"List {what} the caller may see", "sales",
                             {"200": ok(f"a page of {what}", f"{title}List"), **errors(400, 401, *readers_only, 503)},
                             description=description,
                             parameters=[*filters, ref("parameters", "PageSize"), ref("parameters", "PageToken")]),
            "post": operation(f"Create one ({writers})", "sales",
                              {"201": ok("created (or the first response, replayed)", title, etag=True,
                                         extra_headers=_CREATED), **errors(400, 401, 403, 404, 413, 422, 503)},
                              description="Server-owned fields (id, version, times, ...) and unknown fields: 400. "
                                          + _RULES_422,
                              parameters=[ref("parameters", "IdempotencyKey")],
                              requestBody={"required": True, "content": json_content(f"{title}Create")}),
        },
        res.path + "/{record_id}": {
            "parameters": [record_id],
            "get": operation("One record (404 also when the caller may not see it)", "sales",
                             {"200": ok("the record", title, etag=True), **errors(401, *readers_only, 404, 503)}),
            "patch": operation(
                f"Change one ({writers})", "sales",
                {"200": ok("the record after the change", title, etag=True), **errors(*patch_status)},
                description=("If-Match is REQUIRED (428 precondition_required without it; 412 when stale, with "
                             "details.current_version). " if strict else "If-Match is optional; a stale one gives "
                             "412. ") + _RULES_422,
                parameters=[ref("parameters", "IfMatch")],
                requestBody={"required": True, "content": json_content(f"{title}Patch")}),
        },
    }


def _paths() -> dict[str, Any]:
    opportunity_id = {"name": "opportunity_id", "in": "path", "required": True, "schema": {"type": "string"}}
    item_id = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}
    after = ok("the opportunity after the change (its amount is the line items' sum)", "Opportunity", etag=True)
    item_errors = errors(400, 401, 403, 404, 412, 413, 422, 503)
    paths = {
        **_resource_paths(ACCOUNTS, "accounts", "Every sales user and service agent reads accounts; owners, their "
                                                "managers and admins change them."),
        **_resource_paths(CONTACTS, "contacts", "Readable like accounts."),
        **_resource_paths(PRODUCTS, "products", "Every sales user reads the catalogue."),
        **_resource_paths(OPPORTUNITIES, "opportunities", "Admins see all, managers their team's, reps their own; "
                                                          "service agents none."),
        f"{BASE}/opportunities/{{opportunity_id}}/line-items": {
            "parameters": [opportunity_id],
            "post": operation("Add a line item", "sales",
                              {"201": ok("the opportunity with the new line item", "Opportunity", etag=True,
                                         extra_headers=_CREATED), **item_errors},
                              description="If-Match (the opportunity's ETag) is optional; a stale one gives 412. "
                                          "422: product_inactive, currency_mismatch.",
                              parameters=[ref("parameters", "IfMatch"), ref("parameters", "IdempotencyKey")],
                              requestBody={"required": True, "content": json_content("LineItemCreate")}),
        },
        f"{BASE}/opportunities/{{opportunity_id}}/line-items/{{item_id}}": {
            "parameters": [opportunity_id, item_id],
            "patch": operation("Change a line item's quantity, unit price or discount", "sales",
                               {"200": after, **item_errors}, parameters=[ref("parameters", "IfMatch")],
                               requestBody={"required": True, "content": json_content("LineItemPatch")}),
            "delete": operation("Remove a line item", "sales", {"200": after, **errors(401, 403, 404, 412, 503)},
                                parameters=[ref("parameters", "IfMatch")]),
        },
        f"{BASE}/opportunities/{{opportunity_id}}/stage-history": {
            "parameters": [opportunity_id],
            "get": operation("Every stage change, oldest first: who, when, from, to, amount and close date then",
                             "sales", {"200": ok("all of them (next_page_token is null)", "StageHistory"),
                                       **errors(400, 401, 404, 503)}),
        },
        f"{BASE}/opportunity-stages": {
            "get": operation("The Sales Path (sales users)", "sales",
                             {"200": ok("the stages", "Stages", etag=True), **errors(401, 403, 503)}),
            "put": operation("Replace the Sales Path (admin)", "sales",
                             {"200": ok("the stages as stored", "Stages", etag=True),
                              **errors(400, 401, 403, 412, 413, 422, 503)},
                             description="If-Match is optional; a stale one gives 412. 422 stage_in_use when a "
                                         "dropped stage still has opportunities.",
                             parameters=[ref("parameters", "IfMatch")],
                             requestBody={"required": True, "content": json_content("Stages")}),
        },
    }
    return paths


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    tag = {"name": "sales", "description": "accounts, contacts, products, opportunities with line items and the "
                                           "Sales Path"}
    return {"tags": [tag], "paths": _paths(), "schemas": _schemas()}
