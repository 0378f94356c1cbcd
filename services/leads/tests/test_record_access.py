"""Record-level access, RPC by RPC: the real Leads gRPC server on PostgreSQL, called with
the metadata of the owner rep, their manager, an admin, a rep of another team, a service
agent, the web form, a system caller (a role this service does not know) and no identity.

The rule (domain/access.py): admins every lead, managers their subtree's, reps their
own, service agents and the web form none; a lead one may not see is NOT_FOUND, and lists
and searches leave it out. Every RPC of the service has a row here: a new one fails until
it says who may call it."""
import itertools
import json

import grpc
import pytest
from tandem.leads.v1 import leads_pb2 as pb
from tandem.leads.v1 import leads_pb2_grpc
from tandem_plumbing.failures import Caller
from tandem_plumbing.testing import Probe, access_problems, uncovered_rpcs

from tandem_leads import use_cases
from tandem_leads.adapters.grpc_server import register
from tandem_leads.domain.assignment import DEFAULT_RULES
from tandem_leads.domain.leads import ConversionRequest
from tandem_leads.domain.scoring import DEFAULT_WEIGHTS

ADMIN, MANAGER, REP, PEER, AGENT, FORM, SYSTEM = "admin", "manager", "rep", "peer", "agent", "web form", "system"
DENIED, HIDDEN, OK = "PERMISSION_DENIED", "NOT_FOUND", "OK"
# Whose leads each caller sees, by owner.
SEES = {ADMIN: {REP, PEER}, MANAGER: {REP}, REP: {REP}, PEER: {PEER}, AGENT: set(), FORM: set()}


def outcomes(**given: str) -> dict[str, str]:
    """Refused for all but those `given` (names as keywords, the web form as `form`)."""
    named = {FORM if who == "form" else who: outcome for who, outcome in given.items()}
    return {who: named.get(who, DENIED) for who in (*SEES, SYSTEM)}


def seen(owner: str) -> dict[str, str]:
    """A lead of `owner`: OK to whoever sees the owner's leads, NOT_FOUND to the other users."""
    return {**{who: OK if owner in owners else HIDDEN for who, owners in SEES.items()}, SYSTEM: DENIED}


@pytest.fixture
def callers(pg_leads_db):
    db = pg_leads_db
    db.user("manager2", "sales_manager")
    return {ADMIN: db.user(ADMIN, "admin"), MANAGER: db.user(MANAGER, "sales_manager"),
            REP: db.user(REP, "sales_rep", MANAGER), PEER: db.user(PEER, "sales_rep", "manager2"),
            AGENT: db.user(AGENT, "service_agent"), FORM: Caller("web-to-lead", "web_form"),
            SYSTEM: Caller("backfill", "service")}


def stand_in_sales(caller, lead, request):
    """What sales answers for a conversion (setup only: the RPC below replays it)."""
    return use_cases.SalesRecords("acc-1", f"con-{lead.id[:6]}", f"opp-{lead.id[:6]}", True)


@pytest.fixture
def leads(pg_leads_db, callers):
    """label -> lead id: the rep's open lead, the peer's, and the rep's lead converted into acc-1."""
    db = pg_leads_db

    def lead(owner: str, name: str) -> str:
        return db.run(use_cases.create_lead, callers[owner], {
            "first_name": name, "last_name": "Person", "email": f"{name}@acme.example", "company": f"{name} Inc"}).id

    ids = {"rep": lead(REP, "ada"), "peer": lead(PEER, "bob"), "converted": lead(REP, "cy")}
    db.run(use_cases.update_lead, callers[REP], ids["converted"], {"status": "qualified"})
    use_cases.convert_lead(db.sessions, callers[REP], ids["converted"], ConversionRequest(), stand_in_sales)
    return ids


@pytest.fixture
def stub(pg_leads_db, serve_grpc):
    address, _server = serve_grpc(lambda server: register(server, pg_leads_db.engine))
    channel = grpc.insecure_channel(address)
    yield leads_pb2_grpc.LeadsStub(channel)
    channel.close()


OWNER_OF = {"rep": REP, "peer": PEER, "converted": REP}


