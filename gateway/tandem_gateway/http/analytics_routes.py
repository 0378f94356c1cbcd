"""/api/v1/pipeline and /api/v1/analytics (pipeline analytics), /api/v1/reports and
/api/v1/dashboards (reports and dashboards without code), in front of the forecast
service's Analytics and Reports. The gateway checks the JSON's shape; the service checks
definitions (naming every bad part), who sees what, and runs them. Money is a decimal
string in the forecast currency; a report's result can also leave as CSV."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Blueprint, Response, jsonify, request
from tandem.forecast.v1 import analytics_pb2 as pb
from tandem.forecast.v1 import analytics_pb2_grpc

from ..identity.domain import ADMIN, SALES_MANAGER, SALES_REP
from .auth import authenticated
from .errors import validation_failed
from .idempotency import REPLAYED, created_once
from .openapi_parts import errors, json_body as json_content, ok, operation, query, ref
from .representations import expected_version, json_body, known_params, page_params, record
from .services import ask, ask_or_report

bp = Blueprint("analytics", __name__, url_prefix="/api/v1")

SALES = (ADMIN, SALES_MANAGER, SALES_REP)
REPORTS_PATH, DASHBOARDS_PATH = "/api/v1/reports", "/api/v1/dashboards"
DEFINITION = ("source", "filters", "group_by", "aggregates", "sort", "limit")
_SERVER_FIELDS = ("id", "owner_id", "version", "created_at", "updated_at")


def _ask(stub, method: str, message: Any) -> Any:
    return ask("forecast", stub, method, message)


def _reports(method: str, message: Any) -> Any:
    return _ask(analytics_pb2_grpc.ReportsStub, method, message)


def _created(payload: dict, method: str, message: Any, problems: dict[str, str], to_json, path: str):
    """201 with what the service made (once per Idempotency-Key), or 400 naming every problem."""
    return created_once(payload, lambda: (201, to_json(ask_or_report(
        "forecast", analytics_pb2_grpc.ReportsStub, method, message, problems))),
        location=lambda body: f"{path}/{body['id']}")


def _changed(method: str, message: Any, problems: dict[str, str], to_json):
    return record(to_json(ask_or_report("forecast", analytics_pb2_grpc.ReportsStub, method, message, problems)))


def _deleted(method: str, record_id: str):
    _reports(method, pb.ReportsDeleteRequest(id=record_id, expected_version=expected_version()))
    return "", 204


def _listed(method: str, items: str, to_json):
    """A page of the caller's reports or dashboards."""
    problems = known_params()
    page = page_params(problems)
    if problems:
        raise validation_failed(problems)
    reply = _reports(method, pb.ReportsListRequest(**page))
    return jsonify({"items": [to_json(item) for item in getattr(reply, items)],
                    "next_page_token": reply.next_page_token or None})


# -- responses -----------------------------------------------------------------------------
def message_json(message: Any) -> dict[str, Any]:
    """A reply as JSON: nested messages as objects, unset optional fields as null, counts
    as numbers (protobuf's own JSON mapping would make int64 strings)."""
    body = {}
    for field in message.DESCRIPTOR.fields:
        value = getattr(message, field.name)
        if field.message_type is not None and field.is_repeated:
            body[field.name] = [message_json(item) for item in value]
        elif field.message_type is not None:
            body[field.name] = message_json(value)
        elif field.has_presence and not message.HasField(field.name):
            body[field.name] = None
        else:
            body[field.name] = value
    return body


def _analytics_json(reply: Any) -> dict[str, Any]:
    return {**message_json(reply), "user_id": reply.user_id or None}  # "": everyone (an admin's default)


def report_json(report: pb.Report) -> dict[str, Any]:
    return {"id": report.id, "name": report.name, "owner_id": report.owner_id, **json.loads(report.definition_json),
            "version": report.version, "created_at": report.created_at, "updated_at": report.updated_at}


def dashboard_json(dashboard: pb.Dashboard) -> dict[str, Any]:
    return {"id": dashboard.id, "name": dashboard.name, "owner_id": dashboard.owner_id,
            "reports": list(dashboard.report_ids), "version": dashboard.version, "created_at": dashboard.created_at,
            "updated_at": dashboard.updated_at}


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def result_csv(result: dict[str, Any], report_id: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column["name"] for column in result["columns"]])
    writer.writerows([_csv_value(value) for value in row] for row in result["rows"])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{report_id}.csv"'})


