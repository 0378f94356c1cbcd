"""The real ServiceDesk servicer on a real gRPC server over a migrated PostgreSQL
database: requests translate both ways and refusals arrive as RpcFailure."""
import base64
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import grpc
import pytest
from tandem.service_desk.v1 import service_desk_pb2 as pb
from tandem.service_desk.v1 import service_desk_pb2_grpc
from tandem_plumbing.db import transaction
from tandem_plumbing.grpc_client import call, check_health
from tandem_plumbing.grpc_client import channel as grpc_channel
from tandem_plumbing.rpc import Caller, RpcFailure, caller_metadata

from tandem_service_desk import use_cases
from tandem_service_desk.adapters.grpc_server import ServiceDeskServicer, register
from tandem_service_desk.domain.sla import SlaPolicy

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def stub(sd_db, clock, serve_grpc):
    def add(server):
        service_desk_pb2_grpc.add_ServiceDeskServicer_to_server(
            ServiceDeskServicer(sd_db.engine, SlaPolicy.default(), clock), server)
        return ["tandem.service_desk.v1.ServiceDesk"]

    address, _server = serve_grpc(add)
    channel = grpc.insecure_channel(address)
    yield service_desk_pb2_grpc.ServiceDeskStub(channel)
    channel.close()


@pytest.fixture
def ask(stub):
    def ask(method, request, user_id, role, request_id="req-1"):
        metadata = caller_metadata(Caller(user_id, role, request_id))
        return call("service_desk", getattr(stub, method), request, metadata=metadata)

    return ask


@pytest.fixture
def agent_id(directory):
    return directory("service_agent")


CONTACT = pb.Contact(name="Ada", email="ada@acme.test", company="Acme")


def new_case(**fields):
    return pb.CreateCaseRequest(**{"subject": "Cannot log in", "priority": "urgent", "origin": "chat",
                                   "contact": CONTACT, **fields})


def test_a_case_travels_both_ways(ask, agent_id, clock):
    case = ask("CreateCase", new_case(description="since Monday", account_id="acc-1"), agent_id, "service_agent")
    assert (case.number, case.status, case.owner_id, case.version) == ("00000001", "new", agent_id, 1)
    assert case.description == "since Monday" and case.account_id == "acc-1"
    assert case.contact.company == "Acme" and not case.contact.HasField("phone")
    assert (case.sla.first_response_due, case.sla.resolution_due) == ("2026-11-02T10:00:00.000Z",
                                                                      "2026-11-02T13:00:00.000Z")
    assert not case.sla.HasField("first_responded_at") and case.created_at == "2026-11-02T09:00:00.000Z"

    clock.now = T0 + timedelta(minutes=50)
    read = ask("GetCase", pb.GetCaseRequest(id=case.id), "rep-1", "sales_rep")  # on an account: sales reads it
    assert read.sla.at_risk and not read.sla.first_response_breached

    changed = ask("UpdateCase", pb.UpdateCaseRequest(id=case.id, expected_version=1, status="working",
                                                     cleared=["description", "contact"]), agent_id, "service_agent")
    assert (changed.version, changed.status) == (2, "working")
    assert not changed.HasField("description") and not changed.HasField("contact")

    listed = ask("ListCases", pb.ListCasesRequest(status="working"), agent_id, "service_agent")
    assert [c.id for c in listed.cases] == [case.id] and listed.next_page_token == ""
    entries = ask("ListHistory", pb.ListHistoryRequest(case_id=case.id), agent_id, "service_agent").entries
    assert any(e.field == "status" and e.from_json == '"new"' and e.to_json == '"working"' and e.actor_id == agent_id
               for e in entries)


def test_refusals_arrive_as_rpc_failures(ask, agent_id):
    with pytest.raises(RpcFailure) as caught:
        ask("CreateCase", new_case(subject="", priority="p1"), agent_id, "service_agent")
    assert (caught.value.kind, caught.value.code) == ("invalid", "validation_failed")
    assert set(caught.value.details["fields"]) == {"subject", "priority"}
    with pytest.raises(RpcFailure) as caught:
        ask("CreateCase", new_case(), "rep-1", "sales_rep")
    assert caught.value.kind == "forbidden"
    with pytest.raises(RpcFailure) as caught:
        ask("GetCase", pb.GetCaseRequest(id="nope"), agent_id, "service_agent")
    assert caught.value.kind == "not_found"
    case = ask("CreateCase", new_case(), agent_id, "service_agent")
    with pytest.raises(RpcFailure) as caught:
        ask("UpdateCase", pb.UpdateCaseRequest(id=case.id, expected_version=9, subject="x"), agent_id,
            "service_agent")
    assert (caught.value.kind, caught.value.details) == ("stale", {"current_version": 1})


def test_a_call_without_a_caller_is_refused(stub):
    with pytest.raises(RpcFailure) as caught:
        call("service_desk", stub.GetCase, pb.GetCaseRequest(id="x"))
    assert caught.value.kind == "unauthenticated"


