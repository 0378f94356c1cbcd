"""The Analytics and Reports servicers on a real gRPC server (PostgreSQL): messages in
and out, the caller from metadata, failures as RpcFailure on the calling side."""
import json
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from tandem.forecast.v1 import analytics_pb2 as pb
from tandem.forecast.v1 import analytics_pb2_grpc
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import RpcFailure, caller_metadata

from tandem_forecast.adapters.analytics_grpc import register

BY_STAGE = {"source": "opportunities", "group_by": ["stage"], "aggregates": [{"fn": "count"},
                                                                            {"fn": "sum", "field": "amount"}]}


@pytest.fixture
def db(pg_forecast_db):
    return pg_forecast_db


@pytest.fixture
def ask(db, team, serve_grpc):
    """ask(service, method, request, as_=who) against a server on the test's database."""
    addr, _server = serve_grpc(lambda s: register(s, db.engine))
    stubs = {"analytics": analytics_pb2_grpc.AnalyticsStub(channel(addr)),
             "reports": analytics_pb2_grpc.ReportsStub(channel(addr))}

    def ask(service, method, request, as_="rep1"):
        return call("forecast", getattr(stubs[service], method), request, metadata=caller_metadata(team[as_]))

    return ask


def test_register_serves_analytics_and_reports(db):
    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    assert register(server, db.engine) == ["tandem.forecast.v1.Analytics", "tandem.forecast.v1.Reports"]


def test_pipeline_and_analytics(db, ask):
    db.opportunity("o1", owner_id="rep1", amount="1200.50", close_date="2026-11-02")
    db.opportunity("o2", owner_id="rep2", amount="99.00", close_date="2026-11-03", stage="Closed Won",
                   is_closed=True, is_won=True, probability=100, forecast_category="closed",
                   closed_at="2026-11-03T00:00:00Z")
    pipeline = ask("analytics", "Pipeline", pb.AnalyticsRequest(period="2026-Q4"), as_="manager")
    assert (pipeline.user_id, pipeline.currency, pipeline.open_amount, pipeline.closed_amount) == (
        "manager", "USD", "1200.50", "99.00")
    assert [(s.stage, s.count, s.amount, s.is_won) for s in pipeline.stages] == [
        ("Prospecting", 1, "1200.50", False), ("Closed Won", 1, "99.00", True)]
    found = ask("analytics", "Analytics", pb.AnalyticsRequest(period="2026-11", user_id="rep1"), as_="manager")
    assert found.win_rate.closed_count == 0 and not found.win_rate.HasField("by_count")
    assert not found.average_won_deal.HasField("average") and found.funnel.opportunities_created == 0
    with pytest.raises(RpcFailure) as caught:
        ask("analytics", "Pipeline", pb.AnalyticsRequest(period="2026-Q4", user_id="rep2"), as_="rep1")
    assert caught.value.kind == "not_found"
    with pytest.raises(RpcFailure) as caught:
        ask("analytics", "Analytics", pb.AnalyticsRequest(period="Q4"), as_="agent")
    assert caught.value.kind == "forbidden"


def test_reports_and_dashboards_round_trip(db, ask):
    db.opportunity("o1", owner_id="rep1", amount="10.00")
    made = ask("reports", "CreateReport", pb.CreateReportRequest(name="By stage", definition_json=json.dumps(BY_STAGE)))
    assert (made.name, made.owner_id, made.version) == ("By stage", "rep1", 1) and made.created_at.endswith("Z")
    assert json.loads(made.definition_json)["group_by"] == ["stage"]
    assert ask("reports", "GetReport", pb.ReportsGetRequest(id=made.id)) == made
    result = json.loads(ask("reports", "RunReport", pb.ReportsGetRequest(id=made.id)).result_json)
    assert result["rows"] == [["Prospecting", 1, "10.00"]]
    with pytest.raises(RpcFailure) as caught:
        ask("reports", "CreateReport", pb.CreateReportRequest(name="x", definition_json="[1]"))
    assert caught.value.details == {"fields": {"definition": "must be a JSON object"}}
    with pytest.raises(RpcFailure) as caught:
        ask("reports", "UpdateReport", pb.UpdateReportRequest(id=made.id, changes_json='{"limit": 0}'))
    assert caught.value.details == {"fields": {"limit": "must be a whole number from 1 to 10000"}}
    changed = ask("reports", "UpdateReport", pb.UpdateReportRequest(id=made.id, name="Renamed", expected_version=1))
    assert (changed.name, changed.version) == ("Renamed", 2)
    with pytest.raises(RpcFailure) as caught:
        ask("reports", "GetReport", pb.ReportsGetRequest(id=made.id), as_="rep2")
    assert caught.value.kind == "not_found"

    board = ask("reports", "CreateDashboard", pb.CreateDashboardRequest(name="Board", report_ids=[made.id]))
    assert list(board.report_ids) == [made.id]
    ran = ask("reports", "RunDashboard", pb.ReportsGetRequest(id=board.id))
    assert ran.dashboard == board and [r.report.id for r in ran.reports] == [made.id]
    assert json.loads(ran.reports[0].result_json)["rows"] == [["Prospecting", 1, "10.00"]]
    emptied = ask("reports", "UpdateDashboard", pb.UpdateDashboardRequest(id=board.id, replace_reports=True))
    assert (list(emptied.report_ids), emptied.version, emptied.name) == ([], 2, "Board")
    listed = ask("reports", "ListDashboards", pb.ReportsListRequest())
    assert [d.id for d in listed.dashboards] == [board.id] and listed.next_page_token == ""
    ask("reports", "DeleteDashboard", pb.ReportsDeleteRequest(id=board.id, expected_version=2))
    ask("reports", "DeleteReport", pb.ReportsDeleteRequest(id=made.id))
    assert ask("reports", "ListReports", pb.ReportsListRequest()).reports == []
