"""Record-level access, RPC by RPC: the real Forecasts, Analytics and Reports gRPC servers
on PostgreSQL, called with the metadata of a rep, their manager, an admin, a rep of
another team, a service agent, a system caller (a role this service does not know) and no
identity.

The rule (domain/access.py): reps own their numbers, managers see their subtree's, admins
everyone's; service agents and any other role are refused every call (PERMISSION_DENIED);
another user's forecast, quota, adjustments or pipeline is NOT_FOUND, and lists, drill-downs
and report runs cover only what the caller sees. Reports and dashboards are their owner's
(and admins'). Every RPC of the three services has a row here: a new one fails until it
says who may call it."""
import json

import grpc
import pytest
from tandem.forecast.v1 import analytics_pb2 as apb
from tandem.forecast.v1 import analytics_pb2_grpc
from tandem.forecast.v1 import forecast_pb2 as fpb
from tandem.forecast.v1 import forecast_pb2_grpc
from tandem_plumbing.failures import Caller
from tandem_plumbing.testing import Probe, access_problems, uncovered_rpcs

from tandem_forecast.adapters.grpc_server import register
from tandem_forecast.domain.settings import DEFAULT
from tandem_forecast.use_cases import quotas, reports

ADMIN, MANAGER, REP, PEER, AGENT, SYSTEM = "admin", "manager", "rep", "peer", "agent", "system"
DENIED, HIDDEN, OK, INVALID = "PERMISSION_DENIED", "NOT_FOUND", "OK", "INVALID_ARGUMENT"
Q4 = "2026-Q4"
# Whose numbers each sales user sees (manager2, the peer's manager, calls nothing).
SEES = {ADMIN: {ADMIN, MANAGER, REP, PEER, "manager2"}, MANAGER: {MANAGER, REP}, REP: {REP}, PEER: {PEER}}
BY_OWNER = {REP: "Prospecting", PEER: "Negotiation"}  # each rep's one deal in Q4, told apart by its stage
BY_REPORT = {"rep report": REP, "peer report": PEER}
DEFINITION = {"source": "opportunities", "group_by": ["owner_id"], "aggregates": [{"fn": "count"}]}


def outcomes(**given) -> dict:
    """PERMISSION_DENIED for all but those `given`."""
    return {who: given.get(who, DENIED) for who in (*SEES, AGENT, SYSTEM)}


def of(user_id: str, *, ok=OK, refused=HIDDEN, callers=tuple(SEES)) -> dict:
    """Something of `user_id`: `ok` to the `callers` who see them, `refused` to the others;
    agents and system callers are refused outright."""
    return outcomes(**{who: ok if user_id in SEES[who] else refused for who in callers})


def per_caller(value) -> dict:
    """Each sales user's own list (value(who)); the others are refused."""
    return outcomes(**{who: value(who) for who in SEES})


def owned(label_owner: str, **others) -> dict:
    """A report or dashboard of `label_owner`: theirs and admins'; NOT_FOUND to other sales users."""
    return outcomes(**{**{who: OK if who in (ADMIN, label_owner) else HIDDEN for who in SEES}, **others})


@pytest.fixture
def db(pg_forecast_db):
    return pg_forecast_db


@pytest.fixture
def callers(db):
    db.user("manager2", "sales_manager")
    return {ADMIN: db.user(ADMIN, "admin"), MANAGER: db.user(MANAGER, "sales_manager"),
            REP: db.user(REP, "sales_rep", MANAGER), PEER: db.user(PEER, "sales_rep", "manager2"),
            AGENT: db.user(AGENT, "service_agent"), SYSTEM: Caller("backfill", "service")}


@pytest.fixture
def records(db, callers):
    """One Q4 deal and quota each for the rep and the peer; a report and a dashboard of each."""
    for owner, stage in BY_OWNER.items():
        db.opportunity(f"deal-{owner}", owner_id=owner, stage=stage, forecast_category="commit",
                       close_date="2026-11-15")
        db.run(quotas.set_quota, callers[ADMIN], user_id=owner, period=Q4, amount="1000")
    ids = {}
    for label, owner in BY_REPORT.items():
        ids[label] = db.run(reports.create_report, callers[owner], label, DEFINITION)["id"]
        ids[f"{owner} dashboard"] = db.run(reports.create_dashboard, callers[owner], label, [ids[label]])["id"]
    return ids


