"""Fuzzing the public API with schemathesis, against the real system.

The whole system runs the way `make run` starts it (gateway under gunicorn, every
service's gRPC, events and relay processes), each on a PostgreSQL database of its own
and a RabbitMQ vhost of its own. The schema is the OpenAPI document the gateway serves.
Every operation is called with generated requests, valid ones (positive) and invalid
ones (negative), by each caller in CALLERS, and every response must:
  - not be a 5xx (not_a_server_error),
  - have a status code the operation documents (status_code_conformance),
  - have a documented content type, headers and a body matching the documented schema
    (content_type_conformance, response_headers_conformance, response_schema_conformance).

Deterministic: a fixed seed, derandomized generation, no example database, so CI sees
the same requests every run. FUZZ_MAX_EXAMPLES (default 8 per operation and caller,
valid and invalid mixed), FUZZ_PHASES (default "examples,fuzzing"; add "coverage" for
schemathesis' boundary values) and FUZZ_SEED widen a local run; see docs/testing.md.

Path parameters: a valid (positive) case addresses real records made for the run (the
rep's account, lead, deal, ...; the agent's case), so the operations behind them are
exercised, not only their 404; a negative case keeps its generated, unknown id.

Limits that would turn the run into a wall of 429s are lifted for it, not worked around
in the checks: the per-user rate limit is off (GATEWAY_RATE_LIMIT=0), failed logins may
be many (the fuzzer sends wrong passwords on purpose), and the web form's limit of 5 per
client address is met by giving each request its own client address through
X-Forwarded-For from a trusted proxy (the test runner's address).
"""
from __future__ import annotations

import itertools
import json
import os

import pytest
import requests
import schemathesis
from e2e.harness import ADMIN, SERVICES, System, eventually, start_system
from schemathesis import GenerationMode
from tandem_gateway.http import openapi

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(",")
SEED = int(os.environ.get("FUZZ_SEED", "20261127"))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")
PASSWORD = "a-long-password-1"
# Who fuzzes: two roles that see different parts of the CRM (and different records), and
# the admin, who may call every route. FUZZ_CALLERS picks some.
CALLERS = tuple(os.environ.get("FUZZ_CALLERS", "sales_rep,service_agent,admin").split(","))


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {name: {"enabled": name in PHASES} for name in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    })


@pytest.fixture(scope="module")  # the system stops when this module is done, not with the session
def crm(make_vhost, make_database, tmp_path_factory):
    databases = {service: make_database(f"fuzz_{service}") for service in (*SERVICES, "gateway")}
    limits_lifted = {
        "GATEWAY_RATE_LIMIT": "0",
        "GATEWAY_LOGIN_FAILURES_PER_ACCOUNT": "1000000",
        "GATEWAY_LOGIN_FAILURES_PER_ADDRESS": "1000000",
        "GATEWAY_TRUSTED_PROXIES": "127.0.0.1",
    }
    with start_system(tmp_path_factory.mktemp("fuzz"), make_vhost("fuzz"), databases, **limits_lifted) as crm:
        yield crm


def _made(response: requests.Response, status: int = 201) -> dict:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def people(crm: System) -> dict[str, dict]:
    """The admin; a manager with a rep below them; a service agent; a spare rep, the user
    the admin's changes to users land on. Each with "auth"."""
    admin = crm.login(**ADMIN)
    me = requests.get(f"{crm.api}/me", headers=admin, timeout=10).json()

    def create(email: str, role: str, manager_id: str | None = None) -> dict:
        body = {"email": email, "name": email.split("@")[0], "password": PASSWORD, "role": role,
                "manager_id": manager_id}
        user = _made(requests.post(f"{crm.api}/users", json=body, headers=admin, timeout=10))
        return {**user, "auth": crm.login(email, PASSWORD)}

    manager = create("mia@example.com", "sales_manager")
    team = {"admin": {**me, "auth": admin}, "sales_manager": manager,
            "sales_rep": create("rex@example.com", "sales_rep", manager["id"]),
            "service_agent": create("ada@example.com", "service_agent"),
            "spare": create("sam@example.com", "sales_rep", manager["id"])}
    # The services learn of users through events; the records below need them known.
    for service, table in (("leads", "reps"), ("sales", "owners"), ("service_desk", "agents"),
                           ("forecast", "users")):
        for who in ("sales_rep", "service_agent", "spare"):
            assert eventually(lambda: crm.query(service, f"SELECT id FROM {table} WHERE id = :id",
                                                id=team[who]["id"])), f"{service} never learnt of the {who}"
    return team