def test_comments_and_referrals(ask, agent_id, sd_db, closed):
    case = ask("CreateCase", new_case(account_id="acc-1"), agent_id, "service_agent")  # sales reads it
    ask("AddComment", pb.AddCommentRequest(case_id=case.id, body="note to self", internal=True), agent_id,
        "service_agent")
    public = ask("AddComment", pb.AddCommentRequest(case_id=case.id, body="On it"), agent_id, "service_agent")
    assert (public.author_id, public.internal) == (agent_id, False)
    seen_by_rep = ask("ListComments", pb.ListCommentsRequest(case_id=case.id), "rep-1", "sales_rep").comments
    assert [c.body for c in seen_by_rep] == ["On it"]
    assert ask("GetCase", pb.GetCaseRequest(id=case.id), agent_id, "service_agent").sla.HasField("first_responded_at")

    referral = ask("SubmitReferral", pb.SubmitReferralRequest(
        case_id=case.id, kind="upsell", product_interest="Premium plan",
        estimated_value=pb.Money(amount="999.5", currency="EUR")), agent_id, "service_agent", request_id="req-ref")
    assert (referral.status, referral.agent_id, referral.estimated_value.amount) == ("submitted", agent_id, "999.50")
    assert not referral.HasField("lead_id") and not referral.HasField("notes")
    assert sd_db.events("referral_submitted")[0].correlation_id == "req-ref"
    listed = ask("ListReferrals", pb.ListReferralsRequest(case_id=case.id), "rep-1", "sales_rep").referrals
    assert [r.id for r in listed] == [referral.id]
    assert not listed[0].HasField("opportunity_id") and not listed[0].HasField("outcome_amount")
    with transaction(sd_db.sessions) as session:
        use_cases.opportunity_closed(session, closed(4, [referral.id]), now=datetime.now(timezone.utc),
                                     correlation_id=None)
    [won] = ask("ListReferrals", pb.ListReferralsRequest(case_id=case.id), "rep-1", "sales_rep").referrals
    assert (won.status, won.opportunity_id, won.outcome_amount) == (
        "won", "opp-1", pb.Money(amount="12000.00", currency="USD"))
    with pytest.raises(RpcFailure) as caught:
        ask("SubmitReferral", pb.SubmitReferralRequest(case_id=case.id, kind="upsell", product_interest="x"),
            "rep-1", "sales_rep")
    assert caught.value.kind == "forbidden"


def test_register_serves_health_and_the_configured_sla(sd_db, directory, monkeypatch, serve_grpc):
    monkeypatch.setenv("SLA_URGENT_HOURS", "2/8")
    address, _server = serve_grpc(lambda s: register(s, sd_db.engine))
    assert check_health(address, service_name="tandem.service_desk.v1.ServiceDesk")
    stub = service_desk_pb2_grpc.ServiceDeskStub(grpc_channel(address))
    metadata = caller_metadata(Caller(directory("service_agent"), "service_agent"))
    case = call("service_desk", stub.CreateCase, new_case(), metadata=metadata)
    opened = datetime.fromisoformat(case.created_at)
    assert datetime.fromisoformat(case.sla.first_response_due) - opened == timedelta(hours=2)
    assert datetime.fromisoformat(case.sla.resolution_due) - opened == timedelta(hours=8)


def test_the_events_process_never_imports_grpc():
    code = "import sys, tandem_service_desk.adapters.events; sys.exit('grpc' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def page_token(value) -> str:
    """A token shaped as this API writes them (base64 JSON) holding `value`."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# Positions this API never wrote (it writes a case number or a seq: 1 .. the largest BIGINT);
# "é" is not base64 at all.
NOT_WRITTEN_HERE = [*(page_token(v) for v in (2 ** 70, 2 ** 63, -1, 0, True, 1.5, "5", None, [5], {"seq": 5})), "é"]


def test_a_page_token_this_api_did_not_write_is_invalid_page_token_on_postgresql(ask, agent_id):
    """Not a database error: a position of 2**70 reached PostgreSQL (bigint out of range, INTERNAL)."""
    case = ask("CreateCase", new_case(), agent_id, "service_agent")
    for body in ("First", "Second"):
        ask("AddComment", pb.AddCommentRequest(case_id=case.id, body=body), agent_id, "service_agent")
    for method, request in (("ListCases", pb.ListCasesRequest), ("ListComments", pb.ListCommentsRequest),
                            ("ListHistory", pb.ListHistoryRequest)):
        for token in NOT_WRITTEN_HERE:
            message = request(page_token=token) if method == "ListCases" else request(case_id=case.id,
                                                                                       page_token=token)
            with pytest.raises(RpcFailure) as refused:
                ask(method, message, agent_id, "service_agent")
            assert (refused.value.kind, set(refused.value.details["fields"])) == ("invalid", {"page_token"}), \
                (method, token)
    first = ask("ListComments", pb.ListCommentsRequest(case_id=case.id, page_size=1), agent_id, "service_agent")
    rest = ask("ListComments", pb.ListCommentsRequest(case_id=case.id, page_token=first.next_page_token), agent_id,
               "service_agent")
    assert [c.body for c in (*first.comments, *rest.comments)] == ["First", "Second"] and rest.next_page_token == ""