@pytest.fixture
def stubs(db, serve_grpc):
    address, _server = serve_grpc(lambda server: register(server, db.engine))
    channel = grpc.insecure_channel(address)
    yield (forecast_pb2_grpc.ForecastsStub(channel), analytics_pb2_grpc.AnalyticsStub(channel),
           analytics_pb2_grpc.ReportsStub(channel))
    channel.close()


def forecast_probes() -> list[Probe]:
    table = []
    for whose in (REP, PEER, MANAGER, "no-such-user"):
        table += [
            Probe("GetForecast", whose, lambda u=whose: fpb.GetForecastRequest(period=Q4, user_id=u), of(whose)),
            Probe("ListAdjustments", whose, lambda u=whose: fpb.ListAdjustmentsRequest(user_id=u, period=Q4),
                  of(whose)),
            Probe("ListForecastOpportunities", whose,
                  lambda u=whose: fpb.ListForecastOpportunitiesRequest(period=Q4, user_id=u),
                  of(whose, ok={f"deal-{whose}"} if whose in BY_OWNER else set())
                  | ({MANAGER: {f"deal-{REP}"}, ADMIN: {f"deal-{REP}"}} if whose == MANAGER else {}),
                  lambda reply: {deal.id for deal in reply.opportunities}),
            Probe("ListQuotas", whose, lambda u=whose: fpb.ListQuotasRequest(user_id=u),
                  of(whose, ok={whose} if whose in BY_OWNER else set())
                  | ({MANAGER: {REP}, ADMIN: {REP}} if whose == MANAGER else {}),
                  lambda reply: {quota.user_id for quota in reply.quotas}),
        ]
    own_deals = {ADMIN: set(), MANAGER: {f"deal-{REP}"}, REP: {f"deal-{REP}"}, PEER: {f"deal-{PEER}"}}
    table += [
        Probe("GetForecast", "own", lambda: fpb.GetForecastRequest(period=Q4), outcomes(**dict.fromkeys(SEES, OK))),
        Probe("ListForecastOpportunities", "own (an admin: everyone's)",
              lambda: fpb.ListForecastOpportunitiesRequest(period=Q4),
              per_caller(own_deals.get),  # an admin's own forecast is their subtree's: nobody reports to them
              lambda reply: {deal.id for deal in reply.opportunities}),
        Probe("ListQuotas", "all I see", fpb.ListQuotasRequest,
              per_caller(lambda who: SEES[who] & set(BY_OWNER)), lambda reply: {q.user_id for q in reply.quotas}),
        Probe("GetForecastSettings", "", fpb.GetForecastSettingsRequest, outcomes(**dict.fromkeys(SEES, OK))),
        # Changes: adjustments by managers (for their subtree) and admins; quotas by those above the user.
        Probe("AdjustForecast", REP, lambda: fpb.AdjustForecastRequest(user_id=REP, period=Q4, category="commit",
                                                                       amount="5", reason="r"),
              of(REP, refused=DENIED, callers=(ADMIN, MANAGER))),
        Probe("AdjustForecast", PEER, lambda: fpb.AdjustForecastRequest(user_id=PEER, period=Q4, category="commit",
                                                                        amount="5", reason="r"),
              of(PEER, callers=(ADMIN, MANAGER))),
        Probe("SetQuota", REP, lambda: fpb.SetQuotaRequest(user_id=REP, period=Q4, amount="2000"),
              of(REP, callers=(ADMIN, MANAGER))),
        Probe("SetQuota", PEER, lambda: fpb.SetQuotaRequest(user_id=PEER, period=Q4, amount="2000"),
              of(PEER, callers=(ADMIN, MANAGER))),
        Probe("SetQuota", "the manager's own", lambda: fpb.SetQuotaRequest(user_id=MANAGER, period=Q4, amount="1"),
              outcomes(admin=OK)),
        Probe("PutForecastSettings", "", lambda: fpb.PutForecastSettingsRequest(document_json=json.dumps(DEFAULT)),
              outcomes(admin=OK)),
    ]
    return table


