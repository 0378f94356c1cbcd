"""The real Sales servicer on a real gRPC server (PostgreSQL): messages in and out,
the caller from metadata, failures as their statuses and RpcFailure on the calling
side, lead conversion as the leads service asks for it."""
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from tandem.sales.v1 import sales_pb2 as pb
from tandem.sales.v1 import sales_pb2_grpc
from tandem_plumbing.grpc_client import call, channel
from tandem_plumbing.rpc import Caller, RpcFailure, caller_metadata

from tandem_sales.adapters.grpc_server import register
from tandem_sales.use_cases.common import encode_token


@pytest.fixture
def db(pg_sales_db):
    return pg_sales_db


@pytest.fixture
def sales(db, team, serve_grpc):
    """ask(method, request, as_=who) against a server on the test's database; also
    `ask.stub` for raw calls and `ask.activities` for the Activities service."""
    addr, _server = serve_grpc(lambda s: register(s, db.engine))
    stub = sales_pb2_grpc.SalesStub(channel(addr))

    def ask(method, request, as_="rep1"):
        return call("sales", getattr(stub, method), request, metadata=caller_metadata(team[as_]))

    ask.stub, ask.activities = stub, sales_pb2_grpc.ActivitiesStub(channel(addr))
    return ask


def failure(sales, method, request, as_="rep1") -> RpcFailure:
    with pytest.raises(RpcFailure) as refused:
        sales(method, request, as_)
    return refused.value


def test_register_serves_sales_and_activities(db):
    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    assert register(server, db.engine) == ["tandem.sales.v1.Sales", "tandem.sales.v1.Activities"]


def test_records_round_trip_with_exact_money_and_optional_fields(sales):
    account = sales("CreateAccount", pb.CreateAccountRequest(account=pb.AccountFields(
        name="Acme", domain="ACME.example", employees=250)))
    assert (account.domain, account.employees, account.owner_id, account.version) == ("acme.example", 250, "rep1", 1)
    assert not account.HasField("phone") and account.created_at.endswith("Z")
    assert sales("GetAccount", pb.GetRequest(id=account.id), as_="agent") == account
    changed = sales("UpdateAccount", pb.UpdateAccountRequest(id=account.id, changes=pb.AccountFields(phone="+1 555"),
                                                             clear=["domain"], expected_version=1))
    assert (changed.phone, changed.HasField("domain"), changed.version) == ("+1 555", False, 2)

    product = sales("CreateProduct", pb.CreateProductRequest(product=pb.ProductFields(
        name="Seat", code="SEAT-1", list_price=pb.Money(amount="120", currency="USD"))), as_="admin")
    assert (product.list_price.amount, product.list_price.currency, product.active) == ("120.00", "USD", True)
    opportunity = sales("CreateOpportunity", pb.CreateOpportunityRequest(opportunity=pb.OpportunityFields(
        name="Acme - seats", account_id=account.id, close_date="2026-12-15")))
    assert (opportunity.stage, opportunity.probability, opportunity.HasField("amount")) == ("Qualification", 10, False)
    priced = sales("AddLineItem", pb.AddLineItemRequest(opportunity_id=opportunity.id, line_item=pb.LineItemFields(
        product_id=product.id, quantity="10", discount="10"), expected_version=1))
    [item] = priced.line_items
    assert (item.quantity, item.unit_price, item.discount, item.total, item.position, item.product_name) == (
        "10", "120.00", "10", "1080.00", 1, "Seat")
    assert (priced.amount, priced.version) == ("1080.00", 2)
    listed = sales("ListOpportunities", pb.ListOpportunitiesRequest(account_id=account.id), as_="manager")
    assert [o.id for o in listed.opportunities] == [opportunity.id] and listed.next_page_token == ""
    history = sales("GetStageHistory", pb.GetStageHistoryRequest(opportunity_id=opportunity.id))
    assert [(c.HasField("from_stage"), c.to_stage, c.actor_id) for c in history.changes] == [
        (False, "Qualification", "rep1")]
    stages = sales("GetStages", pb.GetStagesRequest())
    assert stages.version == 0 and [s.name for s in stages.stages][-1] == "Closed Lost"
    assert not stages.HasField("updated_at")


def test_failures_arrive_as_their_statuses(sales, db):
    account = sales("CreateAccount", pb.CreateAccountRequest(account=pb.AccountFields(name="Acme")))
    opportunity = sales("CreateOpportunity", pb.CreateOpportunityRequest(opportunity=pb.OpportunityFields(
        name="Deal", account_id=account.id)))
    before = db.counts()
    invalid = failure(sales, "CreateAccount", pb.CreateAccountRequest(account=pb.AccountFields(employees=-1)))
    assert (invalid.kind, set(invalid.details["fields"])) == ("invalid", {"name", "employees"})
    assert failure(sales, "GetOpportunity", pb.GetRequest(id=opportunity.id), as_="agent").kind == "not_found"
    stale = failure(sales, "UpdateOpportunity", pb.UpdateOpportunityRequest(
        id=opportunity.id, changes=pb.OpportunityFields(next_step="x"), expected_version=7))
    assert (stale.kind, stale.details) == ("stale", {"current_version": 1})
    rule = failure(sales, "UpdateOpportunity", pb.UpdateOpportunityRequest(
        id=opportunity.id, changes=pb.OpportunityFields(stage="Proposal")))
    assert (rule.kind, rule.code, rule.details["missing"]) == ("rule", "stage_requirements_unmet",
                                                               ["line_items", "close_date"])
    assert failure(sales, "CreateProduct", pb.CreateProductRequest(product=pb.ProductFields(name="X")),
                   ).kind == "forbidden"
    assert db.counts() == before

    with pytest.raises(grpc.RpcError) as raw:
        sales.stub.GetAccount(pb.GetRequest(id=account.id), timeout=5)  # no caller in the metadata
    assert raw.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as raw:
        sales.stub.UpdateOpportunity(pb.UpdateOpportunityRequest(id=opportunity.id, changes=pb.OpportunityFields(
            stage="Proposal")), metadata=caller_metadata(Caller("rep1", "sales_rep")), timeout=5)
    assert raw.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_validate_only_answers_an_empty_message_and_writes_nothing(sales, db):
    before = db.counts()
    reply = sales("CreateAccount", pb.CreateAccountRequest(account=pb.AccountFields(name="Acme"), validate_only=True))
    assert reply == pb.Account() and db.counts() == before


