"""The real Forecasts servicer on a real gRPC server (PostgreSQL): messages in and out,
money as decimal strings, the caller from metadata, failures as RpcFailure."""
import json
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from tandem.forecast.v1 import forecast_pb2 as pb
from tandem.forecast.v1 import forecast_pb2_grpc
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import RpcFailure, caller_metadata

from tandem_forecast.adapters.forecast_grpc import register

Q4 = "2026-Q4"


@pytest.fixture
def db(pg_forecast_db):
    return pg_forecast_db


@pytest.fixture
def forecasts(db, team, serve_grpc):
    addr, _server = serve_grpc(lambda s: register(s, db.engine))
    stub = forecast_pb2_grpc.ForecastsStub(channel(addr))

    def ask(method, request, as_="manager"):
        return call("forecast", getattr(stub, method), request, metadata=caller_metadata(team[as_]))

    return ask


def failure(forecasts, method, request, as_="manager") -> RpcFailure:
    with pytest.raises(RpcFailure) as refused:
        forecasts(method, request, as_)
    return refused.value


def test_register_serves_forecasts(db):
    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    assert register(server, db.engine) == ["tandem.forecast.v1.Forecasts"]


def test_a_forecast_with_adjustment_quota_and_children_round_trips(forecasts, db):
    db.opportunity(owner_id="rep1", forecast_category="closed", amount="100.00", close_date="2026-10-01")
    db.opportunity(owner_id="rep1", forecast_category="commit", amount="50.50", close_date="2026-12-31")
    db.opportunity(owner_id="rep2", forecast_category="pipeline", amount="10.00", currency="GBP",
                   close_date="2026-11-01")
    quota = forecasts("SetQuota", pb.SetQuotaRequest(user_id="rep1", period=Q4, amount="300"))
    assert (quota.amount, quota.currency, quota.version, quota.updated_by) == ("300.00", "USD", 1, "manager")
    made = forecasts("AdjustForecast", pb.AdjustForecastRequest(user_id="rep1", period=Q4, category="commit",
                                                                amount="400", reason="renewal"))
    assert (made.amount, made.previous_amount, made.author_id, made.created_at.endswith("Z")) == (
        "400.00", "150.50", "manager", True)

    top = forecasts("GetForecast", pb.GetForecastRequest(period=Q4))
    assert (top.user_id, top.user_name, top.currency, top.first_day, top.last_day) == (
        "manager", "Manager", "USD", "2026-10-01", "2026-12-31")
    assert not top.HasField("quota") and not top.HasField("attainment")
    assert (top.adjusted.commit, top.unadjusted.commit, top.adjusted.closed) == ("400.00", "150.50", "100.00")
    assert [(u.currency, u.count, u.amount) for u in top.unconverted] == [("GBP", 1, "10.00")]
    rep1, rep2 = top.children
    assert (rep1.quota, rep1.attainment, rep1.active) == ("300.00", "33.33", True)
    assert [(a.category, a.amount, a.reason, a.author_id, a.id) for a in rep1.adjustments] == [
        ("commit", "400.00", "renewal", "manager", made.id)]
    assert rep2.unadjusted.open_pipeline == "0.00" and rep2.children == []

    removed = forecasts("AdjustForecast", pb.AdjustForecastRequest(user_id="rep1", period=Q4, category="commit",
                                                                   reason="slipped"), as_="admin")
    assert not removed.HasField("amount") and removed.previous_amount == "400.00"
    history = forecasts("ListAdjustments", pb.ListAdjustmentsRequest(user_id="rep1", period=Q4), as_="rep1")
    assert [a.reason for a in history.adjustments] == ["slipped", "renewal"]
    listed = forecasts("ListQuotas", pb.ListQuotasRequest(period=Q4))
    assert [q.user_id for q in listed.quotas] == ["rep1"]


def test_the_deals_behind_a_number_page_through(forecasts, db):
    for day in ("2026-10-02", "2026-10-01", "2026-10-03"):
        db.opportunity(owner_id="rep2", forecast_category="commit", amount="1.00", currency="EUR", close_date=day)
    first = forecasts("ListForecastOpportunities", pb.ListForecastOpportunitiesRequest(
        period=Q4, user_id="rep2", category="commit", page_size=2))
    assert [o.close_date for o in first.opportunities] == ["2026-10-01", "2026-10-02"] and first.next_page_token
    deal = first.opportunities[0]
    assert (deal.owner_name, deal.amount, deal.currency, deal.HasField("forecast_amount"), first.currency) == (
        "Rep2", "1.00", "EUR", False, "USD")
    rest = forecasts("ListForecastOpportunities", pb.ListForecastOpportunitiesRequest(
        period=Q4, user_id="rep2", category="commit", page_size=2, page_token=first.next_page_token))
    assert [o.close_date for o in rest.opportunities] == ["2026-10-03"] and rest.next_page_token == ""


def test_settings_round_trip(forecasts):
    default = forecasts("GetForecastSettings", pb.GetForecastSettingsRequest(), as_="rep1")
    assert (json.loads(default.document_json)["currency"], default.version, default.HasField("updated_at")) == (
        "USD", 0, False)
    saved = forecasts("PutForecastSettings", pb.PutForecastSettingsRequest(
        document_json=json.dumps({"currency": "EUR", "rates": {"USD": "0.9"}}), expected_version=0), as_="admin")
    assert (json.loads(saved.document_json)["rates"], saved.version, saved.updated_by) == ({"USD": "0.9"}, 1, "admin")
    refused = failure(forecasts, "PutForecastSettings", pb.PutForecastSettingsRequest(document_json="[1"),
                      as_="admin")
    assert refused.kind == "invalid" and refused.details["fields"] == {"document": "must be an object"}


def test_failures_arrive_as_their_kinds(forecasts, db):
    assert failure(forecasts, "GetForecast", pb.GetForecastRequest(period=Q4), as_="agent").kind == "forbidden"
    assert failure(forecasts, "GetForecast", pb.GetForecastRequest(period=Q4, user_id="rep3")).kind == "not_found"
    bad = failure(forecasts, "AdjustForecast", pb.AdjustForecastRequest(period="x", category="y", amount="-1"))
    assert set(bad.details["fields"]) == {"user_id", "period", "category", "amount", "reason"}
    assert failure(forecasts, "SetQuota", pb.SetQuotaRequest(user_id="rep1", period=Q4, amount="1"),
                   as_="rep1").kind == "forbidden"
    checked = forecasts("SetQuota", pb.SetQuotaRequest(user_id="rep1", period=Q4, amount="1", validate_only=True))
    assert checked == pb.Quota() and db.count("quotas") == 0
