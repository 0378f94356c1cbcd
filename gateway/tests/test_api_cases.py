"""/api/v1/cases over HTTP, against a real service_desk gRPC server on its own PostgreSQL
database: role checks, every error path, the happy paths, and what reaches the outbox."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from tandem.service_desk.v1 import service_desk_pb2_grpc
from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.directory import record_user
from tandem_plumbing.envelope import Envelope
from tandem_plumbing.migrations import upgrade

from tandem_gateway.config import GatewayConfig
from tandem_service_desk import use_cases as desk_use_cases
from tandem_service_desk.adapters import models
from tandem_service_desk.adapters.grpc_server import ServiceDeskServicer
from tandem_service_desk.domain.sla import SlaPolicy

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
CASE_FIELDS = {"id", "number", "subject", "description", "status", "priority", "origin", "account_id", "contact",
               "owner_id", "sla", "created_at", "updated_at", "version", "referrals"}
SLA_FIELDS = {"first_response_due", "resolution_due", "first_responded_at", "resolved_at",
              "first_response_breached", "resolution_breached", "at_risk"}
REFERRAL_FIELDS = {"id", "case_id", "agent_id", "kind", "status", "lead_id", "assignee_id", "product_interest",
                   "notes", "estimated_value", "reason", "opportunity_id", "outcome_amount", "created_at",
                   "updated_at", "version"}
NEW_CASE = {"subject": "Cannot export invoices", "priority": "high", "origin": "email", "account_id": "acc-1",
            "contact": {"name": "Ada Lovelace", "email": "ada@acme.test", "phone": "+44 20 1", "company": "Acme"}}
REFERRAL = {"kind": "upsell", "product_interest": "Enterprise plan", "notes": "50 more seats next quarter",
            "estimated_value": {"amount": "24000.00", "currency": "EUR"}}


class Clock:
    now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def desk(make_database, serve_grpc):
    """The service_desk gRPC server (movable clock) on its own migrated database."""
    url = make_database("service_desk")
    upgrade(files("tandem_service_desk") / "migrations", url)
    engine = make_engine(url)
    clock = Clock()

    def add(server):
        servicer = ServiceDeskServicer(engine, SlaPolicy.default(), clock)
        service_desk_pb2_grpc.add_ServiceDeskServicer_to_server(servicer, server)
        return ["tandem.service_desk.v1.ServiceDesk"]

    address, _server = serve_grpc(add)

    def count(table) -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    def rows() -> dict[str, int]:
        return {t.name: count(t) for t in (models.cases, models.case_comments, models.referrals, models.outbox)}

    def events(event_type: str) -> list[Envelope]:
        with engine.connect() as conn:
            bodies = conn.execute(select(models.outbox.c.body).where(models.outbox.c.event_type == event_type)
                                  .order_by(models.outbox.c.seq)).scalars()
            return [Envelope.from_dict(body) for body in bodies]

    yield SimpleNamespace(address=address, engine=engine, sessions=session_factory(engine), clock=clock, rows=rows,
                          events=events)
    engine.dispose()


@pytest.fixture
def db_url(tmp_path) -> str:
    """The gateway's own database on SQLite only: its own tests cover PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade(files("tandem_gateway") / "migrations", url)
    return url


@pytest.fixture
def config(config, desk) -> GatewayConfig:
    """The conftest's configuration, with this service behind the gateway for real."""
    return replace(config, service_addrs={**config.service_addrs, "service_desk": desk.address})


@pytest.fixture
def staff(client, admin_auth, make_user, events, desk):
    """staff(role, active=True) -> (user, auth), with the user in the service's directory
    copy as its consumer of the gateway's user events would have put them."""

    def make(role: str = "service_agent", active: bool = True):
        user, auth = make_user(role)
        if not active:
            response = client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=admin_auth)
            assert response.status_code == 200, response.json
        with transaction(desk.sessions) as session:
            for event in events():
                record_user(session, models.agents, event.data["user"])
        return user, auth

    return make


@pytest.fixture
def agent(staff):
    return staff("service_agent")


@pytest.fixture
def rep(staff):
    return staff("sales_rep")