def test_convert_lead_round_trip(sales, db):
    request = pb.ConvertLeadRequest(
        lead_id="lead-1", first_name="Carla", last_name="Customer", email="carla@initech.example",
        company="Initech", lead_owner_id="rep1", amount=pb.Money(amount="12000", currency="USD"),
        referrals=[pb.ReferralRef(referral_id="ref-1", case_id="case-1", case_number="1042", agent_id="agent",
                                  kind="upsell", product_interest="50 more seats")])
    done = sales("ConvertLead", request, as_="manager")
    assert done.lead_id == "lead-1" and done.account_created and not done.replayed
    opportunity = sales("GetOpportunity", pb.GetRequest(id=done.opportunity_id))
    assert (opportunity.name, opportunity.amount, opportunity.lead_id, opportunity.primary_contact_id) == (
        "Initech - 50 more seats", "12000.00", "lead-1", done.contact_id)
    assert [r.referral_id for r in opportunity.referrals] == ["ref-1"] and opportunity.referrals[0].case_number == "1042"
    before = db.counts()
    again = sales("ConvertLead", request, as_="manager")
    assert again.replayed and (again.account_id, again.contact_id, again.opportunity_id) == (
        done.account_id, done.contact_id, done.opportunity_id)
    assert db.counts() == before
    bad = failure(sales, "ConvertLead", pb.ConvertLeadRequest(lead_id="lead-2", company="X"))
    assert set(bad.details["fields"]) == {"first_name", "last_name"}


def test_the_account_overview_in_one_answer(sales):
    account = sales("CreateAccount", pb.CreateAccountRequest(account=pb.AccountFields(name="Acme")))
    child = sales("CreateAccount", pb.CreateAccountRequest(account=pb.AccountFields(name="Acme EU",
                                                                                    parent_id=account.id)))
    contact = sales("CreateContact", pb.CreateContactRequest(contact=pb.ContactFields(
        account_id=account.id, first_name="Ada", last_name="Lovelace")))
    opportunity = sales("CreateOpportunity", pb.CreateOpportunityRequest(opportunity=pb.OpportunityFields(
        name="Deal", account_id=account.id)))
    call_ = pb.CreateActivityRequest(activity=pb.ActivityFields(
        type="call", subject="Discovery", due_date="2026-12-01",
        related_to=pb.RelatedTo(type="opportunity", id=opportunity.id)))
    activity = call("sales", sales.activities.CreateActivity, call_, metadata=caller_metadata(Caller("rep1",
                                                                                                   "sales_rep")))
    seen = sales("GetAccountOverview", pb.GetAccountOverviewRequest(id=account.id))
    assert (seen.account.id, [c.id for c in seen.contacts], [o.id for o in seen.open_opportunities],
            [a.id for a in seen.children]) == (account.id, [contact.id], [opportunity.id], [child.id])
    assert list(seen.recent_activities) == [activity]
    agent = sales("GetAccountOverview", pb.GetAccountOverviewRequest(id=account.id), as_="agent")
    assert list(agent.open_opportunities) == [] and [c.id for c in agent.contacts] == [contact.id]
    assert list(agent.recent_activities) == []  # it was on the deal, which agents do not see


@pytest.mark.parametrize("keys", [[1, 2], [1, 2, 3], ["a\x00", "b"], ["a\x00", "b", "c"], [None, None, None]])
def test_a_page_token_this_api_did_not_write_is_named_not_a_crash(sales, keys):
    """Tokens are opaque base64 JSON: one of the right length but with numbers, nulls or a
    NUL (which PostgreSQL cannot bind) is a 400 page_token, never an error of the database."""
    token = encode_token(keys)
    lists = {2: [("ListAccounts", pb.ListAccountsRequest), ("ListProducts", pb.ListProductsRequest)],
             3: [("ListContacts", pb.ListContactsRequest), ("ListOpportunities", pb.ListOpportunitiesRequest)]}
    for method, request in lists[len(keys)]:
        refused = failure(sales, method, request(page_token=token))
        assert (refused.kind, set(refused.details["fields"])) == ("invalid", {"page_token"}), method
    if len(keys) == 2:
        with pytest.raises(RpcFailure) as refused:
            call("sales", sales.activities.ListActivities, pb.ListActivitiesRequest(page_token=token),
                 metadata=caller_metadata(Caller("rep1", "sales_rep")))
        assert set(refused.value.details["fields"]) == {"page_token"}