def _wants_csv() -> bool:
    """?format=csv|json, else the Accept header (JSON unless CSV is preferred)."""
    problems = known_params("format")
    chosen = request.args.get("format")
    if chosen is not None and chosen not in ("json", "csv"):
        problems["format"] = "must be json or csv"
    if problems:
        raise validation_failed(problems)
    if chosen is not None:
        return chosen == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


# -- requests ------------------------------------------------------------------------------
def _name(payload: dict, problems: dict[str, str], message: Any) -> None:
    if "name" in payload:
        if isinstance(payload["name"], str):
            message.name = payload["name"]
        else:
            problems["name"] = "must be a string"


def _report_parts(payload: dict, problems: dict[str, str]) -> dict[str, Any]:
    """The definition's parts of a body; server-owned and unknown fields go to `problems`."""
    for name in payload:
        if name in _SERVER_FIELDS:
            problems[name] = "is set by the server"
        elif name not in (*DEFINITION, "name"):
            problems[name] = "unknown field"
    return {name: payload[name] for name in DEFINITION if name in payload}


def _analytics_query() -> dict[str, str]:
    problems = known_params("period", "user_id")
    for name in ("page_size", "page_token"):
        if name in request.args:
            problems[name] = "unknown query parameter"
    if problems:
        raise validation_failed(problems)
    return {name: request.args[name] for name in ("period", "user_id") if name in request.args}


# -- routes: analytics ---------------------------------------------------------------------
@bp.get("/pipeline")
@authenticated(*SALES)
def pipeline():
    reply = _ask(analytics_pb2_grpc.AnalyticsStub, "Pipeline", pb.AnalyticsRequest(**_analytics_query()))
    return jsonify(_analytics_json(reply))


@bp.get("/analytics")
@authenticated(*SALES)
def analytics():
    reply = _ask(analytics_pb2_grpc.AnalyticsStub, "Analytics", pb.AnalyticsRequest(**_analytics_query()))
    return jsonify(_analytics_json(reply))


# -- routes: reports -----------------------------------------------------------------------
@bp.post("/reports")
@authenticated(*SALES)
def create_report():
    payload = json_body()
    problems = known_params()
    message = pb.CreateReportRequest(definition_json=json.dumps(_report_parts(payload, problems)))
    _name(payload, problems, message)
    return _created(payload, "CreateReport", message, problems, report_json, REPORTS_PATH)


@bp.get("/reports")
@authenticated(*SALES)
def list_reports():
    return _listed("ListReports", "reports", report_json)


@bp.get("/reports/<report_id>")
@authenticated(*SALES)
def get_report(report_id: str):
    return record(report_json(_reports("GetReport", pb.ReportsGetRequest(id=report_id))))


@bp.patch("/reports/<report_id>")
@authenticated(*SALES)
def update_report(report_id: str):
    payload = json_body()
    version = expected_version()
    problems: dict[str, str] = {}
    message = pb.UpdateReportRequest(id=report_id, changes_json=json.dumps(_report_parts(payload, problems)),
                                     expected_version=version)
    _name(payload, problems, message)
    return _changed("UpdateReport", message, problems, report_json)


@bp.delete("/reports/<report_id>")
@authenticated(*SALES)
def delete_report(report_id: str):
    return _deleted("DeleteReport", report_id)


@bp.get("/reports/<report_id>/run")
@authenticated(*SALES)
def run_report(report_id: str):
    as_csv = _wants_csv()
    result = json.loads(_reports("RunReport", pb.ReportsGetRequest(id=report_id)).result_json)
    return result_csv(result, report_id) if as_csv else jsonify(result)


# -- routes: dashboards --------------------------------------------------------------------
def _report_ids(payload: dict, problems: dict[str, str]) -> list[str] | None:
    for name in payload:
        if name in _SERVER_FIELDS:
            problems[name] = "is set by the server"
        elif name not in ("name", "reports"):
            problems[name] = "unknown field"
    if "reports" not in payload:
        return None
    ids = payload["reports"]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        problems["reports"] = "must be a list of report ids"
        return []
    return ids


@bp.post("/dashboards")
@authenticated(*SALES)
def create_dashboard():
    payload = json_body()
    problems = known_params()
    message = pb.CreateDashboardRequest(report_ids=_report_ids(payload, problems) or [])
    _name(payload, problems, message)
    return _created(payload, "CreateDashboard", message, problems, dashboard_json, DASHBOARDS_PATH)


@bp.get("/dashboards")
@authenticated(*SALES)
def list_dashboards():
    return _listed("ListDashboards", "dashboards", dashboard_json)