def probes(leads: dict[str, str]) -> list[Probe]:
    """The table. Reads come first: the writes add leads."""
    label_of = {lead_id: label for label, lead_id in leads.items()}

    def listed(reply) -> set[str]:
        return {label_of.get(lead.id, lead.id) for lead in reply.leads}

    def lists(labels=tuple(leads)) -> dict:
        return {**{who: {label for label in labels if OWNER_OF[label] in owners} for who, owners in SEES.items()},
                SYSTEM: DENIED}

    table = [Probe("ListLeads", str(filters or "all"), lambda f=filters: pb.ListLeadsRequest(**f), lists(), listed)
             for filters in ({}, {"q": "person"}, {"email_domain": "acme.example"}, {"source": "other"})]
    table += [
        Probe("ListLeads", "the rep's", lambda: pb.ListLeadsRequest(owner_id=REP), lists(("rep", "converted")),
              listed),
        Probe("ListLeads", "the peer's", lambda: pb.ListLeadsRequest(owner_id=PEER), lists(("peer",)), listed),
        Probe("ListLeads", "open", lambda: pb.ListLeadsRequest(status="new"), lists(("rep", "peer")), listed),
        Probe("ListLeads", "account acc-1", lambda: pb.ListLeadsRequest(account_id="acc-1"), lists(("converted",)),
              listed),
    ]
    for label, lead_id in leads.items():
        table += [Probe("GetLead", label, lambda i=lead_id: pb.GetLeadRequest(id=i), seen(OWNER_OF[label])),
                  Probe("GetLeadHistory", label, lambda i=lead_id: pb.GetLeadHistoryRequest(id=i),
                        seen(OWNER_OF[label]))]
    nobody = {who: HIDDEN for who in SEES} | {SYSTEM: DENIED}
    table += [Probe("GetLead", "no such lead", lambda: pb.GetLeadRequest(id="no-such-lead"), nobody),
              Probe("GetLeadHistory", "no such lead", lambda: pb.GetLeadHistoryRequest(id="no-such-lead"), nobody)]

    # Settings: sales users read the scoring weights, admins alone the rest.
    weights, rules = json.dumps(DEFAULT_WEIGHTS), json.dumps(DEFAULT_RULES)
    table += [
        Probe("GetScoringWeights", "", pb.GetSettingRequest, outcomes(admin=OK, manager=OK, rep=OK, peer=OK)),
        Probe("PutScoringWeights", "", lambda: pb.PutSettingRequest(document_json=weights), outcomes(admin=OK)),
        Probe("GetAssignmentRules", "", pb.GetSettingRequest, outcomes(admin=OK)),
        Probe("PutAssignmentRules", "", lambda: pb.PutSettingRequest(document_json=rules), outcomes(admin=OK)),
    ]
    # Changes: whoever sees the lead (agents and the web form see none).
    names = (f"new{n}" for n in itertools.count())  # no duplicate of an open lead: a new person each call

    def new_lead():
        name = next(names)
        return pb.CreateLeadRequest(lead=pb.LeadFields(first_name=name, last_name="Person", company="New Co",
                                                       email=f"{name}@new.example", source="web"))

    table += [
        Probe("CreateLead", "a web lead", new_lead,
              outcomes(admin=OK, manager=OK, rep=OK, peer=OK, form=OK)),
        Probe("UpdateLead", "rep", lambda: pb.UpdateLeadRequest(id=leads["rep"], changes=pb.LeadFields(title="CTO")),
              seen(REP)),
        Probe("UpdateLead", "peer", lambda: pb.UpdateLeadRequest(id=leads["peer"], changes=pb.LeadFields(title="VP")),
              seen(PEER)),
        Probe("ConvertLead", "converted (answers its ids again)",
              lambda: pb.ConvertLeadRequest(id=leads["converted"]), seen(REP)),
        Probe("ConvertLead", "no such lead", lambda: pb.ConvertLeadRequest(id="no-such-lead"), nobody),
    ]
    return table


def test_every_rpc_has_a_row():
    assert not uncovered_rpcs(pb.DESCRIPTOR.services_by_name["Leads"], probes(dict.fromkeys(OWNER_OF, "x")))


def test_each_caller_gets_what_the_table_says(stub, callers, leads):
    problems = access_problems(stub, probes(leads), callers)
    assert not problems, "\n".join(problems)