@pytest.fixture
def open_case(client, agent):
    def open_case(**overrides):
        response = client.post("/api/v1/cases", json={**NEW_CASE, **overrides}, headers=agent[1])
        assert response.status_code == 201, response.json
        return response.json

    return open_case


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    return response.json["error"]


# -- opening ---------------------------------------------------------------------------------
def test_an_agent_opens_a_case(client, agent, desk):
    response = client.post("/api/v1/cases", json=NEW_CASE, headers={**agent[1], "X-Request-ID": "req-open-1"})
    assert response.status_code == 201
    case = response.json
    assert set(case) == CASE_FIELDS and set(case["sla"]) == SLA_FIELDS
    assert (case["number"], case["status"], case["owner_id"], case["version"]) == ("00000001", "new", agent[0]["id"],
                                                                                   1)
    assert case["contact"] == NEW_CASE["contact"] and case["description"] is None and case["referrals"] == []
    assert case["sla"]["first_response_due"] == "2026-11-02T13:00:00.000Z"
    assert case["sla"]["resolution_due"] == "2026-11-03T09:00:00.000Z"
    assert not any(case["sla"][flag] for flag in ("first_response_breached", "resolution_breached", "at_risk"))
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert response.headers["X-Request-ID"] == "req-open-1"
    assert client.post("/api/v1/cases", json=NEW_CASE, headers=agent[1]).json["number"] == "00000002"


def test_cases_go_round_robin_or_to_the_named_owner(client, staff, admin_auth):
    first, second = staff("service_agent")[0], staff("service_agent")[0]
    staff("service_agent", active=False)
    owners = [client.post("/api/v1/cases", json=NEW_CASE, headers=admin_auth).json["owner_id"] for _ in range(4)]
    assert sorted(owners[:2]) == sorted([first["id"], second["id"]]) and owners[2:] == owners[:2]
    named = client.post("/api/v1/cases", json={**NEW_CASE, "owner_id": second["id"]}, headers=admin_auth)
    assert named.json["owner_id"] == second["id"]


def test_an_owner_who_cannot_own_cases_is_refused(client, agent, rep, desk):
    before = desk.rows()
    error = assert_error(client.post("/api/v1/cases", json={**NEW_CASE, "owner_id": rep[0]["id"]}, headers=agent[1]),
                         422, "invalid_owner")
    assert error["details"]["fields"] == {"owner_id": "is not an active service agent or admin"}
    assert desk.rows() == before


def test_bad_input_names_each_field_and_writes_nothing(client, agent, desk):
    before = desk.rows()
    shapes = {"subject": ["x"], "priority": 5, "internal": True, "contact": {"name": "A", "email": 1, "title": "CTO"}}
    error = assert_error(client.post("/api/v1/cases", json=shapes, headers=agent[1]), 400, "validation_failed")
    assert error["details"]["fields"] == {"subject": "must be a string", "priority": "must be a string",
                                          "internal": "unknown field", "contact.email": "must be a string",
                                          "contact.title": "unknown field"}
    values = {"subject": " ", "priority": "p1", "origin": "fax", "contact": {"name": "", "email": "nope"}}
    error = assert_error(client.post("/api/v1/cases", json=values, headers=agent[1]), 400, "validation_failed")
    assert error["details"]["fields"] == {
        "subject": "is required", "priority": "must be one of low, medium, high, urgent",
        "origin": "must be one of email, phone, web, chat", "contact.name": "is required",
        "contact.email": "must be a valid email address"}
    assert_error(client.post("/api/v1/cases", data=b"{oops", headers={**agent[1], "Content-Type": "application/json"}),
                 400, "malformed_json")
    assert desk.rows() == before