@bp.get("/dashboards/<dashboard_id>")
@authenticated(*SALES)
def get_dashboard(dashboard_id: str):
    return record(dashboard_json(_reports("GetDashboard", pb.ReportsGetRequest(id=dashboard_id))))


@bp.patch("/dashboards/<dashboard_id>")
@authenticated(*SALES)
def update_dashboard(dashboard_id: str):
    payload = json_body()
    version = expected_version()
    problems: dict[str, str] = {}
    ids = _report_ids(payload, problems)
    message = pb.UpdateDashboardRequest(id=dashboard_id, replace_reports=ids is not None, report_ids=ids or [],
                                        expected_version=version)
    _name(payload, problems, message)
    return _changed("UpdateDashboard", message, problems, dashboard_json)


@bp.delete("/dashboards/<dashboard_id>")
@authenticated(*SALES)
def delete_dashboard(dashboard_id: str):
    return _deleted("DeleteDashboard", dashboard_id)


@bp.get("/dashboards/<dashboard_id>/run")
@authenticated(*SALES)
def run_dashboard(dashboard_id: str):
    problems = known_params()
    if problems:
        raise validation_failed(problems)
    reply = _reports("RunDashboard", pb.ReportsGetRequest(id=dashboard_id))
    return jsonify({"dashboard": dashboard_json(reply.dashboard),
                    "reports": [{"report": report_json(run.report), "result": json.loads(run.result_json)}
                                for run in reply.reports]})


# -- OpenAPI -------------------------------------------------------------------------------
_MONEY = {"type": "string", "description": "a decimal string in the forecast currency, never a number"}
_COUNT = {"type": "integer", "minimum": 0}
_RATIO = {"type": ["string", "null"], "description": "a decimal string of four places; null with nothing to divide"}
_UNCONVERTED = {"type": "array", "description": "deals left out of every amount: their currency has no rate",
                "items": {"type": "object", "properties": {"currency": {"type": "string"}, "count": _COUNT,
                                                           "amount": {"type": "string"}}}}
_HEADER = {"period": {"type": "string"}, "user_id": {"type": ["string", "null"],
                                                     "description": "whose subtree; null: everyone (admins)"},
           "currency": {"type": "string"}, "period_start": {"type": "string", "format": "date"},
           "period_end": {"type": "string", "format": "date", "description": "inclusive"}}


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema = {"type": "object", "required": list(properties), "properties": properties}
    return {**schema, "description": description} if description else schema


def _referral() -> dict[str, Any]:
    return _object({"id": {"type": "string", "description": "the agent or the team's manager; '' when none"},
                    "name": {"type": "string"}, "pipeline_count": _COUNT, "pipeline_amount": _MONEY,
                    "won_count": _COUNT, "won_amount": _MONEY})


def _report_fields() -> dict[str, Any]:
    return {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "source": {"type": "string", "enum": ["opportunities", "leads"]},
        "filters": {"type": "array", "maxItems": 100, "items": _object({
            "field": {"type": "string"}, "op": {"type": "string", "enum": [
                "eq", "ne", "in", "gt", "gte", "lt", "lte", "contains", "between"]},
            "value": {"description": "typed as the field: a string, whole number, decimal string (amount), "
                                     "YYYY-MM-DD, RFC 3339 time, boolean; a list for in and between [low, high]; "
                                     "null with eq/ne on a field that may be empty"}})},
        "group_by": {"type": "array", "maxItems": 2, "items": {"oneOf": [
            {"type": "string", "description": "a field (not an amount, not a time)"},
            _object({"field": {"type": "string"}, "bucket": {"type": "string", "enum": ["month", "quarter", "year"]}},
                    "a date or time by fiscal quarter ('2026-Q4'), month ('2026-11') or fiscal year ('FY2027')")]}},
        "aggregates": {"type": "array", "minItems": 1, "maxItems": 10, "items": {
            "type": "object", "required": ["fn"], "properties": {
                "fn": {"type": "string", "enum": ["count", "sum", "avg", "min", "max"]},
                "field": {"type": "string", "description": "required but for count; sum/avg: amounts and whole "
                                                           "numbers; min/max: those, dates and times"}}}},
        "sort": {"type": "array", "maxItems": 3, "items": {"type": "object", "required": ["column"], "properties": {
            "column": {"type": "string", "description": "a result column: a grouping (field or field_bucket) or an "
                                                        "aggregate (count, sum_amount, ...)"},
            "direction": {"type": "string", "enum": ["asc", "desc"]}}}},
        "limit": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000},
    }