@pytest.fixture(scope="module")
def records(crm: System, people) -> dict[str, str]:
    """Path parameter -> the id of a real record: the rep's account, contact, lead, deal
    (with a line item), activity, report and dashboard; the admin's product; the agent's
    case on the rep's account. `record_id` is resolved by the path's kind (see _ids)."""
    rep, agent, admin = people["sales_rep"]["auth"], people["service_agent"]["auth"], people["admin"]["auth"]

    def post(path: str, body: dict, auth: dict) -> dict:
        return _made(requests.post(f"{crm.api}{path}", json=body, headers=auth, timeout=10))

    account = post("/accounts", {"name": "Acme", "domain": "acme.example"}, rep)
    contact = post("/contacts", {"account_id": account["id"], "first_name": "Ada", "last_name": "Lovelace",
                                 "email": "ada@acme.example"}, rep)
    product = post("/products", {"name": "Seat", "code": "SEAT-1",
                                 "list_price": {"amount": "100.00", "currency": "USD"}}, admin)
    deal = post("/opportunities", {"name": "Acme - seats", "account_id": account["id"], "currency": "USD"}, rep)
    deal = post(f"/opportunities/{deal['id']}/line-items", {"product_id": product["id"], "quantity": "2"}, rep)
    lead = post("/leads", {"first_name": "Grace", "last_name": "Hopper", "email": "grace@hopper.example",
                           "company": "Hopper Inc"}, rep)
    activity = post("/activities", {"type": "call", "subject": "Discovery call", "due_date": "2026-12-01",
                                    "related_to": {"type": "opportunity", "id": deal["id"]}}, rep)
    case = post("/cases", {"subject": "Seat limit reached", "priority": "high", "origin": "email",
                           "account_id": account["id"],
                           "contact": {"name": "Ada Lovelace", "email": "ada@acme.example"}}, agent)
    report = post("/reports", {"name": "By stage", "source": "opportunities", "group_by": ["stage"],
                               "aggregates": [{"fn": "count"}]}, rep)
    dashboard = post("/dashboards", {"name": "Mine", "reports": [report["id"]]}, rep)
    return {"accounts": account["id"], "contacts": contact["id"], "products": product["id"],
            "opportunities": deal["id"], "leads": lead["id"],
            "account_id": account["id"], "lead_id": lead["id"], "case_id": case["id"], "opportunity_id": deal["id"],
            "item_id": deal["line_items"][0]["id"], "activity_id": activity["id"], "report_id": report["id"],
            "dashboard_id": dashboard["id"], "period": "2026-Q4"}


# The document the gateway serves, built by the same code at collection time (pytest
# needs the operations before the system runs); test_the_fuzzed_document_is_the_served_one
# makes sure the two are the same. (schemathesis' from_fixture, which would load it from
# the running gateway, does not work with pytest 9: it sets Function._nodeid.)
schema = schemathesis.openapi.from_dict(openapi.document(), config=_config())
_client_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(256), repeat=3))


@pytest.fixture(scope="module", params=CALLERS)
def caller(request, people) -> dict:
    return people[request.param]


def _ids(case, records: dict[str, str], user_id: str) -> None:
    """Point a valid case's path parameters at the real records; `user_id` at the one
    whose user (and quota) the caller works on."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE or not case.path_parameters:
        return
    for name in case.path_parameters:
        if name == "record_id":  # /api/v1/<kind>/{record_id}...
            case.path_parameters[name] = records[case.operation.path.split("/")[3]]
        elif name in records:
            case.path_parameters[name] = records[name]
        elif name == "user_id":
            case.path_parameters[name] = user_id


def test_the_fuzzed_document_is_the_served_one(crm: System):
    served = requests.get(f"{crm.api}/openapi.json", timeout=10).json()
    fuzzed = json.loads(json.dumps(openapi.document()))
    assert sorted(served["paths"]) == sorted(fuzzed["paths"])
    assert served == fuzzed, "the gateway serves another document than the one the tests were made from"


@schema.parametrize()
def test_every_response_is_documented_and_no_5xx(case, crm, people, caller, records):
    # The admin changes the spare rep (not the rep, whose token the pinned tests use).
    _ids(case, records, people["spare" if caller["role"] == "admin" else "sales_rep"]["id"])
    headers = {**caller["auth"], "X-Forwarded-For": next(_client_addresses)}
    case.call_and_validate(base_url=crm.url, headers=headers, timeout=30)


# What the fuzzer found, pinned as plain requests (each was a 500): NUL in text, which
# PostgreSQL cannot store; integers wider than the 32-bit columns; a page token that is
# not even ASCII.
FOUND = [
    ("POST", "/accounts", {"json": {"name": "Acme\x00"}}, 400, {"name"}),
    ("POST", "/leads", {"json": {"first_name": "A", "last_name": "B", "email": "a@b.example", "company": "C",
                                 "employees": 2**70}}, 400, {"employees"}),
    ("POST", "/accounts", {"json": {"name": "Big", "employees": 2**31}}, 400, {"employees"}),
    ("GET", "/leads", {"params": {"q": "a\x00b"}}, 400, {"q"}),
    ("GET", "/cases", {"params": {"q": "a\x00b"}}, 400, {"q"}),
    ("GET", "/leads/a%00b", {}, 404, None),
    ("GET", "/users/a%00b", {}, 404, None),
    ("GET", "/reports", {"params": {"page_token": "ªÛF"}}, 400, {"page_token"}),
    ("GET", "/dashboards", {"params": {"page_token": "ªÛF"}}, 400, {"page_token"}),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "fields"), FOUND,
                         ids=[f"{m} {p} {sorted(k.get('json') or k.get('params') or {})}" for m, p, k, *_ in FOUND])
def test_what_fuzzing_found_is_refused_cleanly(crm: System, people, method, path, kwargs, status, fields):
    response = requests.request(method, crm.api + path, headers=people["sales_rep"]["auth"], timeout=10, **kwargs)
    assert response.status_code == status, response.text
    if fields is not None:
        assert set(response.json()["error"]["details"]["fields"]) == fields
    if method == "POST":  # nothing was written: the rep still sees only the records made for the run
        kind = path.strip("/")
        listed = requests.get(f"{crm.api}/{kind}", headers=people["sales_rep"]["auth"], timeout=10).json()["items"]
        assert not [item for item in listed if item.get("name") in ("Acme\x00", "Big") or item.get("first_name") == "A"]
