"""Sales/StreamOpportunities on a real gRPC server (PostgreSQL): every opportunity once,
by id, with its version and account name, across pages; admins and services only."""
import grpc
import pytest
from tandem.sales.v1 import sales_pb2 as pb
from tandem.sales.v1 import sales_pb2_grpc
from tandem_plumbing.grpc_client import channel
from tandem_plumbing.rpc import Caller, RpcFailure, caller_metadata, failure_from_rpc_error

from tandem_sales.adapters.grpc_server import register
from tandem_sales.use_cases import customers, opportunities


@pytest.fixture
def db(pg_sales_db):
    return pg_sales_db


@pytest.fixture
def stream(db, team, serve_grpc):
    """stream(page_size, as_=role) -> every message, or the RpcFailure the call ended with."""
    addr, _server = serve_grpc(lambda s: register(s, db.engine))
    stub = sales_pb2_grpc.SalesStub(channel(addr))

    def ask(page_size=0, as_=Caller("forecast", "service")):
        try:
            return list(stub.StreamOpportunities(pb.StreamOpportunitiesRequest(page_size=page_size), timeout=10,
                                                 metadata=caller_metadata(as_)))
        except grpc.RpcError as exc:
            return failure_from_rpc_error(exc)

    return ask


def test_every_opportunity_once_by_id_across_pages_with_version_and_account_name(db, team, stream):
    acme = db.run(customers.create_account, team["rep1"], {"name": "Acme"})
    globex = db.run(customers.create_account, team["rep3"], {"name": "Globex"})
    made = [db.run(opportunities.create_opportunity, owner, {"name": f"deal {i}", "account_id": account.id,
                                                             "amount": f"{i}00.50", "currency": "EUR"})
            for i, (owner, account) in enumerate([(team["rep1"], acme), (team["rep3"], globex)] * 4)]
    changed = db.run(opportunities.update_opportunity, team["rep1"], made[0].id, {"name": "renamed"})
    expected = sorted([changed, *made[1:]], key=lambda o: o.id)

    for page_size in (0, 1, 3, 8, 9):  # one page, pages of one, a short last page, exact pages
        got = stream(page_size)
        assert [(m.id, m.version, m.name, m.amount, m.currency) for m in got] == [
            (o.id, o.version, o.name, str(o.amount), "EUR") for o in expected], page_size
        assert {m.account_name for m in got} == {"Acme", "Globex"}
        assert all(m.account_name == ("Acme" if m.account_id == acme.id else "Globex") for m in got)
    assert stream(as_=team["admin"]) == stream()


def test_an_empty_database_streams_nothing(stream):
    assert stream() == []


@pytest.mark.parametrize("who", ["manager", "rep1", "agent"])
def test_only_admins_and_services_may_stream(stream, team, who):
    refused = stream(as_=team[who])
    assert isinstance(refused, RpcFailure) and refused.kind == "forbidden"


@pytest.mark.parametrize("page_size", [-1, 5001])
def test_a_page_size_out_of_range_is_named(stream, page_size):
    refused = stream(page_size)
    assert isinstance(refused, RpcFailure) and refused.kind == "invalid"
    assert set(refused.details["fields"]) == {"page_size"}
