"""The real Leads servicer on a real gRPC server: messages in and out, the caller from
metadata, failures as RpcFailure on the calling side."""
import base64
import json

import pytest
from tandem.leads.v1 import leads_pb2, leads_pb2_grpc
from tandem_plumbing.grpc_client import ServiceUnavailable, call, channel
from tandem_plumbing.rpc import Caller, RpcFailure, caller_metadata

from tandem_leads.adapters.grpc_server import register


@pytest.fixture
def leads(leads_db, serve_grpc):
    """ask(method, request, as_=caller) against a server on the test's database."""
    addr, _server = serve_grpc(lambda s: register(s, leads_db.engine))
    stub = leads_pb2_grpc.LeadsStub(channel(addr))

    def ask(method, request, as_=Caller("admin", "admin", "req-grpc"), metadata=None):
        return call("leads", getattr(stub, method), request,
                    metadata=caller_metadata(as_) if metadata is None else metadata)

    return ask


@pytest.fixture
def people(leads_db):
    return {"admin": leads_db.user("admin", "admin"), "rep": leads_db.user("rep", "sales_rep"),
            "other": leads_db.user("other", "sales_rep")}


def fields(**values):
    return leads_pb2.LeadFields(first_name="Ada", last_name="Lovelace", email="ada@example.com", company="Acme",
                                **values)


def test_create_get_list_and_history(leads, people):
    made = leads("CreateLead", leads_pb2.CreateLeadRequest(lead=fields(title="CTO", employees=300)))
    assert made.id and made.owner_id in ("rep", "other") and made.version == 1
    assert made.HasField("employees") and made.employees == 300 and not made.HasField("phone")
    assert made.score == sum(f.points for f in made.score_factors) and made.created_at.endswith("Z")
    got = leads("GetLead", leads_pb2.GetLeadRequest(id=made.id))
    assert got == made
    listed = leads("ListLeads", leads_pb2.ListLeadsRequest(q="lovelace"))
    assert [lead.id for lead in listed.leads] == [made.id] and listed.next_page_token == ""
    history = leads("GetLeadHistory", leads_pb2.GetLeadHistoryRequest(id=made.id))
    assert [e.action for e in history.entries] == ["created", "assigned"]
    assert json.loads(history.entries[0].changes_json)["title"] == {"from": None, "to": "CTO"}
    assert history.entries[0].actor_id == "admin" and history.entries[0].correlation_id == "req-grpc"


def test_update_clears_fields_and_checks_the_version(leads, people):
    made = leads("CreateLead", leads_pb2.CreateLeadRequest(lead=fields(title="CTO"), owner_id="rep"))
    rep = people["rep"]
    with pytest.raises(RpcFailure) as failure:
        leads("UpdateLead", leads_pb2.UpdateLeadRequest(id=made.id, changes=leads_pb2.LeadFields(status="working"),
                                                        expected_version=9), as_=rep)
    assert (failure.value.kind, failure.value.code, failure.value.details) == (
        "stale", "version_mismatch", {"current_version": 1})
    changed = leads("UpdateLead", leads_pb2.UpdateLeadRequest(
        id=made.id, changes=leads_pb2.LeadFields(status="working"), clear=["title"], expected_version=1), as_=rep)
    assert (changed.status, changed.HasField("title"), changed.version) == ("working", False, 2)


def test_failures_arrive_typed(leads, people, leads_db):
    with pytest.raises(RpcFailure) as failure:
        leads("CreateLead", leads_pb2.CreateLeadRequest(lead=leads_pb2.LeadFields(email="x", source="tv")))
    assert failure.value.kind == "invalid"
    assert set(failure.value.details["fields"]) == {"first_name", "last_name", "company", "email", "source"}
    assert leads_db.count("leads") == 0

    made = leads("CreateLead", leads_pb2.CreateLeadRequest(lead=fields(), owner_id="rep"))
    with pytest.raises(RpcFailure) as failure:
        leads("CreateLead", leads_pb2.CreateLeadRequest(lead=fields()))
    assert (failure.value.kind, failure.value.details["existing_id"]) == ("conflict", made.id)
    assert leads("CreateLead", leads_pb2.CreateLeadRequest(lead=fields(), allow_duplicate=True)).id != made.id

    with pytest.raises(RpcFailure) as failure:
        leads("GetLead", leads_pb2.GetLeadRequest(id=made.id), as_=people["other"])
    assert failure.value.kind == "not_found"
    with pytest.raises(RpcFailure) as failure:
        leads("GetLead", leads_pb2.GetLeadRequest(id=made.id), metadata=())
    assert failure.value.kind == "unauthenticated"
    with pytest.raises(RpcFailure) as failure:
        leads("UpdateLead", leads_pb2.UpdateLeadRequest(id=made.id, changes=leads_pb2.LeadFields(status="qualified"),
                                                        clear=["email"]))
    assert failure.value.details["fields"] == {"email": "cannot be cleared"}


def test_validate_only_writes_nothing(leads, people, leads_db):
    reply = leads("CreateLead", leads_pb2.CreateLeadRequest(lead=fields(), validate_only=True))
    assert reply == leads_pb2.Lead() and leads_db.count("leads") == 0


