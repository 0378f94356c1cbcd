"""/api/v1/forecasts (numbers, adjustments, the deals behind a number), /api/v1/quotas and
/api/v1/forecast-settings: check the request's shape, ask the forecast service as the
caller, render its answer. Money is a decimal string in the forecast currency, never a
number; the service checks values and who may see or change what."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from tandem.forecast.v1 import forecast_pb2, forecast_pb2_grpc

from ..identity.domain import ADMIN, SALES_MANAGER, SALES_REP
from .auth import authenticated
from .errors import validation_failed
from .idempotency import REPLAYED, created_once
from .openapi_parts import errors, json_body as json_content, ok, operation, query, ref
from .representations import (expected_version, json_body, known_params, opt, page_params, record,
                              settings_document, settings_document_json)
from .services import ask, ask_or_report

bp = Blueprint("forecasts", __name__, url_prefix="/api/v1")

SALES = (ADMIN, SALES_MANAGER, SALES_REP)
STUB = forecast_pb2_grpc.ForecastsStub
NUMBERS = ("closed", "commit", "best_case", "open_pipeline")
_ADJUSTMENT_FIELDS = ("user_id", "period", "category", "amount", "reason")
_ADJUSTMENT_SERVER_FIELDS = ("id", "previous_amount", "currency", "author_id", "created_at")
_MONEY_RULE = 'must be a decimal string such as "1234.50", never a number'


def _ask(method: str, message: Any) -> Any:
    return ask("forecast", STUB, method, message)


def _query_args(*names: str) -> dict[str, str]:
    """The named query parameters that are present (others are refused)."""
    problems = known_params(*names)
    if problems:
        raise validation_failed(problems)
    return {name: request.args[name] for name in names if name in request.args}


# -- responses -----------------------------------------------------------------------------
def _numbers(numbers: forecast_pb2.Numbers) -> dict[str, str]:
    return {number: getattr(numbers, number) for number in NUMBERS}


def forecast_json(forecast: forecast_pb2.Forecast) -> dict[str, Any]:
    return {
        "user_id": forecast.user_id,
        "user_name": forecast.user_name,
        "active": forecast.active,
        "period": forecast.period,
        "first_day": forecast.first_day,
        "last_day": forecast.last_day,
        "currency": forecast.currency,
        "quota": opt(forecast, "quota"),
        "attainment": opt(forecast, "attainment"),
        **_numbers(forecast.adjusted),
        "unadjusted": _numbers(forecast.unadjusted),
        "adjustments": {a.category: {"id": a.id, "amount": a.amount, "reason": a.reason, "author_id": a.author_id,
                                     "created_at": a.created_at} for a in forecast.adjustments},
        "unconverted": [{"currency": u.currency, "count": u.count, "amount": u.amount} for u in forecast.unconverted],
        "children": [forecast_json(child) for child in forecast.children],
    }


def _adjustment_json(adjustment: forecast_pb2.Adjustment) -> dict[str, Any]:
    return {"id": adjustment.id, "user_id": adjustment.user_id, "period": adjustment.period,
            "category": adjustment.category, "amount": opt(adjustment, "amount"),
            "previous_amount": adjustment.previous_amount, "currency": adjustment.currency,
            "reason": adjustment.reason, "author_id": adjustment.author_id, "created_at": adjustment.created_at}


def _quota_json(quota: forecast_pb2.Quota) -> dict[str, Any]:
    return {"user_id": quota.user_id, "period": quota.period, "amount": quota.amount, "currency": quota.currency,
            "version": quota.version, "updated_at": quota.updated_at, "updated_by": quota.updated_by}


def _deal_json(deal: forecast_pb2.ForecastOpportunity) -> dict[str, Any]:
    return {
        **{name: getattr(deal, name) for name in ("id", "name", "account_id", "account_name", "owner_id", "owner_name",
                                                  "stage", "probability", "forecast_category")},
        "amount": opt(deal, "amount"),
        "currency": deal.currency,
        "forecast_amount": opt(deal, "forecast_amount"),
        "close_date": opt(deal, "close_date"),
        "is_closed": deal.is_closed,
        "is_won": deal.is_won,
    }


# -- routes --------------------------------------------------------------------------------
@bp.get("/forecasts")
@authenticated(*SALES)
def get_forecast():
    args = _query_args("period", "user_id")
    return jsonify(forecast_json(_ask("GetForecast", forecast_pb2.GetForecastRequest(**args))))


@bp.post("/forecasts/adjustments")
@authenticated(ADMIN, SALES_MANAGER)
def adjust_forecast():
    payload = json_body()
    problems = {name: "is set by the server" if name in _ADJUSTMENT_SERVER_FIELDS else "unknown field"
                for name in payload if name not in _ADJUSTMENT_FIELDS}
    message = forecast_pb2.AdjustForecastRequest()
    for name in _ADJUSTMENT_FIELDS:
        value = payload.get(name)
        if name == "amount" and name not in payload:
            problems[name] = "is required: a decimal string, or null to go back to the computed number"
        elif name == "amount" and value is not None and not isinstance(value, str):
            problems[name] = _MONEY_RULE
        elif name != "amount" and value is not None and not isinstance(value, str):
            problems[name] = "must be a string"
        elif value is not None:
            setattr(message, name, value)
    return created_once(payload, lambda: (201, _adjustment_json(ask_or_report("forecast", STUB, "AdjustForecast",
                                                                          message, problems))))


@bp.get("/forecasts/adjustments")
@authenticated(*SALES)
def list_adjustments():
    args = _query_args("user_id", "period", "category")
    reply = _ask("ListAdjustments", forecast_pb2.ListAdjustmentsRequest(**args))
    return jsonify({"items": [_adjustment_json(a) for a in reply.adjustments]})


@bp.get("/forecasts/opportunities")
@authenticated(*SALES)
def forecast_opportunities():
    problems = known_params("period", "user_id", "category")
    page = page_params(problems)
    if problems:
        raise validation_failed(problems)
    filters = {name: request.args[name] for name in ("period", "user_id", "category") if name in request.args}
    reply = _ask("ListForecastOpportunities", forecast_pb2.ListForecastOpportunitiesRequest(**filters, **page))
    return jsonify({"items": [_deal_json(deal) for deal in reply.opportunities], "currency": reply.currency,
                    "next_page_token": reply.next_page_token or None})


@bp.put("/quotas/<user_id>/<period>")
@authenticated(ADMIN, SALES_MANAGER)
def set_quota(user_id: str, period: str):
    payload = json_body()
    problems = {name: "unknown field" for name in payload if name != "amount"}
    message = forecast_pb2.SetQuotaRequest(user_id=user_id, period=period)
    amount = payload.get("amount")
    if not isinstance(amount, str):
        problems["amount"] = "is required" if amount is None else _MONEY_RULE
    else:
        message.amount = amount
    version = expected_version()
    if version is not None:
        message.expected_version = version
    return record(_quota_json(ask_or_report("forecast", STUB, "SetQuota", message, problems)))


@bp.get("/quotas")
@authenticated(*SALES)
def list_quotas():
    args = _query_args("period", "user_id")
    reply = _ask("ListQuotas", forecast_pb2.ListQuotasRequest(**args))
    return jsonify({"items": [_quota_json(q) for q in reply.quotas]})


@bp.get("/forecast-settings")
@authenticated(*SALES)
def get_forecast_settings():
    return record(settings_document(_ask("GetForecastSettings", forecast_pb2.GetForecastSettingsRequest())))


@bp.put("/forecast-settings")
@authenticated(ADMIN)
def put_forecast_settings():
    message = forecast_pb2.PutForecastSettingsRequest(document_json=settings_document_json())
    version = expected_version()
    if version is not None:
        message.expected_version = version
    return record(settings_document(_ask("PutForecastSettings", message)))


# -- OpenAPI -------------------------------------------------------------------------------
_PERIOD = {"type": "string", "pattern": "^[0-9]{4}-(Q[1-4]|0[1-9]|1[0-2])$",
           "description": 'a fiscal quarter ("2026-Q4"; the fiscal year is named by the calendar year it ends in) '
                          'or a calendar month ("2026-11")'}
_MONEY = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$", "example": "1234.50",
          "description": "a decimal string in the forecast currency; a JSON number is refused (400)"}
_CATEGORY = {"type": "string", "enum": list(NUMBERS)}
_TIME = {"type": "string", "format": "date-time"}


def _schemas() -> dict[str, Any]:
    numbers = {number: _MONEY for number in NUMBERS}
    return {
        "ForecastNumbers": {
            "type": "object", "required": list(NUMBERS), "properties": numbers,
            "description": "cumulative: closed = closed won; commit = commit + closed; best_case = best case + "
                           "commit + closed; open_pipeline = pipeline + best case + commit; omitted never counts",
        },
        "Forecast": {
            "type": "object",
            "required": ["user_id", "user_name", "active", "period", "first_day", "last_day", "currency", "quota",
                         "attainment", *NUMBERS, "unadjusted", "adjustments", "unconverted", "children"],
            "description": "The four numbers at the top are ADJUSTED: the user's adjustment where they have one, "
                           "else their own deals plus their direct reports' adjusted numbers. `unadjusted`: the "
                           "deals alone. Computed when asked from the read model and the hierarchy as it is now.",
            "properties": {
                "user_id": {"type": "string"}, "user_name": {"type": "string"},
                "active": {"type": "boolean", "description": "deactivated users' deals still count where they sit"},
                "period": _PERIOD, "first_day": {"type": "string", "format": "date"},
                "last_day": {"type": "string", "format": "date", "description": "inclusive"},
                "currency": {"type": "string", "description": "the forecast currency (settings)"},
                "quota": {**_MONEY, "type": ["string", "null"]},
                "attainment": {"type": ["string", "null"], "example": "33.33",
                               "description": "closed (unadjusted) / quota in percent, 2 decimals; null without a "
                                              "quota"},
                **numbers,
                "unadjusted": ref("schemas", "ForecastNumbers"),
                "adjustments": {"type": "object", "description": "the user's own adjustments in force, by category",
                                "additionalProperties": {"type": "object", "properties": {
                                    "id": {"type": "integer"}, "amount": _MONEY, "reason": {"type": "string"},
                                    "author_id": {"type": "string"}, "created_at": _TIME}}},
                "unconverted": {"type": "array", "description": "deals in the subtree left out: no rate from their "
                                                                "currency",
                                "items": {"type": "object", "properties": {
                                    "currency": {"type": "string"}, "count": {"type": "integer"},
                                    "amount": {"type": "string", "description": "in that currency"}}}},
                "children": {"type": "array", "items": ref("schemas", "Forecast"),
                             "description": "one per direct report, each rolled up over their own subtree"},
            },
        },
        "ForecastAdjust": {
            "type": "object", "required": list(_ADJUSTMENT_FIELDS), "additionalProperties": False,
            "properties": {"user_id": {"type": "string"}, "period": _PERIOD, "category": _CATEGORY,
                           "amount": {**_MONEY, "type": ["string", "null"],
                                      "description": "null: back to the computed number (kept in the history)"},
                           "reason": {"type": "string", "minLength": 1, "maxLength": 1000}},
        },
        "ForecastAdjustment": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "user_id": {"type": "string"}, "period": _PERIOD,
                           "category": _CATEGORY, "amount": {**_MONEY, "type": ["string", "null"]},
                           "previous_amount": {**_MONEY, "description": "the adjusted number it replaced"},
                           "currency": {"type": "string"}, "reason": {"type": "string"},
                           "author_id": {"type": "string"}, "created_at": _TIME},
        },
        "ForecastAdjustmentList": {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": ref("schemas", "ForecastAdjustment")}}},
        "Quota": {
            "type": "object",
            "properties": {"user_id": {"type": "string"}, "period": _PERIOD, "amount": _MONEY,
                           "currency": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
                           "updated_at": _TIME, "updated_by": {"type": "string"}},
        },
        "QuotaPut": {"type": "object", "required": ["amount"], "additionalProperties": False,
                     "properties": {"amount": _MONEY}},
        "QuotaList": {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": ref("schemas", "Quota")}}},
        "ForecastOpportunity": {
            "type": "object",
            "properties": {
                **{name: {"type": "string"} for name in ("id", "name", "account_id", "account_name", "owner_id",
                                                         "owner_name", "stage", "forecast_category", "currency")},
                "probability": {"type": "integer"},
                "amount": {"type": ["string", "null"], "description": "in the deal's currency"},
                "forecast_amount": {"type": ["string", "null"],
                                    "description": "in the forecast currency; null: no amount or no rate"},
                "close_date": {"type": ["string", "null"], "format": "date"},
                "is_closed": {"type": "boolean"}, "is_won": {"type": "boolean"},
            },
        },
        "ForecastOpportunityList": {"type": "object", "required": ["items", "currency", "next_page_token"],
                                    "properties": {"items": {"type": "array",
                                                             "items": ref("schemas", "ForecastOpportunity")},
                                                   "currency": {"type": "string"},
                                                   "next_page_token": {"type": ["string", "null"]}}},
        "ForecastSettings": {
            "type": "object",
            "description": "The read-only version, updated_at and updated_by of GET may be sent back and are "
                           "ignored. Left out: the default. If-Match is optional: a stale one gives 412.",
            "properties": {
                "fiscal_year_start_month": {"type": "integer", "minimum": 1, "maximum": 12, "default": 1},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "default": "USD"},
                "rates": {"type": "object", "additionalProperties": {"type": "string", "example": "1.08"},
                          "description": "what one unit of each currency is worth in `currency`"},
                "version": {"type": "integer", "readOnly": True, "description": "0: the built-in default"},
                "updated_at": {"type": ["string", "null"], "format": "date-time", "readOnly": True},
                "updated_by": {"type": ["string", "null"], "readOnly": True},
            },
        },
    }


def _paths() -> dict[str, Any]:
    period = query("period", _PERIOD, "required")
    user = query("user_id", {"type": "string"}, "default: the caller")
    access = ("Admins see everyone, managers their subtree, reps themselves (404 for anyone else); service agents "
              "403.")
    return {
        "/api/v1/forecasts": {"get": operation(
            "A user's forecast for a period, with each direct report's", "forecasts",
            {"200": ok("the forecast", "Forecast"), **errors(400, 401, 403, 404, 503)},
            description=access, parameters=[period, user])},
        "/api/v1/forecasts/adjustments": {
            "post": operation(
                "Adjust one number of a user at or below the caller (managers, admins)", "forecasts",
                {"201": ok("the adjustment, as kept in the history (or the first response, replayed)",
                           "ForecastAdjustment", extra_headers=REPLAYED),
                 **errors(400, 401, 403, 404, 413, 422, 503)},
                description="The newest adjustment of (user, period, category) is in force and rolls up into every "
                            "manager above. amount null removes it (422 not_adjusted when none is in force).",
                parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_content("ForecastAdjust")}),
            "get": operation(
                "Every adjustment of a user in a period, newest first", "forecasts",
                {"200": ok("the history", "ForecastAdjustmentList"), **errors(400, 401, 403, 404, 503)},
                parameters=[query("user_id", {"type": "string"}, "required"), period,
                            query("category", _CATEGORY, "only this number's")]),
        },
        "/api/v1/forecasts/opportunities": {"get": operation(
            "The deals behind a number in a user's subtree, by close date", "forecasts",
            {"200": ok("a page of deals", "ForecastOpportunityList"), **errors(400, 401, 403, 404, 503)},
            description="Cumulative: category=commit lists commit and closed deals. " + access,
            parameters=[period, user, query("category", _CATEGORY, "default: every deal that counts"),
                        ref("parameters", "PageSize"), ref("parameters", "PageToken")])},
        "/api/v1/quotas": {"get": operation(
            "Quotas the caller sees", "forecasts",
            {"200": ok("by period, then user", "QuotaList"), **errors(400, 401, 403, 404, 503)},
            parameters=[query("period", _PERIOD, "only this period's"),
                        query("user_id", {"type": "string"}, "this user's and everyone's below them")])},
        "/api/v1/quotas/{user_id}/{period}": {
            "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "period", "in": "path", "required": True, "schema": _PERIOD}],
            "put": operation(
                "Set a user's quota for a period (managers for anyone below them, admins for anyone)", "forecasts",
                {"200": ok("the quota", "Quota", etag=True), **errors(400, 401, 403, 404, 412, 413, 503)},
                description="In the forecast currency. If-Match is optional; a stale one gives 412.",
                parameters=[ref("parameters", "IfMatch")],
                requestBody={"required": True, "content": json_content("QuotaPut")})},
        "/api/v1/forecast-settings": {
            "get": operation("The forecast settings (sales users)", "forecasts",
                             {"200": ok("the settings", "ForecastSettings", etag=True), **errors(401, 403, 503)}),
            "put": operation("Replace the forecast settings (admins)", "forecasts",
                             {"200": ok("the settings", "ForecastSettings", etag=True),
                              **errors(400, 401, 403, 412, 413, 503)},
                             parameters=[ref("parameters", "IfMatch")],
                             requestBody={"required": True, "content": json_content("ForecastSettings")})},
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tag, paths and schemas."""
    tag = {"name": "forecasts", "description": "collaborative forecasts rolled up the hierarchy, adjustments, "
                                               "quotas, the deals behind a number, settings"}
    return {"tags": [tag], "paths": _paths(), "schemas": _schemas()}
