"""Record-level access, enforced by the sales service itself: every RPC of the Sales and
Activities servicers, called on a real gRPC server (PostgreSQL) by the owning rep, their
manager, an admin, a rep of another team (peer), a service agent and a call that names
no user.

TABLE says, per RPC (one or more requests), what each caller gets:
- "ok": answered (a list or overview that might show the rep's records: "sees" them, or
  is "blind" to them: answered, without them);
- "not_found": another user's opportunity or activity (never PERMISSION_DENIED: ids leak
  nothing);
- "forbidden": the caller's role may not do this at all (PERMISSION_DENIED).
A call without a user is UNAUTHENTICATED on every RPC. An RPC of the servicers' proto
descriptors without an entry fails the test: a new RPC must say who may call it.

Accounts and contacts are the CRM's org-wide public read (every sales user and service
agent reads them; the owner, their managers and admins change them); opportunities, their
line items and histories only the owner's chain; service agents see no opportunity.
Writes that allow it are sent with validate_only (it answers what the change would,
access included), so one caller's "ok" changes nothing the next caller sees.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import grpc
import pytest
from tandem.sales.v1 import sales_pb2 as pb
from tandem.sales.v1 import sales_pb2_grpc
from tandem_plumbing.grpc_client import channel
from tandem_plumbing.rpc import caller_metadata

from tandem_sales.adapters.grpc_server import register
from tandem_sales.domain.stages import DEFAULT_STAGES
from tandem_sales.use_cases import activities, conversion, customers, opportunities, products
from tandem_sales.use_cases.conversion import LeadToConvert

OWNER, MANAGER, ADMIN, PEER, AGENT, NONE = "owner rep", "manager", "admin", "peer rep", "agent", "no user"
CALLERS = {OWNER: "rep1", MANAGER: "manager", ADMIN: "admin", PEER: "rep3", AGENT: "agent"}
OK, SEES, BLIND, NOT_FOUND, FORBIDDEN = "ok", "sees", "blind", "not_found", "forbidden"


def rule(default: str, **by_caller: str) -> dict[str, str]:
    """caller -> outcome; keyword names: owner, manager, admin, peer, agent."""
    names = {"owner": OWNER, "manager": MANAGER, "admin": ADMIN, "peer": PEER, "agent": AGENT}
    return {who: by_caller.get(key, default) for key, who in names.items()}


EVERYONE = rule(OK)
SALES_ONLY = rule(OK, agent=FORBIDDEN)
ADMIN_ONLY = rule(FORBIDDEN, admin=OK)
OWNED = rule(OK, peer=NOT_FOUND, agent=NOT_FOUND)  # an opportunity, its parts, an activity on it
CHANGE_CUSTOMER = rule(OK, peer=FORBIDDEN, agent=FORBIDDEN)  # public read, changed by the owner's chain
SHOWN_TO_OWNERS = rule(SEES, peer=BLIND, agent=BLIND)
SHOWN_TO_ALL = rule(SEES)


@dataclass(frozen=True)
class Case:
    request: Callable[[Any], Any]  # records -> the request message
    outcome: dict[str, str]
    shows: Callable[[Any, Any], bool] | None = None  # (reply, records) -> whether it shows the rep's record
    note: str = ""


def _ids(items) -> set[str]:
    return {item.id for item in items}


def _has_opportunity(reply, r) -> bool:
    return r.opportunity.id in _ids(reply.opportunities)


def _has_activity(reply, r) -> bool:
    return r.activity.id in _ids(reply.activities)


def _overview_shows(reply, r) -> bool:
    shown = {r.opportunity.id in _ids(reply.open_opportunities), r.activity.id in _ids(reply.recent_activities)}
    assert len(shown) == 1, "the overview shows the deal and its activity together, or neither"
    return shown.pop()


def _fresh_line_item(r) -> pb.RemoveLineItemRequest:
    added = r.db.run(opportunities.add_line_item, r.team["rep1"], r.opportunity.id,
                     {"product_id": r.product.id, "quantity": "2"})
    return pb.RemoveLineItemRequest(opportunity_id=r.opportunity.id, line_item_id=added.line_items[-1].id)


def _new_lead(r) -> pb.ConvertLeadRequest:
    return pb.ConvertLeadRequest(lead_id=uuid.uuid4().hex, first_name="Grace", last_name="Hopper", company="Initech")


TABLE: dict[str, list[Case]] = {
    # -- accounts and contacts: public read ------------------------------------------------
    "Sales/CreateAccount": [Case(lambda r: pb.CreateAccountRequest(
        account=pb.AccountFields(name="Initech"), validate_only=True), SALES_ONLY)],
    "Sales/GetAccount": [Case(lambda r: pb.GetRequest(id=r.account.id), EVERYONE)],
    "Sales/ListAccounts": [
        Case(lambda r: pb.ListAccountsRequest(), SHOWN_TO_ALL, lambda reply, r: r.account.id in _ids(reply.accounts)),
        Case(lambda r: pb.ListAccountsRequest(q="acm"), SHOWN_TO_ALL,
             lambda reply, r: r.account.id in _ids(reply.accounts), "search"),
    ],
    "Sales/UpdateAccount": [Case(lambda r: pb.UpdateAccountRequest(
        id=r.account.id, changes=pb.AccountFields(phone="+1 555"), validate_only=True), CHANGE_CUSTOMER)],
    "Sales/ListAccountHistory": [Case(lambda r: pb.ListHistoryRequest(id=r.account.id), EVERYONE)],
    "Sales/GetAccountOverview": [Case(lambda r: pb.GetAccountOverviewRequest(id=r.account.id), SHOWN_TO_OWNERS,
                                      _overview_shows)],
    "Sales/CreateContact": [Case(lambda r: pb.CreateContactRequest(
        contact=pb.ContactFields(first_name="Ann", last_name="Lee"), validate_only=True), SALES_ONLY)],
    "Sales/GetContact": [Case(lambda r: pb.GetRequest(id=r.contact.id), EVERYONE)],
    "Sales/ListContacts": [
        Case(lambda r: pb.ListContactsRequest(account_id=r.account.id), SHOWN_TO_ALL,
             lambda reply, r: r.contact.id in _ids(reply.contacts)),
        Case(lambda r: pb.ListContactsRequest(q="lovelace"), SHOWN_TO_ALL,
             lambda reply, r: r.contact.id in _ids(reply.contacts), "search"),
    ],
    "Sales/UpdateContact": [Case(lambda r: pb.UpdateContactRequest(
        id=r.contact.id, changes=pb.ContactFields(title="CTO"), validate_only=True), CHANGE_CUSTOMER)],
    "Sales/ListContactHistory": [Case(lambda r: pb.ListHistoryRequest(id=r.contact.id), EVERYONE)],
    # -- products: sales users read, admins keep -------------------------------------------
    "Sales/CreateProduct": [Case(lambda r: pb.CreateProductRequest(product=pb.ProductFields(
        name="Desk", list_price=pb.Money(amount="10", currency="USD")), validate_only=True), ADMIN_ONLY)],
    "Sales/GetProduct": [Case(lambda r: pb.GetRequest(id=r.product.id), SALES_ONLY)],
    "Sales/ListProducts": [Case(lambda r: pb.ListProductsRequest(), SALES_ONLY)],
    "Sales/UpdateProduct": [Case(lambda r: pb.UpdateProductRequest(
        id=r.product.id, changes=pb.ProductFields(family="Seats"), validate_only=True), ADMIN_ONLY)],
    # -- opportunities: the owner's chain --------------------------------------------------
    "Sales/CreateOpportunity": [Case(lambda r: pb.CreateOpportunityRequest(opportunity=pb.OpportunityFields(
        name="Another deal", account_id=r.account.id), validate_only=True), SALES_ONLY)],
    "Sales/GetOpportunity": [Case(lambda r: pb.GetRequest(id=r.opportunity.id), OWNED)],
    "Sales/ListOpportunities": [
        Case(lambda r: pb.ListOpportunitiesRequest(), SHOWN_TO_OWNERS, _has_opportunity),
        Case(lambda r: pb.ListOpportunitiesRequest(q="acme"), SHOWN_TO_OWNERS, _has_opportunity, "search"),
        Case(lambda r: pb.ListOpportunitiesRequest(account_id=r.account.id), SHOWN_TO_OWNERS, _has_opportunity,
             "an account's, which all may read"),
        Case(lambda r: pb.ListOpportunitiesRequest(owner_id="rep1"), SHOWN_TO_OWNERS, _has_opportunity,
             "asking for the owner's by name"),
    ],
    "Sales/UpdateOpportunity": [Case(lambda r: pb.UpdateOpportunityRequest(
        id=r.opportunity.id, changes=pb.OpportunityFields(next_step="Call"), validate_only=True), OWNED)],
    "Sales/AddLineItem": [Case(lambda r: pb.AddLineItemRequest(
        opportunity_id=r.opportunity.id, line_item=pb.LineItemFields(product_id=r.product.id),
        validate_only=True), OWNED)],
    "Sales/UpdateLineItem": [Case(lambda r: pb.UpdateLineItemRequest(
        opportunity_id=r.opportunity.id, line_item_id=r.opportunity.line_items[0].id,
        changes=pb.LineItemFields(quantity="3"), validate_only=True), OWNED)],
    "Sales/RemoveLineItem": [Case(_fresh_line_item, OWNED)],
    "Sales/GetStageHistory": [Case(lambda r: pb.GetStageHistoryRequest(opportunity_id=r.opportunity.id), OWNED)],
    "Sales/ListOpportunityHistory": [Case(
        lambda r: pb.ListHistoryRequest(id=r.opportunity.id), OWNED)],
    "Sales/GetStages": [Case(lambda r: pb.GetStagesRequest(), SALES_ONLY)],
    "Sales/PutStages": [Case(lambda r: pb.PutStagesRequest(stages=[pb.Stage(**s.document()) for s in DEFAULT_STAGES]),
                             ADMIN_ONLY)],
    "Sales/ConvertLead": [
        Case(_new_lead, SALES_ONLY, note="a new lead"),
        Case(lambda r: pb.ConvertLeadRequest(lead_id="lead-1", first_name="Ada", last_name="Lovelace",
                                             company="Acme"),
             rule(OK, peer=NOT_FOUND, agent=FORBIDDEN), note="the rep's converted lead, asked again"),
    ],
    # Another service's backfill (role `service`, trusted once SERVICE_TOKEN admitted the
    # call; test_stream.py) and admins: every opportunity, unfiltered.
    "Sales/StreamOpportunities": [Case(lambda r: pb.StreamOpportunitiesRequest(), ADMIN_ONLY)],
    # -- activities ------------------------------------------------------------------------
    "Activities/CreateActivity": [Case(lambda r: pb.CreateActivityRequest(activity=pb.ActivityFields(
        type="task", subject="Follow up", related_to=pb.RelatedTo(type="opportunity", id=r.opportunity.id))),
        OWNED, note="on the rep's deal"),
        Case(lambda r: pb.CreateActivityRequest(activity=pb.ActivityFields(
            type="task", subject="Follow up", related_to=pb.RelatedTo(type="opportunity", id=r.opportunity.id)),
            validate_only=True), OWNED, note="only checked (validate_only)")],
    "Activities/GetActivity": [Case(lambda r: pb.GetRequest(id=r.activity.id), OWNED)],
    "Activities/ListActivities": [
        Case(lambda r: pb.ListActivitiesRequest(), SHOWN_TO_OWNERS, _has_activity, "the activities one sees"),
        Case(lambda r: pb.ListActivitiesRequest(related_to=pb.RelatedTo(type="opportunity", id=r.opportunity.id)),
             rule(SEES, peer=NOT_FOUND, agent=NOT_FOUND), _has_activity, "the deal's timeline"),
        Case(lambda r: pb.ListActivitiesRequest(owner_id="rep1"), SHOWN_TO_OWNERS, _has_activity,
             "asking for the owner's by name"),
    ],
    "Activities/UpdateActivity": [
        Case(lambda r: pb.UpdateActivityRequest(
            id=r.activity.id, changes=pb.ActivityFields(description=f"noted {uuid.uuid4().hex[:6]}")), OWNED),
        Case(lambda r: pb.UpdateActivityRequest(
            id=r.activity.id, changes=pb.ActivityFields(subject="Checked"), validate_only=True), OWNED,
            note="only checked (validate_only)"),
    ],
    "Activities/TodayActivities": [Case(lambda r: pb.TodayActivitiesRequest(), rule(BLIND, owner=SEES),
                                        _has_activity, "the caller's own")],
}


def rpc_names() -> set[str]:
    return {f"{service}/{method.name}" for service in ("Sales", "Activities")
            for method in pb.DESCRIPTOR.services_by_name[service].methods}


@pytest.fixture
def db(pg_sales_db):
    return pg_sales_db


@dataclass
class Records:
    db: Any
    team: dict
    account: Any
    contact: Any
    product: Any
    opportunity: Any
    activity: Any


@pytest.fixture
def records(db, team) -> Records:
    """rep1's account, contact, opportunity (with a line item), an activity on it due today
    and a converted lead ("lead-1"); the admin's product."""
    rep = team["rep1"]
    account = db.run(customers.create_account, rep, {"name": "Acme"})
    contact = db.run(customers.create_contact, rep, {"account_id": account.id, "first_name": "Ada",
                                                     "last_name": "Lovelace"})
    product = db.run(products.create_product, team["admin"], {
        "name": "Seat", "code": "SEAT-1", "list_price": {"amount": "100", "currency": "USD"}})
    opportunity = db.run(opportunities.create_opportunity, rep, {"name": "Acme - seats", "account_id": account.id})
    opportunity = db.run(opportunities.add_line_item, rep, opportunity.id, {"product_id": product.id})
    activity = db.run(activities.create_activity, rep, {
        "type": "task", "subject": "Discovery call", "related_to": {"type": "opportunity", "id": opportunity.id},
        "due_date": datetime.now(timezone.utc).date().isoformat()})
    conversion.convert_lead(db.sessions, rep, LeadToConvert(lead_id="lead-1", first_name="Ada", last_name="Lovelace",
                                                            company="Acme"))
    return Records(db, team, account, contact, product, opportunity, activity)