def _schemas() -> dict[str, Any]:
    fields = _report_fields()
    server = {"id": {"type": "string"}, "owner_id": {"type": "string"},
              "created_at": {"type": "string", "format": "date-time"},
              "updated_at": {"type": "string", "format": "date-time"}, "version": {"type": "integer", "minimum": 1}}
    stage = _object({"stage": {"type": "string"}, "is_closed": {"type": "boolean"}, "is_won": {"type": "boolean"},
                     "count": _COUNT, "amount": _MONEY})
    return {
        "Pipeline": _object({**_HEADER, "stages": {"type": "array", "items": stage,
                                                   "description": "open stages by probability, then won, then lost"},
                             "open_count": _COUNT, "open_amount": _MONEY, "closed_count": _COUNT,
                             "closed_amount": _MONEY, "unconverted": _UNCONVERTED},
                            "every deal of the subtree whose close date is in the period, per stage"),
        "Analytics": _object({
            **_HEADER,
            "win_rate": _object({"won_count": _COUNT, "closed_count": _COUNT, "won_amount": _MONEY,
                                 "closed_amount": _MONEY, "by_count": _RATIO, "by_amount": _RATIO}),
            "average_won_deal": _object({"count": _COUNT, "total": _MONEY,
                                         "average": {"type": ["string", "null"]}}),
            "sales_cycle": _object({"count": _COUNT, "total_days": _COUNT,
                                    "average_days": {"type": ["string", "null"]}},
                                   "days from created_at to closed_at of the won deals"),
            "funnel": _object({name: _COUNT for name in (
                "leads_created", "leads_converted", "opportunities_created", "opportunities_from_leads",
                "opportunities_won")}, "leads and opportunities CREATED in the period, and what became of them"),
            "referral_total": _referral(), "referrals_by_agent": {"type": "array", "items": _referral()},
            "referrals_by_team": {"type": "array", "items": _referral()}, "unconverted": _UNCONVERTED},
            "deals closing in the period (but the funnel); referral revenue: deals that came from a service "
            "referral, credited to the first referral's agent and their team (manager); open deals are pipeline"),
        "Report": {"type": "object", "required": [*server, "name", *DEFINITION],
                   "properties": {**server, **fields}},
        "ReportCreate": {"type": "object", "required": ["name", "source", "aggregates"], "additionalProperties": False,
                         "properties": fields},
        "ReportPatch": {"type": "object", "additionalProperties": False, "properties": fields,
                        "description": "the parts given replace the definition's; the whole is checked again"},
        "ReportList": {"type": "object", "required": ["items", "next_page_token"], "properties": {
            "items": {"type": "array", "items": ref("schemas", "Report")},
            "next_page_token": {"type": ["string", "null"]}}},
        "ReportResult": _object({
            "columns": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "type": {"type": "string", "enum": [
                    "string", "integer", "money", "date", "datetime", "boolean", "period", "decimal"]},
                "currency": {"type": "string"}}}},
            "rows": {"type": "array", "items": {"type": "array"}, "description": "values in the columns' order"},
            "currency": {"type": "string"}, "unconverted": _UNCONVERTED,
            "truncated": {"type": "boolean", "description": "more rows than the report's limit"}}),
        "Dashboard": {"type": "object", "required": [*server, "name", "reports"], "properties": {
            **server, "name": fields["name"], "reports": {"type": "array", "items": {"type": "string"}}}},
        "DashboardWrite": {"type": "object", "additionalProperties": False, "properties": {
            "name": fields["name"], "reports": {"type": "array", "maxItems": 20, "items": {"type": "string"},
                                                "description": "ids of the caller's reports, in order"}}},
        "DashboardList": {"type": "object", "required": ["items", "next_page_token"], "properties": {
            "items": {"type": "array", "items": ref("schemas", "Dashboard")},
            "next_page_token": {"type": ["string", "null"]}}},
        "DashboardResult": _object({"dashboard": ref("schemas", "Dashboard"), "reports": {
            "type": "array", "items": _object({"report": ref("schemas", "Report"),
                                               "result": ref("schemas", "ReportResult")})}}),
    }