def test_only_service_agents_and_admins_open_and_change_cases(client, rep, open_case, desk):
    before = desk.rows()
    assert_error(client.post("/api/v1/cases", json=NEW_CASE, headers=rep[1]), 403, "forbidden")
    case = open_case()
    before = desk.rows()
    assert_error(client.patch(f"/api/v1/cases/{case['id']}", json={"status": "working"}, headers=rep[1]), 403,
                 "forbidden")
    assert_error(client.post(f"/api/v1/cases/{case['id']}/comments", json={"body": "hi"}, headers=rep[1]), 403,
                 "forbidden")
    assert desk.rows() == before
    # ... but sales users read cases on an account: sales needs the customer picture
    assert client.get(f"/api/v1/cases/{case['id']}", headers=rep[1]).status_code == 200
    assert client.get("/api/v1/cases", headers=rep[1]).json["items"][0]["id"] == case["id"]
    assert client.get("/api/v1/cases").status_code == 401


@pytest.mark.parametrize("method, path, body", [
    ("get", "", None), ("patch", "", {"subject": "x"}), ("get", "/comments", None), ("post", "/comments", {"body": "x"}),
    ("get", "/history", None), ("get", "/referrals", None), ("post", "/referrals", REFERRAL)])
def test_an_unknown_case_is_404(client, agent, desk, method, path, body):
    before = desk.rows()
    kwargs = {"json": body} if body is not None else {}
    assert_error(getattr(client, method)(f"/api/v1/cases/nope{path}", headers=agent[1], **kwargs), 404, "not_found")
    assert desk.rows() == before


# -- reading and changing ------------------------------------------------------------------
def test_list_filters_search_and_pages(client, agent, staff, open_case):
    other = staff("service_agent")[0]
    first = open_case(subject="VPN drops", owner_id=agent[0]["id"])
    second = open_case(owner_id=other["id"], account_id="acc-2",
                       contact={"name": "Bo", "email": "bo@globex.test", "company": "Globex"})
    third = open_case(owner_id=agent[0]["id"])

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/cases{query}", headers=agent[1])
        assert response.status_code == 200, response.json
        return [case["id"] for case in response.json["items"]]

    assert ids("") == [third["id"], second["id"], first["id"]]
    assert ids(f"?owner_id={agent[0]['id']}") == [third["id"], first["id"]]
    assert ids("?account_id=acc-2") == ids("?q=globex") == [second["id"]]
    assert ids("?q=vpn&status=new") == [first["id"]]
    assert ids("?status=closed") == []
    page = client.get("/api/v1/cases?page_size=2", headers=agent[1]).json
    assert len(page["items"]) == 2 and page["next_page_token"]
    rest = client.get(f"/api/v1/cases?page_size=2&page_token={page['next_page_token']}", headers=agent[1]).json
    assert [c["id"] for c in rest["items"]] == [first["id"]] and rest["next_page_token"] is None
    error = assert_error(client.get("/api/v1/cases?page_size=0&colour=red", headers=agent[1]), 400,
                         "validation_failed")
    assert set(error["details"]["fields"]) == {"page_size", "colour"}
    for query, field in (("?status=open", "status"), ("?page_token=%21%21", "page_token")):
        assert field in assert_error(client.get(f"/api/v1/cases{query}", headers=agent[1]), 400,
                                     "validation_failed")["details"]["fields"]