def analytics_probes() -> list[Probe]:
    def stages(reply) -> set[str]:
        return {stage.stage for stage in reply.stages if stage.count}

    table = [Probe("Pipeline", "my scope", lambda: apb.AnalyticsRequest(period=Q4),
                   per_caller(lambda who: {BY_OWNER[o] for o in SEES[who] & set(BY_OWNER)}), stages),
             Probe("Analytics", "my scope", lambda: apb.AnalyticsRequest(period=Q4),
                   outcomes(**dict.fromkeys(SEES, OK)))]
    for whose in (REP, PEER):
        table += [Probe("Pipeline", whose, lambda u=whose: apb.AnalyticsRequest(period=Q4, user_id=u),
                        of(whose, ok={BY_OWNER[whose]}), stages),
                  Probe("Analytics", whose, lambda u=whose: apb.AnalyticsRequest(period=Q4, user_id=u), of(whose))]
    return table


def reports_probes(db, callers, records) -> list[Probe]:
    label_of = {record_id: label for label, record_id in records.items()}

    def listed(items) -> set[str]:
        return {label_of.get(item.id, item.id) for item in items}

    def rows(reply) -> set[str]:  # the owners a run counted deals of
        return {row[0] for row in json.loads(reply.result_json)["rows"]}

    def fresh(kind: str) -> str:  # a record of the rep's to delete
        if kind == "report":
            return db.run(reports.create_report, callers[REP], "Doomed", DEFINITION)["id"]
        return db.run(reports.create_dashboard, callers[REP], "Doomed", [])["id"]

    rep_report, rep_dashboard = records["rep report"], records["rep dashboard"]
    return [
        Probe("ListReports", "mine (an admin: all)", apb.ReportsListRequest,
              per_caller(lambda who: set(BY_REPORT) if who == ADMIN else
                         {label for label, owner in BY_REPORT.items() if owner == who}),
              lambda reply: listed(reply.reports)),
        Probe("ListDashboards", "mine (an admin: all)", apb.ReportsListRequest,
              per_caller(lambda who: {f"{o} dashboard" for o in BY_OWNER} if who == ADMIN else
                         {f"{o} dashboard" for o in BY_OWNER if o == who}),
              lambda reply: listed(reply.dashboards)),
        Probe("GetReport", "rep's", lambda: apb.ReportsGetRequest(id=rep_report), owned(REP)),
        Probe("GetDashboard", "rep's", lambda: apb.ReportsGetRequest(id=rep_dashboard), owned(REP)),
        # A run counts the deals the CALLER sees, whose report it is notwithstanding.
        Probe("RunReport", "rep's", lambda: apb.ReportsGetRequest(id=rep_report),
              outcomes(admin=set(BY_OWNER), rep={REP}, manager=HIDDEN, peer=HIDDEN), rows),
        Probe("RunDashboard", "rep's", lambda: apb.ReportsGetRequest(id=rep_dashboard), owned(REP)),
        Probe("CreateReport", "", lambda: apb.CreateReportRequest(name="Mine", definition_json=json.dumps(DEFINITION)),
              outcomes(**dict.fromkeys(SEES, OK))),
        Probe("CreateDashboard", "of the rep's report",
              lambda: apb.CreateDashboardRequest(name="Mine", report_ids=[rep_report]),
              owned(REP, manager=INVALID, peer=INVALID)),  # "no report <id>": someone else's is not named
        Probe("UpdateReport", "rep's", lambda: apb.UpdateReportRequest(id=rep_report, name="Renamed"), owned(REP)),
        Probe("UpdateDashboard", "rep's", lambda: apb.UpdateDashboardRequest(id=rep_dashboard, name="Renamed"),
              owned(REP)),
        Probe("DeleteReport", "rep's", lambda: apb.ReportsDeleteRequest(id=fresh("report")), owned(REP)),
        Probe("DeleteDashboard", "rep's", lambda: apb.ReportsDeleteRequest(id=fresh("dashboard")), owned(REP)),
    ]


def test_every_rpc_has_a_row():
    tables = {"Forecasts": (fpb, forecast_probes()), "Analytics": (apb, analytics_probes()),
              "Reports": (apb, reports_probes(None, {}, dict.fromkeys(("rep report", "rep dashboard"), "x")))}
    for service, (module, table) in tables.items():
        assert not uncovered_rpcs(module.DESCRIPTOR.services_by_name[service], table), service


def test_each_caller_gets_what_the_table_says(db, stubs, callers, records):
    forecasts, analytics, reports_stub = stubs
    problems = [*access_problems(forecasts, forecast_probes(), callers),
                *access_problems(analytics, analytics_probes(), callers),
                *access_problems(reports_stub, reports_probes(db, callers, records), callers)]
    assert not problems, "\n".join(problems)