def _record_paths(kind: str, schema: str, tag: str) -> dict[str, Any]:
    """GET, PATCH and DELETE of one report or dashboard."""
    return {
        "parameters": [{"name": f"{kind}_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "get": operation(f"One {kind} (404 also when it is someone else's)", tag,
                         {"200": ok(f"the {kind}", schema, etag=True), **errors(401, 403, 404, 503)}),
        "patch": operation(f"Change a {kind}", tag, {"200": ok(f"the {kind} after the change", schema, etag=True),
                                                     **errors(400, 401, 403, 404, 412, 413, 503)},
                           description="If-Match is optional; a stale one gives 412.",
                           parameters=[ref("parameters", "IfMatch")],
                           requestBody={"required": True, "content": json_content(
                               "ReportPatch" if kind == "report" else "DashboardWrite")}),
        "delete": operation(f"Delete a {kind}", tag, {"204": {"description": "deleted"},
                                                      **errors(401, 403, 404, 412, 503)},
                            parameters=[ref("parameters", "IfMatch")]),
    }


def _paths() -> dict[str, Any]:
    analytics_query = [query("period", {"type": "string"}, 'required: a fiscal quarter "2026-Q4" or a month "2026-11"'),
                       query("user_id", {"type": "string"}, "whose subtree (someone the caller sees, else 404); "
                                                            "default: the caller's (an admin's: everyone)")]
    page = [ref("parameters", "PageSize"), ref("parameters", "PageToken")]
    created = {"Location": {"schema": {"type": "string"}}, **REPLAYED}
    private = ("Private to its owner: others get 404, admins see all. Service agents get 403. Runs cover what "
               "the caller may see: a rep's own records, a manager's subtree, everything for admins.")
    return {
        "/api/v1/pipeline": {"get": operation(
            "Totals and counts per stage for a period", "analytics",
            {"200": ok("the pipeline", "Pipeline"), **errors(400, 401, 403, 404, 503)}, parameters=analytics_query)},
        "/api/v1/analytics": {"get": operation(
            "Win rate, average won deal, sales cycle, the lead funnel and service-referral revenue", "analytics",
            {"200": ok("the figures, each with its counts", "Analytics"), **errors(400, 401, 403, 404, 503)},
            parameters=analytics_query)},
        REPORTS_PATH: {
            "get": operation("The caller's reports (an admin's: all), oldest first", "reports",
                             {"200": ok("a page of reports", "ReportList"), **errors(400, 401, 403, 503)},
                             parameters=page),
            "post": operation(
                "Save a report definition", "reports",
                {"201": ok("created (or the first response, replayed)", "Report", etag=True, extra_headers=created),
                 **errors(400, 401, 403, 413, 422, 503)},
                description="400 names every bad part, e.g. details.fields = {\"group_by[1].bucket\": "
                            "\"must be one of month, quarter, year\"}. " + private,
                parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_content("ReportCreate")}),
        },
        f"{REPORTS_PATH}/{{report_id}}": _record_paths("report", "Report", "reports"),
        f"{REPORTS_PATH}/{{report_id}}/run": {
            "parameters": [{"name": "report_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": operation(
                "Run a report: JSON, or CSV with Accept: text/csv or ?format=csv", "reports",
                {"200": {**ok("the result", "ReportResult"),
                         "content": {**json_content("ReportResult"), "text/csv": {"schema": {"type": "string"}}}},
                 **errors(400, 401, 403, 404, 503)},
                description=private, parameters=[query("format", {"type": "string", "enum": ["json", "csv"]},
                                                        "overrides the Accept header")])},
        DASHBOARDS_PATH: {
            "get": operation("The caller's dashboards (an admin's: all), oldest first", "reports",
                             {"200": ok("a page of dashboards", "DashboardList"), **errors(400, 401, 403, 503)},
                             parameters=page),
            "post": operation(
                "Save a dashboard: a named list of the caller's reports", "reports",
                {"201": ok("created (or the first response, replayed)", "Dashboard", etag=True,
                           extra_headers=created), **errors(400, 401, 403, 413, 422, 503)},
                description="400 names each report id the caller has no report of (reports[i]).",
                parameters=[ref("parameters", "IdempotencyKey")],
                requestBody={"required": True, "content": json_content("DashboardWrite")}),
        },
        f"{DASHBOARDS_PATH}/{{dashboard_id}}": _record_paths("dashboard", "Dashboard", "reports"),
        f"{DASHBOARDS_PATH}/{{dashboard_id}}/run": {
            "parameters": [{"name": "dashboard_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": operation("Run every report of a dashboard (deleted reports are left out)", "reports",
                             {"200": ok("each report with its result", "DashboardResult"),
                              **errors(400, 401, 403, 404, 503)})},
    }


def openapi_fragment() -> dict:
    """This area's part of the OpenAPI document: its tags, paths and schemas."""
    tags = [{"name": "analytics", "description": "pipeline analytics: per stage, win rate, cycle, funnel, referrals"},
            {"name": "reports", "description": "saved reports and dashboards, run as JSON or CSV"}]
    return {"tags": tags, "paths": _paths(), "schemas": _schemas()}
