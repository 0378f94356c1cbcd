"""Record-level access, enforced by the sales service itself: every RPC of the Sales and
Activities servicers, called on a real gRPC server (PostgreSQL) with the metadata of the
owning rep, their manager, an admin, a rep of another team (peer), a service agent, a
system caller (role `service`, as forecast's backfill) and no identity
(`tandem_plumbing.testing.Probe` / `access_problems`).

Each row says what each caller gets: OK; NOT_FOUND for another user's opportunity or
activity (never PERMISSION_DENIED: ids leak nothing); PERMISSION_DENIED for a role that
may not do this at all (the system caller everywhere but StreamOpportunities); for a list,
search, timeline or overview, which of the rep's records it shows. No identity is
UNAUTHENTICATED on every RPC. An RPC of the servicers' descriptors without a row fails.

Accounts and contacts are the CRM's org-wide public read (every sales user and service
agent reads them; the owner, their managers and admins change them); opportunities, their
line items and histories only the owner's chain; service agents see no opportunity.
Writes that allow it are sent with validate_only (it answers what the change would,
access included), so one caller's OK changes nothing the next caller sees.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import grpc
import pytest
from tandem.sales.v1 import sales_pb2 as pb
from tandem.sales.v1 import sales_pb2_grpc
from tandem_plumbing.failures import Caller
from tandem_plumbing.testing import Probe, access_problems, uncovered_rpcs

from tandem_sales.adapters.grpc_server import register
from tandem_sales.adapters.leads import see_lead
from tandem_sales.domain.stages import DEFAULT_STAGES
from tandem_sales.use_cases import activities, conversion, customers, opportunities, products
from tandem_sales.use_cases.conversion import LeadToConvert

ADMIN, MANAGER, REP, PEER, AGENT, SYSTEM = "admin", "manager", "owner rep", "peer rep", "agent", "system"
USERS = (ADMIN, MANAGER, REP, PEER, AGENT)
OK, HIDDEN, DENIED = "OK", "NOT_FOUND", "PERMISSION_DENIED"
OWNERS_LINE = (ADMIN, MANAGER, REP)  # who sees the rep's opportunity and the activity on it
DEAL = frozenset({"the rep's"})  # what a list shows of the rep's records
NONE_OF_THEM = frozenset()


def outcomes(default: str, **given: str) -> dict[str, object]:
    """Each user gets `default` unless named (admin, manager, rep, peer, agent); the system
    caller is refused unless `system` is given."""
    names = {"admin": ADMIN, "manager": MANAGER, "rep": REP, "peer": PEER, "agent": AGENT, "system": SYSTEM}
    return {SYSTEM: DENIED, **{who: default for who in USERS}, **{names[key]: value for key, value in given.items()}}


EVERYONE = outcomes(OK)
SALES_ONLY = outcomes(OK, agent=DENIED)
ADMIN_ONLY = outcomes(DENIED, admin=OK)
OWNED = outcomes(OK, peer=HIDDEN, agent=HIDDEN)  # the rep's opportunity, its parts, the activity on it
CHANGE_CUSTOMER = outcomes(OK, peer=DENIED, agent=DENIED)  # public read, changed by the owner's line
NOBODY = outcomes(HIDDEN)  # an id that does not exist: the same answer as someone else's record
SHOWN_TO_ALL = outcomes(DEAL)
SHOWN_TO_OWNERS = {**outcomes(NONE_OF_THEM), **{who: DEAL for who in OWNERS_LINE}}


def shows(*reply_fields: str, record: str):
    """listed(reply): DEAL when the records of `reply_fields` include `record`'s id (an
    attribute of the records), else nothing."""
    def listed(reply) -> frozenset:
        return DEAL if any(item.id == record() for name in reply_fields for item in getattr(reply, name)) \
            else NONE_OF_THEM
    return listed


def sales_probes(r) -> list[Probe]:
    def fresh_line_item() -> pb.RemoveLineItemRequest:
        added = r.db.run(opportunities.add_line_item, r.team["rep1"], r.opportunity.id,
                         {"product_id": r.product.id, "quantity": "2"})
        return pb.RemoveLineItemRequest(opportunity_id=r.opportunity.id, line_item_id=added.line_items[-1].id)

    def new_lead() -> pb.ConvertLeadRequest:
        return pb.ConvertLeadRequest(lead_id=uuid.uuid4().hex, first_name="Grace", last_name="Hopper",
                                     company="Initech")

    def overview_shows(reply) -> frozenset:
        deal = r.opportunity.id in {o.id for o in reply.open_opportunities}
        activity = r.activity.id in {a.id for a in reply.recent_activities}
        return DEAL if deal and activity else NONE_OF_THEM if not (deal or activity) else frozenset({"half"})

    account, contact = (lambda: r.account.id), (lambda: r.contact.id)
    deal = lambda: r.opportunity.id  # noqa: E731
    deals = shows("opportunities", record=deal)
    return [
        # -- accounts and contacts: public read --------------------------------------------
        Probe("CreateAccount", "checked", lambda: pb.CreateAccountRequest(
            account=pb.AccountFields(name="Initech"), validate_only=True), SALES_ONLY),
        Probe("GetAccount", "the rep's", lambda: pb.GetRequest(id=r.account.id), EVERYONE),
        Probe("GetAccount", "no such account", lambda: pb.GetRequest(id="no-such-account"), NOBODY),
        Probe("ListAccounts", "all", pb.ListAccountsRequest, SHOWN_TO_ALL, shows("accounts", record=account)),
        Probe("ListAccounts", "search", lambda: pb.ListAccountsRequest(q="acm"), SHOWN_TO_ALL,
              shows("accounts", record=account)),
        Probe("UpdateAccount", "checked", lambda: pb.UpdateAccountRequest(
            id=r.account.id, changes=pb.AccountFields(phone="+1 555"), validate_only=True), CHANGE_CUSTOMER),
        Probe("ListAccountHistory", "the rep's", lambda: pb.ListHistoryRequest(id=r.account.id), EVERYONE),
        Probe("GetAccountOverview", "the rep's deal and its activity",
              lambda: pb.GetAccountOverviewRequest(id=r.account.id), SHOWN_TO_OWNERS, overview_shows),
        Probe("CreateContact", "checked", lambda: pb.CreateContactRequest(
            contact=pb.ContactFields(first_name="Ann", last_name="Lee"), validate_only=True), SALES_ONLY),
        Probe("GetContact", "the rep's", lambda: pb.GetRequest(id=r.contact.id), EVERYONE),
        Probe("ListContacts", "an account's", lambda: pb.ListContactsRequest(account_id=r.account.id),
              SHOWN_TO_ALL, shows("contacts", record=contact)),
        Probe("ListContacts", "search", lambda: pb.ListContactsRequest(q="lovelace"), SHOWN_TO_ALL,
              shows("contacts", record=contact)),
        Probe("UpdateContact", "checked", lambda: pb.UpdateContactRequest(
            id=r.contact.id, changes=pb.ContactFields(title="CTO"), validate_only=True), CHANGE_CUSTOMER),
        Probe("ListContactHistory", "the rep's", lambda: pb.ListHistoryRequest(id=r.contact.id), EVERYONE),
        # -- products: sales users read, admins keep ---------------------------------------
        Probe("CreateProduct", "checked", lambda: pb.CreateProductRequest(product=pb.ProductFields(
            name="Desk", list_price=pb.Money(amount="10", currency="USD")), validate_only=True), ADMIN_ONLY),
        Probe("GetProduct", "", lambda: pb.GetRequest(id=r.product.id), SALES_ONLY),
        Probe("ListProducts", "", pb.ListProductsRequest, SALES_ONLY),
        Probe("UpdateProduct", "checked", lambda: pb.UpdateProductRequest(
            id=r.product.id, changes=pb.ProductFields(family="Seats"), validate_only=True), ADMIN_ONLY),
        # -- opportunities: the owner's line -----------------------------------------------
        Probe("CreateOpportunity", "checked", lambda: pb.CreateOpportunityRequest(opportunity=pb.OpportunityFields(
            name="Another deal", account_id=r.account.id), validate_only=True), SALES_ONLY),
        Probe("GetOpportunity", "the rep's", lambda: pb.GetRequest(id=r.opportunity.id), OWNED),
        Probe("GetOpportunity", "no such deal", lambda: pb.GetRequest(id="no-such-deal"), NOBODY),
        Probe("ListOpportunities", "all", pb.ListOpportunitiesRequest, SHOWN_TO_OWNERS, deals),
        Probe("ListOpportunities", "search", lambda: pb.ListOpportunitiesRequest(q="acme"), SHOWN_TO_OWNERS, deals),
        Probe("ListOpportunities", "an account's, which all may read",
              lambda: pb.ListOpportunitiesRequest(account_id=r.account.id), SHOWN_TO_OWNERS, deals),
        Probe("ListOpportunities", "the owner's, asked by name",
              lambda: pb.ListOpportunitiesRequest(owner_id="rep1"), SHOWN_TO_OWNERS, deals),
        Probe("UpdateOpportunity", "checked", lambda: pb.UpdateOpportunityRequest(
            id=r.opportunity.id, changes=pb.OpportunityFields(next_step="Call"), validate_only=True), OWNED),
        Probe("AddLineItem", "checked", lambda: pb.AddLineItemRequest(
            opportunity_id=r.opportunity.id, line_item=pb.LineItemFields(product_id=r.product.id),
            validate_only=True), OWNED),
        Probe("UpdateLineItem", "checked", lambda: pb.UpdateLineItemRequest(
            opportunity_id=r.opportunity.id, line_item_id=r.opportunity.line_items[0].id,
            changes=pb.LineItemFields(quantity="3"), validate_only=True), OWNED),
        Probe("RemoveLineItem", "a fresh one", fresh_line_item, OWNED),
        Probe("GetStageHistory", "", lambda: pb.GetStageHistoryRequest(opportunity_id=r.opportunity.id), OWNED),
        Probe("ListOpportunityHistory", "", lambda: pb.ListHistoryRequest(id=r.opportunity.id), OWNED),
        Probe("ListOpportunityHistory", "no such deal", lambda: pb.ListHistoryRequest(id="no-such-deal"), NOBODY),
        Probe("GetStages", "", pb.GetStagesRequest, SALES_ONLY),
        Probe("PutStages", "the defaults", lambda: pb.PutStagesRequest(
            stages=[pb.Stage(**s.document()) for s in DEFAULT_STAGES]), ADMIN_ONLY),
        Probe("ConvertLead", "a new lead", new_lead, SALES_ONLY),
        Probe("ConvertLead", "the rep's converted lead, asked again", lambda: pb.ConvertLeadRequest(
            lead_id="lead-1", first_name="Ada", last_name="Lovelace", company="Acme"),
            outcomes(OK, peer=HIDDEN, agent=DENIED)),
        # Every opportunity, unfiltered: admins, and another service's backfill (the role
        # `service`, trusted once SERVICE_TOKEN admitted the call; see the README).
        Probe("StreamOpportunities", "", pb.StreamOpportunitiesRequest, outcomes(DENIED, admin=OK, system=OK)),
    ]


def activities_probes(r) -> list[Probe]:
    def on_deal(**request) -> pb.CreateActivityRequest:
        return pb.CreateActivityRequest(activity=pb.ActivityFields(
            type="task", subject="Follow up", related_to=pb.RelatedTo(type="opportunity", id=r.opportunity.id)),
            **request)

    activity = shows("activities", record=lambda: r.activity.id)
    return [
        Probe("CreateActivity", "on the rep's deal", on_deal, OWNED),
        Probe("CreateActivity", "on the rep's deal, checked", lambda: on_deal(validate_only=True), OWNED),
        Probe("CreateActivity", "on the rep's account", lambda: pb.CreateActivityRequest(activity=pb.ActivityFields(
            type="call", subject="Support call", related_to=pb.RelatedTo(type="account", id=r.account.id))),
            EVERYONE),
        Probe("GetActivity", "on the rep's deal", lambda: pb.GetRequest(id=r.activity.id), OWNED),
        Probe("GetActivity", "no such activity", lambda: pb.GetRequest(id="no-such-activity"), NOBODY),
        Probe("ListActivities", "the ones one sees", pb.ListActivitiesRequest, SHOWN_TO_OWNERS, activity),
        Probe("ListActivities", "the deal's timeline", lambda: pb.ListActivitiesRequest(
            related_to=pb.RelatedTo(type="opportunity", id=r.opportunity.id)),
            {**outcomes(DEAL, peer=HIDDEN, agent=HIDDEN)}, activity),
        Probe("ListActivities", "the owner's, asked by name", lambda: pb.ListActivitiesRequest(owner_id="rep1"),
              SHOWN_TO_OWNERS, activity),
        Probe("UpdateActivity", "on the rep's deal", lambda: pb.UpdateActivityRequest(
            id=r.activity.id, changes=pb.ActivityFields(description=f"noted {uuid.uuid4().hex[:6]}")), OWNED),
        Probe("UpdateActivity", "on the rep's deal, checked", lambda: pb.UpdateActivityRequest(
            id=r.activity.id, changes=pb.ActivityFields(subject="Checked"), validate_only=True), OWNED),
        Probe("TodayActivities", "the caller's own", pb.TodayActivitiesRequest,
              {**outcomes(NONE_OF_THEM), REP: DEAL}, activity),
    ]


def lead_activities_probes(r) -> list[Probe]:
    """A lead lives in the leads service, which alone says who may see it: sales asks it
    (Leads/GetLead, as the caller; a real leads server here) and answers NOT_FOUND for a
    lead hidden from the caller, as for the rep's deal. Agents see no lead: not asked."""
    def on_lead(lead_id: str, **request) -> pb.CreateActivityRequest:
        return pb.CreateActivityRequest(activity=pb.ActivityFields(
            type="call", subject="Intro call", related_to=pb.RelatedTo(type="lead", id=lead_id)), **request)

    activity = shows("activities", record=lambda: r.lead_activity.id)
    return [
        Probe("CreateActivity", "on the rep's lead", lambda: on_lead(r.lead_id), OWNED),
        Probe("CreateActivity", "on the rep's lead, checked", lambda: on_lead(r.lead_id, validate_only=True), OWNED),
        Probe("CreateActivity", "on no such lead", lambda: on_lead("no-such-lead"), NOBODY),
        Probe("GetActivity", "on the rep's lead", lambda: pb.GetRequest(id=r.lead_activity.id), OWNED),
        Probe("ListActivities", "the lead's timeline", lambda: pb.ListActivitiesRequest(
            related_to=pb.RelatedTo(type="lead", id=r.lead_id)), outcomes(DEAL, peer=HIDDEN, agent=HIDDEN), activity),
        Probe("ListActivities", "no such lead's timeline", lambda: pb.ListActivitiesRequest(
            related_to=pb.RelatedTo(type="lead", id="no-such-lead")), NOBODY),
        Probe("UpdateActivity", "on the rep's lead, checked", lambda: pb.UpdateActivityRequest(
            id=r.lead_activity.id, changes=pb.ActivityFields(subject="Checked"), validate_only=True), OWNED),
    ]