def test_settings_round_trip(leads, people):
    weights = leads("GetScoringWeights", leads_pb2.GetSettingRequest(), as_=people["rep"])
    assert weights.version == 0 and not weights.HasField("updated_at")
    document = json.loads(weights.document_json)
    document["country"]["JP"] = 5
    saved = leads("PutScoringWeights", leads_pb2.PutSettingRequest(document_json=json.dumps(document),
                                                                    expected_version=0))
    assert (saved.version, saved.updated_by, json.loads(saved.document_json)["country"]["JP"]) == (1, "admin", 5)
    with pytest.raises(RpcFailure) as failure:
        leads("PutAssignmentRules", leads_pb2.PutSettingRequest(document_json="{not json"))
    assert failure.value.details["fields"] == {"document": "is not JSON"}
    rules = {"rules": [{"name": "all", "criteria": {}, "assign_to": {"user_id": "rep"}}]}
    leads("PutAssignmentRules", leads_pb2.PutSettingRequest(document_json=json.dumps(rules)))
    stored = json.loads(leads("GetAssignmentRules", leads_pb2.GetSettingRequest()).document_json)
    assert stored == {**rules, "default": None, "capacity": {"default": None, "per_user": {}}}
    with pytest.raises(RpcFailure) as failure:
        leads("GetAssignmentRules", leads_pb2.GetSettingRequest(), as_=people["rep"])
    assert failure.value.kind == "forbidden"


def test_convert_with_sales_down_answers_unavailable_and_leaves_the_lead(leads, people, leads_db, monkeypatch,
                                                                         free_port):
    monkeypatch.setenv("SALES_GRPC_ADDR", f"127.0.0.1:{free_port()}")  # nothing listens there
    rep = people["rep"]
    made = leads("CreateLead", leads_pb2.CreateLeadRequest(lead=fields(status="qualified"), owner_id="rep"))
    events = leads_db.count("outbox")
    with pytest.raises(ServiceUnavailable) as unavailable:
        leads("ConvertLead", leads_pb2.ConvertLeadRequest(id=made.id), as_=rep)
    assert "sales is unavailable" in unavailable.value.detail
    assert leads("GetLead", leads_pb2.GetLeadRequest(id=made.id), as_=rep) == made
    assert leads_db.count("outbox") == events


def page_token(value) -> str:
    """A token shaped as this API writes them (base64 JSON) holding `value`."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


AT = "2026-11-27T10:00:00+00:00"
# Tokens this API never wrote: a history token is a seq (1 .. the largest BIGINT), a list
# token [created_at, id] (text); "é" is not base64 at all.
NOT_WRITTEN_HERE = {
    "GetLeadHistory": [page_token(v) for v in (2 ** 70, 2 ** 63, -1, 0, True, 1.5, "5", None, [5], {"seq": 5})]
    + ["é", "!!"],
    "ListLeads": [page_token(v) for v in ([AT, 7], [1, 2], [AT], [AT, "id", "x"], {AT: 1, "id": 2}, 5, [None, "id"],
                                          [AT, "a\x00"], ["yesterday", "id"])] + ["é"],
}


@pytest.fixture
def pg_leads(pg_leads_db, serve_grpc):
    addr, _server = serve_grpc(lambda s: register(s, pg_leads_db.engine))
    stub = leads_pb2_grpc.LeadsStub(channel(addr))
    admin = pg_leads_db.user("admin", "admin")
    pg_leads_db.user("rep", "sales_rep")
    return lambda method, request: call("leads", getattr(stub, method), request, metadata=caller_metadata(admin))


def test_a_page_token_this_api_did_not_write_is_invalid_page_token_on_postgresql(pg_leads):
    """Not a database error: a seq of 2**70 reached PostgreSQL (bigint out of range, INTERNAL)."""
    made = pg_leads("CreateLead", leads_pb2.CreateLeadRequest(lead=fields()))
    pg_leads("UpdateLead", leads_pb2.UpdateLeadRequest(id=made.id, changes=leads_pb2.LeadFields(title="CTO")))
    for method, tokens in NOT_WRITTEN_HERE.items():
        for token in tokens:
            request = (leads_pb2.GetLeadHistoryRequest(id=made.id, page_token=token) if method == "GetLeadHistory"
                       else leads_pb2.ListLeadsRequest(page_token=token))
            with pytest.raises(RpcFailure) as refused:
                pg_leads(method, request)
            assert (refused.value.kind, set(refused.value.details["fields"])) == ("invalid", {"page_token"}), \
                (method, token)
    first = pg_leads("GetLeadHistory", leads_pb2.GetLeadHistoryRequest(id=made.id, page_size=1))
    rest = pg_leads("GetLeadHistory", leads_pb2.GetLeadHistoryRequest(id=made.id, page_token=first.next_page_token))
    assert len(first.entries) == 1 and len(rest.entries) >= 1 and rest.next_page_token == ""
    other = pg_leads("CreateLead", leads_pb2.CreateLeadRequest(lead=leads_pb2.LeadFields(
        first_name="Grace", last_name="Hopper", email="grace@example.com", company="Navy")))
    newest = pg_leads("ListLeads", leads_pb2.ListLeadsRequest(page_size=1))
    older = pg_leads("ListLeads", leads_pb2.ListLeadsRequest(page_token=newest.next_page_token))
    assert [[lead.id for lead in page.leads] for page in (newest, older)] == [[other.id], [made.id]]