@pytest.fixture
def stubs(db, serve_grpc):
    addr, _server = serve_grpc(lambda s: register(s, db.engine))
    return {"Sales": sales_pb2_grpc.SalesStub(channel(addr)), "Activities": sales_pb2_grpc.ActivitiesStub(channel(addr))}


_OUTCOMES = {grpc.StatusCode.NOT_FOUND: NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED: FORBIDDEN,
             grpc.StatusCode.UNAUTHENTICATED: "unauthenticated"}


def _ask(stubs, name: str, request, metadata) -> tuple[str, Any]:
    """(outcome, reply): "ok", "not_found", "forbidden", "unauthenticated" or the status and details."""
    service, method = name.split("/")
    try:
        reply = getattr(stubs[service], method)(request, metadata=metadata, timeout=10)
        if method.startswith("Stream"):
            reply = list(reply)
    except grpc.RpcError as exc:
        return _OUTCOMES.get(exc.code(), f"{exc.code().name}: {exc.details()}"), None
    return OK, reply


def test_every_rpc_has_an_entry():
    assert not rpc_names() - TABLE.keys(), f"say who may call these (TABLE): {sorted(rpc_names() - TABLE.keys())}"
    assert not TABLE.keys() - rpc_names(), f"no longer served: {sorted(TABLE.keys() - rpc_names())}"


def test_every_caller_on_every_rpc(records, team, stubs):
    problems = []
    for name in sorted(TABLE.keys() & rpc_names()):
        for case in TABLE[name]:
            label = f"{name}{f' ({case.note})' if case.note else ''}"
            for who in (*CALLERS, NONE):
                metadata = caller_metadata(team[CALLERS[who]]) if who in CALLERS else ()
                got, reply = _ask(stubs, name, case.request(records), metadata)
                want = "unauthenticated" if who == NONE else case.outcome[who]
                if want in (SEES, BLIND):
                    if got == OK:
                        got = SEES if case.shows(reply, records) else BLIND
                if got != want:
                    problems.append(f"{label} as {who}: got {got}, expected {want}")
    assert not problems, "\n".join(problems)


def test_a_caller_named_without_a_role_is_refused(stubs, records):
    metadata = (("x-tandem-user-id", "rep1"),)
    assert _ask(stubs, "Sales/GetAccount", pb.GetRequest(id=records.account.id), metadata)[0] == "unauthenticated"