def test_patch_honours_if_match_and_records_history(client, agent, open_case, desk):
    case = open_case(description="first words")
    path = f"/api/v1/cases/{case['id']}"
    before = desk.rows()
    error = assert_error(client.patch(path, json={"status": "working"}, headers={**agent[1], "If-Match": '"7"'}),
                         412, "version_mismatch")
    assert error["details"] == {"current_version": 1}
    assert_error(client.patch(path, json={"status": "working"}, headers={**agent[1], "If-Match": "garbage"}), 412,
                 "version_mismatch")
    assert desk.rows() == before

    desk.clock.now = T0 + timedelta(hours=2)
    response = client.patch(path, json={"status": "closed", "priority": "urgent", "description": None,
                                        "contact": {"name": "Ada L.", "email": "ada@acme.test"}},
                            headers={**agent[1], "If-Match": '"1"'})
    assert response.status_code == 200, response.json
    changed = response.json
    assert response.headers["ETag"] == '"2"'
    assert (changed["status"], changed["priority"], changed["description"]) == ("closed", "urgent", None)
    assert changed["contact"] == {"name": "Ada L.", "email": "ada@acme.test", "phone": None, "company": None}
    assert changed["sla"]["resolved_at"] == "2026-11-02T11:00:00.000Z"
    assert changed["sla"]["resolution_due"] == "2026-11-02T13:00:00.000Z"  # recomputed for urgent

    assert client.patch(path, json={"subject": "Exports fail"}, headers=agent[1]).status_code == 200  # optional
    error = assert_error(client.patch(path, json={"status": "new"}, headers=agent[1]), 422, "invalid_status_change")
    assert "status" in error["details"]["fields"]
    error = assert_error(client.patch(path, json={"subject": None, "nickname": "x"}, headers=agent[1]), 400,
                         "validation_failed")
    assert error["details"]["fields"] == {"nickname": "unknown field"}
    error = assert_error(client.patch(path, json={"subject": None}, headers=agent[1]), 400, "validation_failed")
    assert error["details"]["fields"] == {"subject": "cannot be null"}

    history = client.get(f"{path}/history", headers=agent[1]).json["items"]
    assert {"field": "status", "from": "new", "to": "closed", "actor_id": agent[0]["id"],
            "at": "2026-11-02T11:00:00.000Z"} in history
    assert {"field": "description", "from": "first words", "to": None} in [
        {k: e[k] for k in ("field", "from", "to")} for e in history]
    first_page = client.get(f"{path}/history?page_size=2", headers=agent[1]).json
    assert first_page["items"] == history[:2] and first_page["next_page_token"]


def test_sla_breach_and_risk_show_on_the_case(client, agent, open_case, desk):
    case = open_case(priority="urgent")  # 1 h to respond, 4 h to resolve
    path = f"/api/v1/cases/{case['id']}"
    desk.clock.now = T0 + timedelta(minutes=50)
    assert client.get(path, headers=agent[1]).json["sla"]["at_risk"] is True
    desk.clock.now = T0 + timedelta(hours=2)
    sla = client.get(path, headers=agent[1]).json["sla"]
    assert (sla["first_response_breached"], sla["resolution_breached"], sla["at_risk"]) == (True, False, False)


# -- comments --------------------------------------------------------------------------------
def test_comments_public_and_internal(client, agent, rep, open_case):
    case = open_case()
    path = f"/api/v1/cases/{case['id']}/comments"
    internal = client.post(path, json={"body": "Customer is grumpy", "internal": True}, headers=agent[1])
    assert internal.status_code == 201 and internal.json["internal"] is True
    public = client.post(path, json={"body": "We are looking into it"}, headers=agent[1])
    assert public.status_code == 201
    assert set(public.json) == {"id", "case_id", "author_id", "body", "internal", "created_at"}
    assert public.json["author_id"] == agent[0]["id"]

    after = client.get(f"/api/v1/cases/{case['id']}", headers=agent[1]).json
    assert after["sla"]["first_responded_at"] == "2026-11-02T09:00:00.000Z" and after["status"] == "working"
    assert [c["body"] for c in client.get(path, headers=agent[1]).json["items"]] == [
        "Customer is grumpy", "We are looking into it"]
    assert [c["body"] for c in client.get(path, headers=rep[1]).json["items"]] == ["We are looking into it"]
    error = assert_error(client.post(path, json={"body": "", "internal": "no"}, headers=agent[1]), 400,
                         "validation_failed")
    assert error["details"]["fields"] == {"internal": "must be true or false"}
    assert assert_error(client.post(path, json={"body": " "}, headers=agent[1]), 400,
                        "validation_failed")["details"]["fields"] == {"body": "is required"}


