"""Record-level access, RPC by RPC: the real ServiceDesk gRPC server on PostgreSQL, called
with the metadata of the owner rep, their manager, an admin, a rep of another team, a
service agent, a system caller (a role this service does not know) and no identity.

The rule (domain/access.py): service agents and admins read and work every case; sales
users read, never change, the cases on an account and the cases behind a referred lead
owned by them or below them; any other case is NOT_FOUND to them, in lists and searches
too. Every RPC of the service has a row here: a new one fails until it says who may call it."""
from datetime import datetime, timezone

import grpc
import pytest
from tandem.service_desk.v1 import service_desk_pb2 as pb
from tandem.service_desk.v1 import service_desk_pb2_grpc
from tandem_plumbing.failures import Caller
from tandem_plumbing.testing import Probe, access_problems, uncovered_rpcs

from tandem_service_desk import use_cases
from tandem_service_desk.adapters.grpc_server import register
from tandem_service_desk.domain.common import Actor
from tandem_service_desk.domain.sla import SlaPolicy

ADMIN, MANAGER, REP, PEER, AGENT, SYSTEM = "admin", "manager", "rep", "peer", "agent", "system"
SALES = (MANAGER, REP, PEER)
DENIED, HIDDEN, OK = "PERMISSION_DENIED", "NOT_FOUND", "OK"
CONTACT = {"name": "Ada Lovelace", "email": "ada@acme.test", "company": "Acme"}


def outcomes(seen_by: tuple[str, ...] = (), staff=OK, sales_default=HIDDEN) -> dict[str, str]:
    """What each caller gets: staff `staff`; sales users OK when in `seen_by`, else
    `sales_default`; a system caller is always refused."""
    return {ADMIN: staff, AGENT: staff, SYSTEM: DENIED,
            **{who: OK if who in seen_by else sales_default for who in SALES}}


# Which case each caller reads: by its account (everyone), by a referral assigned to the
# rep (the rep and their manager) or to the peer (the peer), or none of those (staff only).
SEEN_BY = {"on_account": SALES, "rep_referral": (REP, MANAGER), "peer_referral": (PEER,), "private": ()}


@pytest.fixture
def callers(sd_db):
    sd_db.user("manager2", "sales_manager")
    return {ADMIN: sd_db.user(ADMIN, "admin"), MANAGER: sd_db.user(MANAGER, "sales_manager"),
            REP: sd_db.user(REP, "sales_rep", MANAGER), PEER: sd_db.user(PEER, "sales_rep", "manager2"),
            AGENT: sd_db.user(AGENT, "service_agent"), SYSTEM: Caller("web-to-lead", "web_form")}


@pytest.fixture
def cases(sd_db, callers, snapshot):
    """label -> case id: the agent's cases of SEEN_BY, each referred but the one on an account."""
    agent, now = Actor(AGENT, "service_agent"), datetime.now(timezone.utc)
    ids = {}
    for label in SEEN_BY:
        values = {"subject": f"Seats ({label})", "priority": "high", "origin": "email", "contact": CONTACT}
        if label == "on_account":
            values["account_id"] = "acc-1"
        ids[label] = sd_db.run(use_cases.create_case, agent, values, now=now, policy=SlaPolicy.default()).case.id
    for label, owner in (("rep_referral", REP), ("peer_referral", PEER), ("private", None)):
        referral = sd_db.run(use_cases.submit_referral, agent, ids[label], {"kind": "upsell", "product_interest": "x"},
                             now=now, correlation_id=None)
        if owner is not None:  # the lead became the owner's: the referral follows it
            sd_db.run(use_cases.follow_lead, snapshot(2, [referral.id], status="working", owner_id=owner,
                                                      lead_id=f"lead-{owner}"), now=now, correlation_id=None)
    return ids


@pytest.fixture
def stub(sd_db, serve_grpc):
    address, _server = serve_grpc(lambda server: register(server, sd_db.engine))
    channel = grpc.insecure_channel(address)
    yield service_desk_pb2_grpc.ServiceDeskStub(channel)
    channel.close()


def probes(cases: dict[str, str]) -> list[Probe]:
    """The table. Reads come first: the writes add cases and referrals."""
    label_of = {case_id: label for label, case_id in cases.items()}

    def listed(reply) -> set[str]:
        return {label_of.get(case.id, case.id) for case in reply.cases}

    every = set(SEEN_BY)
    lists = {ADMIN: every, AGENT: every, SYSTEM: DENIED,
             **{who: {label for label, seen_by in SEEN_BY.items() if who in seen_by} for who in SALES}}
    table = [Probe("ListCases", filters or "all", lambda f=filters: pb.ListCasesRequest(**f), lists, listed)
             for filters in ({}, {"q": "Acme"}, {"q": "seats"}, {"owner_id": AGENT}, {"status": "new"})]
    table.append(Probe("ListCases", "by account", lambda: pb.ListCasesRequest(account_id="acc-1"),
                       {**lists, **{who: {"on_account"} for who in (ADMIN, AGENT, *SALES)}}, listed))
    reads = {"GetCase": lambda case_id: pb.GetCaseRequest(id=case_id),
             "ListComments": lambda case_id: pb.ListCommentsRequest(case_id=case_id),
             "ListHistory": lambda case_id: pb.ListHistoryRequest(case_id=case_id),
             "ListReferrals": lambda case_id: pb.ListReferralsRequest(case_id=case_id)}
    for rpc, request in reads.items():
        for label, case_id in cases.items():
            table.append(Probe(rpc, label, lambda r=request, c=case_id: r(c), outcomes(SEEN_BY[label])))
        table.append(Probe(rpc, "no such case", lambda r=request: r("no-such-case"), outcomes(staff=HIDDEN)))
    # Changes: service agents and admins, on any case; sales users are refused before any lookup.
    private = cases["private"]
    table += [
        Probe("CreateCase", "new", lambda: pb.CreateCaseRequest(subject="New", priority="low", origin="web"),
              outcomes(sales_default=DENIED)),
        Probe("UpdateCase", "private", lambda: pb.UpdateCaseRequest(id=private, subject="Renamed"),
              outcomes(sales_default=DENIED)),
        Probe("AddComment", "private", lambda: pb.AddCommentRequest(case_id=private, body="On it"),
              outcomes(sales_default=DENIED)),
        Probe("SubmitReferral", "private", lambda: pb.SubmitReferralRequest(case_id=private, kind="upsell",
                                                                            product_interest="More seats"),
              outcomes(sales_default=DENIED)),
        Probe("UpdateCase", "no such case", lambda: pb.UpdateCaseRequest(id="no-such-case", subject="x"),
              outcomes(staff=HIDDEN, sales_default=DENIED)),
    ]
    return table


def test_every_rpc_has_a_row():
    table = probes({label: label for label in SEEN_BY})
    assert not uncovered_rpcs(pb.DESCRIPTOR.services_by_name["ServiceDesk"], table)


def test_each_caller_gets_what_the_table_says(stub, callers, cases):
    problems = access_problems(stub, probes(cases), callers)
    assert not problems, "\n".join(problems)