@pytest.fixture
def db(pg_sales_db):
    return pg_sales_db


@pytest.fixture
def callers(team) -> dict[str, Caller]:
    return {ADMIN: team["admin"], MANAGER: team["manager"], REP: team["rep1"], PEER: team["rep3"],
            AGENT: team["agent"], SYSTEM: Caller("forecast", "service")}


class Records:
    """rep1's account, contact, opportunity (with a line item), an activity on it due today
    and a converted lead ("lead-1"); the admin's product."""

    def __init__(self, db, team) -> None:
        rep = team["rep1"]
        self.db, self.team = db, team
        self.account = db.run(customers.create_account, rep, {"name": "Acme"})
        self.contact = db.run(customers.create_contact, rep, {"account_id": self.account.id, "first_name": "Ada",
                                                              "last_name": "Lovelace"})
        self.product = db.run(products.create_product, team["admin"], {
            "name": "Seat", "code": "SEAT-1", "list_price": {"amount": "100", "currency": "USD"}})
        deal = db.run(opportunities.create_opportunity, rep, {"name": "Acme - seats", "account_id": self.account.id})
        self.opportunity = db.run(opportunities.add_line_item, rep, deal.id, {"product_id": self.product.id})
        self.activity = activities.create_activity(db.sessions, rep, {
            "type": "task", "subject": "Discovery call", "related_to": {"type": "opportunity", "id": deal.id},
            "due_date": datetime.now(timezone.utc).date().isoformat()}, see_lead)
        conversion.convert_lead(db.sessions, rep, LeadToConvert(lead_id="lead-1", first_name="Ada",
                                                                last_name="Lovelace", company="Acme"))


