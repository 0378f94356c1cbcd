"""The `tandem.forecast.v1.Forecasts` servicer: translate messages, call a use case, translate back."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import Engine
from tandem.forecast.v1 import forecast_pb2, forecast_pb2_grpc
from tandem_plumbing.db import session_factory, transaction
from tandem_plumbing.rpc import caller_from, rpc_method

from ..domain import money
from ..domain.forecasts import NUMBERS, Forecast, attainment
from ..domain.settings import Settings
from ..use_cases import adjustments, forecasts, quotas, settings


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _optional(name: str, value: Any) -> dict[str, Any]:
    return {} if value is None else {name: value}


def _numbers(numbers: Mapping[str, int], currency: str) -> forecast_pb2.Numbers:
    return forecast_pb2.Numbers(**{number: money.text(numbers[number], currency) for number in NUMBERS})


def forecast_message(view: forecasts.ForecastView, node: Forecast | None = None) -> forecast_pb2.Forecast:
    node = node or view.tree
    currency = view.settings.currency
    user = view.directory[node.user_id]
    quota = view.quotas.get(node.user_id)
    percent = attainment(node.unadjusted["closed"], quota)
    in_force = view.adjustments.get(node.user_id, {})
    return forecast_pb2.Forecast(
        user_id=node.user_id, user_name=user["name"], active=user["active"], period=view.period.name,
        first_day=view.period.first_day.isoformat(), last_day=view.period.last_day.isoformat(), currency=currency,
        **_optional("quota", None if quota is None else money.text(quota, currency)),
        **_optional("attainment", None if percent is None else format(percent, "f")),
        adjusted=_numbers(node.adjusted, currency), unadjusted=_numbers(node.unadjusted, currency),
        adjustments=[forecast_pb2.CurrentAdjustment(
            category=number, amount=money.text(row["amount_minor"], currency), reason=row["reason"],
            author_id=row["author_id"], created_at=_time(row["created_at"]), id=row["id"])
            for number, row in sorted(in_force.items(), key=lambda item: NUMBERS.index(item[0]))],
        unconverted=[forecast_pb2.Unconverted(currency=code, count=deals, amount=money.text(minor, code))
                     for code, (deals, minor) in sorted(node.unconverted.items())],
        children=[forecast_message(view, child) for child in node.children],
    )


def adjustment_message(row: Mapping[str, Any]) -> forecast_pb2.Adjustment:
    currency = row["currency"]
    return forecast_pb2.Adjustment(
        id=row["id"], user_id=row["user_id"], period=row["period"], category=row["category"],
        **_optional("amount", None if row["amount_minor"] is None else money.text(row["amount_minor"], currency)),
        previous_amount=money.text(row["previous_minor"], currency), currency=currency, reason=row["reason"],
        author_id=row["author_id"], created_at=_time(row["created_at"]),
    )


def quota_message(row: Mapping[str, Any]) -> forecast_pb2.Quota:
    return forecast_pb2.Quota(
        user_id=row["user_id"], period=row["period"], amount=money.text(row["amount_minor"], row["currency"]),
        currency=row["currency"], version=row["version"], updated_at=_time(row["updated_at"]),
        updated_by=row["updated_by"])


def deal_message(deal: Mapping[str, Any], currency: str) -> forecast_pb2.ForecastOpportunity:
    amount, converted, close = deal["amount_minor"], deal["forecast_minor"], deal["close_date"]
    return forecast_pb2.ForecastOpportunity(
        **{name: deal[name] for name in ("id", "name", "account_id", "account_name", "owner_id", "owner_name",
                                         "stage", "probability", "forecast_category", "currency", "is_closed",
                                         "is_won")},
        **_optional("amount", None if amount is None else money.text(amount, deal["currency"])),
        **_optional("forecast_amount", None if converted is None else money.text(converted, currency)),
        **_optional("close_date", close and close.isoformat()),
    )


def settings_message(found: Settings) -> forecast_pb2.ForecastSettings:
    return forecast_pb2.ForecastSettings(
        document_json=json.dumps(found.document()), version=found.version,
        **_optional("updated_at", found.updated_at and _time(found.updated_at)),
        **_optional("updated_by", found.updated_by),
    )


def _given(request, name: str) -> Any:
    return getattr(request, name) if request.HasField(name) else None


class ForecastsServicer(forecast_pb2_grpc.ForecastsServicer):
    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    @rpc_method
    def GetForecast(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            return forecast_message(forecasts.get_forecast(session, caller, request.period,
                                                           _given(request, "user_id")))

    @rpc_method
    def AdjustForecast(self, request, context):
        caller = caller_from(context)
        with transaction(self.sessions) as session:
            row = adjustments.adjust_forecast(
                session, caller, user_id=request.user_id, period=request.period, category=request.category,
                amount=_given(request, "amount"), reason=request.reason, validate_only=request.validate_only)
        return adjustment_message(row) if row else forecast_pb2.Adjustment()

    @rpc_method
    def ListAdjustments(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            rows = adjustments.adjustment_history(session, caller, request.user_id, request.period,
                                                  _given(request, "category"))
        return forecast_pb2.ListAdjustmentsReply(adjustments=[adjustment_message(row) for row in rows])

    @rpc_method
    def SetQuota(self, request, context):
        caller = caller_from(context)
        with transaction(self.sessions) as session:
            row = quotas.set_quota(session, caller, user_id=request.user_id, period=request.period,
                                   amount=request.amount, expected_version=_given(request, "expected_version"),
                                   validate_only=request.validate_only)
        return quota_message(row) if row else forecast_pb2.Quota()

    @rpc_method
    def ListQuotas(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            rows = quotas.list_quotas(session, caller, period=_given(request, "period"),
                                      user_id=_given(request, "user_id"))
        return forecast_pb2.ListQuotasReply(quotas=[quota_message(row) for row in rows])

    @rpc_method
    def ListForecastOpportunities(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            found, deals, token = forecasts.forecast_opportunities(
                session, caller, request.period, user_id=_given(request, "user_id"),
                category=_given(request, "category"), page_size=request.page_size, page_token=request.page_token)
        return forecast_pb2.ListForecastOpportunitiesReply(
            opportunities=[deal_message(deal, found.currency) for deal in deals], next_page_token=token or "",
            currency=found.currency)

    @rpc_method
    def GetForecastSettings(self, request, context):
        caller = caller_from(context)
        with self.sessions() as session:
            return settings_message(settings.get_settings(session, caller))

    @rpc_method
    def PutForecastSettings(self, request, context):
        caller = caller_from(context)
        try:
            document = json.loads(request.document_json)
        except ValueError:
            document = None  # the use case names it
        with transaction(self.sessions) as session:
            saved = settings.put_settings(session, caller, document,
                                          expected_version=_given(request, "expected_version"))
        return settings_message(saved)


def register(server, engine: Engine) -> list[str]:
    forecast_pb2_grpc.add_ForecastsServicer_to_server(ForecastsServicer(engine), server)
    return [forecast_pb2.DESCRIPTOR.services_by_name["Forecasts"].full_name]