# -- referrals -------------------------------------------------------------------------------
def test_an_agent_refers_an_upsell(client, agent, open_case, desk):
    case = open_case()
    response = client.post(f"/api/v1/cases/{case['id']}/referrals", json=REFERRAL,
                           headers={**agent[1], "X-Request-ID": "req-refer-1"})
    assert response.status_code == 202, response.json
    referral = response.json
    assert set(referral) == REFERRAL_FIELDS
    assert (referral["status"], referral["agent_id"], referral["case_id"]) == ("submitted", agent[0]["id"],
                                                                               case["id"])
    assert referral["estimated_value"] == {"amount": "24000.00", "currency": "EUR"}
    assert referral["lead_id"] is None and referral["assignee_id"] is None and response.headers["ETag"] == '"1"'

    [event] = desk.events("referral_submitted")
    assert event.correlation_id == "req-refer-1"
    assert event.data["referral"]["id"] == referral["id"]
    assert event.data["case"]["number"] == case["number"] and event.data["contact"] == NEW_CASE["contact"]

    listed = client.get(f"/api/v1/cases/{case['id']}/referrals", headers=agent[1]).json
    assert listed == {"items": [referral], "next_page_token": None}
    assert client.get(f"/api/v1/cases/{case['id']}", headers=agent[1]).json["referrals"] == [referral]
    assert referral["opportunity_id"] is None and referral["outcome_amount"] is None

    won = {"opportunity": {"id": "opp-1", "lead_id": "lead-1", "referrals": [{"referral_id": referral["id"]}]},
           "won": True, "amount": {"amount": "24500.00", "currency": "EUR"}, "loss_reason": None}
    with transaction(desk.sessions) as session:  # what the service desk's consumer does with opportunity_closed
        desk_use_cases.opportunity_closed(session, won, now=desk.clock(), correlation_id=None)
    [after] = client.get(f"/api/v1/cases/{case['id']}/referrals", headers=agent[1]).json["items"]
    assert (after["status"], after["opportunity_id"], after["outcome_amount"]) == (
        "won", "opp-1", {"amount": "24500.00", "currency": "EUR"})


def test_a_retry_with_the_same_idempotency_key_refers_once(client, agent, open_case, desk):
    case = open_case()
    headers = {**agent[1], "Idempotency-Key": "refer-once"}
    first = client.post(f"/api/v1/cases/{case['id']}/referrals", json=REFERRAL, headers=headers)
    again = client.post(f"/api/v1/cases/{case['id']}/referrals", json=REFERRAL, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(desk.events("referral_submitted")) == 1
    assert_error(client.post(f"/api/v1/cases/{case['id']}/referrals", json={**REFERRAL, "notes": "other"},
                             headers=headers), 422, "idempotency_key_reused")


def test_bad_referrals_write_nothing(client, agent, rep, open_case, desk):
    case = open_case()
    path = f"/api/v1/cases/{case['id']}/referrals"
    before = desk.rows()
    assert_error(client.post(path, json=REFERRAL, headers=rep[1]), 403, "forbidden")
    error = assert_error(client.post(path, json={"kind": "upsell"}, headers=agent[1]), 400, "validation_failed")
    assert error["details"]["fields"] == {"product_interest": "is required"}
    error = assert_error(client.post(path, json={**REFERRAL, "kind": "resell",
                                                 "estimated_value": {"amount": "1.234", "currency": "eur"}},
                                     headers=agent[1]), 400, "validation_failed")
    assert set(error["details"]["fields"]) == {"kind", "estimated_value.amount", "estimated_value.currency"}
    error = assert_error(client.post(path, json={**REFERRAL, "estimated_value": {"amount": 10.5, "currency": "EUR"},
                                                 "urgent": True}, headers=agent[1]), 400, "validation_failed")
    assert error["details"]["fields"] == {"estimated_value.amount": 'must be a decimal string, e.g. "1234.50"',
                                          "urgent": "unknown field"}
    no_contact = open_case(contact=None)
    before = desk.rows()
    assert_error(client.post(f"/api/v1/cases/{no_contact['id']}/referrals", json=REFERRAL, headers=agent[1]), 422,
                 "case_has_no_contact")
    assert desk.rows() == before
    assert client.get(path, headers=rep[1]).json["items"] == []  # reps read them


def test_a_service_that_does_not_answer_is_503(client, agent, gw, free_port):
    gw.config.service_addrs["service_desk"] = f"127.0.0.1:{free_port()}"
    error = assert_error(client.get("/api/v1/cases", headers=agent[1]), 503, "service_unavailable")
    assert error["details"] == {"service": "service_desk"}
