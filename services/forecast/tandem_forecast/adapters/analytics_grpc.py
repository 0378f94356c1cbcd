"""The `tandem.forecast.v1.Analytics` and `Reports` servicers: translate messages, call a
use case, translate back. Report definitions and results travel as JSON text (their
shape is the report's own)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping

from google.protobuf.json_format import ParseDict
from sqlalchemy import Engine
from tandem.forecast.v1 import analytics_pb2, analytics_pb2_grpc
from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.rpc import RpcFailure, caller_from, rpc_method

from ..use_cases import analytics, reports


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _version(request) -> int | None:
    return request.expected_version if request.HasField("expected_version") else None


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise RpcFailure("invalid", "validation_failed", "the request has invalid fields",
                         {"fields": {name: "must be a JSON object"}})
    return value


def report_message(record: Mapping[str, Any] | None) -> analytics_pb2.Report:
    if record is None:  # validate_only
        return analytics_pb2.Report()
    return analytics_pb2.Report(id=record["id"], name=record["name"], owner_id=record["owner_id"],
                                definition_json=json.dumps(record["definition"]), version=record["version"],
                                created_at=_time(record["created_at"]), updated_at=_time(record["updated_at"]))


def dashboard_message(record: Mapping[str, Any] | None) -> analytics_pb2.Dashboard:
    if record is None:
        return analytics_pb2.Dashboard()
    return analytics_pb2.Dashboard(id=record["id"], name=record["name"], owner_id=record["owner_id"],
                                   report_ids=record["definition"]["reports"], version=record["version"],
                                   created_at=_time(record["created_at"]), updated_at=_time(record["updated_at"]))


class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServicer):
    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    def _answer(self, use_case, reply_type, request, context):
        caller = caller_from(context)
        user_id = request.user_id if request.HasField("user_id") else None
        with self.sessions() as session:
            return ParseDict(use_case(session, caller, request.period, user_id), reply_type())

    @rpc_method
    def Pipeline(self, request, context):
        return self._answer(analytics.pipeline, analytics_pb2.PipelineReply, request, context)

    @rpc_method
    def Analytics(self, request, context):
        return self._answer(analytics.analytics, analytics_pb2.AnalyticsReply, request, context)


class ReportsServicer(analytics_pb2_grpc.ReportsServicer):
    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    def _read(self, use_case, context, *args, **kwargs):
        with self.sessions() as session:
            return use_case(session, caller_from(context), *args, **kwargs)

    def _write(self, use_case, context, *args, **kwargs):
        caller = caller_from(context)
        with transaction(self.sessions) as session:
            return use_case(session, caller, *args, **kwargs)

    @rpc_method
    def CreateReport(self, request, context):
        definition = _json_object(request.definition_json, "definition")
        return report_message(self._write(reports.create_report, context, request.name, definition,
                                          validate_only=request.validate_only))

    @rpc_method
    def GetReport(self, request, context):
        return report_message(self._read(reports.get_report, context, request.id))

    @rpc_method
    def ListReports(self, request, context):
        found, token = self._read(reports.list_reports, context, page_size=request.page_size,
                                  page_token=request.page_token)
        return analytics_pb2.ListReportsReply(reports=[report_message(r) for r in found], next_page_token=token or "")

    @rpc_method
    def UpdateReport(self, request, context):
        changes = _json_object(request.changes_json, "changes")
        return report_message(self._write(
            reports.update_report, context, request.id, name=request.name if request.HasField("name") else None,
            changes=changes, expected_version=_version(request), validate_only=request.validate_only))

    @rpc_method
    def DeleteReport(self, request, context):
        self._write(reports.delete_report, context, request.id, expected_version=_version(request))
        return analytics_pb2.ReportsDeleteReply()

    @rpc_method
    def RunReport(self, request, context):
        return analytics_pb2.ReportResult(report_id=request.id,
                                          result_json=json.dumps(self._read(reports.run_report, context, request.id)))

    @rpc_method
    def CreateDashboard(self, request, context):
        return dashboard_message(self._write(reports.create_dashboard, context, request.name,
                                             list(request.report_ids), validate_only=request.validate_only))

    @rpc_method
    def GetDashboard(self, request, context):
        return dashboard_message(self._read(reports.get_dashboard, context, request.id))

    @rpc_method
    def ListDashboards(self, request, context):
        found, token = self._read(reports.list_dashboards, context, page_size=request.page_size,
                                  page_token=request.page_token)
        return analytics_pb2.ListDashboardsReply(dashboards=[dashboard_message(d) for d in found],
                                                 next_page_token=token or "")

    @rpc_method
    def UpdateDashboard(self, request, context):
        return dashboard_message(self._write(
            reports.update_dashboard, context, request.id, name=request.name if request.HasField("name") else None,
            report_ids=list(request.report_ids) if request.replace_reports else None,
            expected_version=_version(request), validate_only=request.validate_only))

    @rpc_method
    def DeleteDashboard(self, request, context):
        self._write(reports.delete_dashboard, context, request.id, expected_version=_version(request))
        return analytics_pb2.ReportsDeleteReply()

    @rpc_method
    def RunDashboard(self, request, context):
        dashboard, runs = self._read(reports.run_dashboard, context, request.id)
        return analytics_pb2.DashboardResult(
            dashboard=dashboard_message(dashboard),
            reports=[analytics_pb2.ReportRun(report=report_message(report), result_json=json.dumps(result))
                     for report, result in runs])


def register(server, engine: Engine) -> list[str]:
    analytics_pb2_grpc.add_AnalyticsServicer_to_server(AnalyticsServicer(engine), server)
    analytics_pb2_grpc.add_ReportsServicer_to_server(ReportsServicer(engine), server)
    return [analytics_pb2.DESCRIPTOR.services_by_name[name].full_name for name in ("Analytics", "Reports")]