class StreamRead:
    """A stub whose server-streaming calls are read to their end: a refusal shows only then."""

    def __init__(self, stub, streams: tuple[str, ...]) -> None:
        self._stub, self._streams = stub, streams

    def __getattr__(self, name: str):
        method = getattr(self._stub, name)
        return (lambda request, **kwargs: list(method(request, **kwargs))) if name in self._streams else method


@pytest.fixture
def stubs(db, serve_grpc):
    address, _server = serve_grpc(lambda server: register(server, db.engine))
    channel = grpc.insecure_channel(address)
    yield (StreamRead(sales_pb2_grpc.SalesStub(channel), ("StreamOpportunities",)),
           sales_pb2_grpc.ActivitiesStub(channel))
    channel.close()


def test_every_rpc_has_a_row():
    assert not uncovered_rpcs(pb.DESCRIPTOR.services_by_name["Sales"], sales_probes(None))
    assert not uncovered_rpcs(pb.DESCRIPTOR.services_by_name["Activities"], activities_probes(None))


def test_each_caller_gets_what_the_table_says(db, team, callers, stubs):
    records = Records(db, team)
    sales, activities_stub = stubs
    problems = [*access_problems(sales, sales_probes(records), callers),
                *access_problems(activities_stub, activities_probes(records), callers)]
    assert not problems, "\n".join(problems)


def test_a_lead_s_activities_are_seen_by_whoever_the_leads_service_lets_see_the_lead(
        db, team, callers, stubs, leads_server):
    records = Records(db, team)
    records.lead_id = leads_server.lead("rep1")
    records.lead_activity = activities.create_activity(db.sessions, team["rep1"], {
        "type": "task", "subject": "Qualify", "related_to": {"type": "lead", "id": records.lead_id}}, see_lead)
    problems = access_problems(stubs[1], lead_activities_probes(records), callers)
    assert not problems, "\n".join(problems)


def test_a_caller_named_without_a_role_is_refused(db, team, stubs):
    records = Records(db, team)
    with pytest.raises(grpc.RpcError) as refused:
        stubs[0].GetAccount(pb.GetRequest(id=records.account.id), metadata=(("x-tandem-user-id", "rep1"),))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
