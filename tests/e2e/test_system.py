"""End to end: start the whole system the way `make run` does, talk HTTP to the gateway.

Runs twice: on the embedded SQLite databases (exactly `make run`'s default) and
on one PostgreSQL database per service. Each run has its own RabbitMQ vhost,
data directory and ports.
"""
import json
import time

import pytest
import requests
from e2e.harness import ADMIN, SERVICES, System, eventually, start_system

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(params=["sqlite", "postgresql"])
def system(request, make_vhost, make_database, tmp_path):
    databases = {}
    if request.param == "postgresql":
        databases = {service: make_database(f"e2e_{service}") for service in (*SERVICES, "gateway")}
    with start_system(tmp_path, make_vhost(f"e2e-{request.param}"), databases) as system:
        print(f"\n[e2e:{request.param}] ready in {system.ready_seconds:.1f}s: {system.readiness}")
        yield system


def test_admin_builds_a_team_that_logs_in(system: System):
    assert requests.get(system.url + "/healthz", timeout=5).status_code == 200
    admin = system.login(**ADMIN)

    me = requests.get(f"{system.api}/me", headers=admin, timeout=5).json()
    assert me["role"] == "admin" and me["email"] == ADMIN["email"]

    def create(payload, request_id):
        r = requests.post(f"{system.api}/users", json=payload, headers={**admin, "X-Request-ID": request_id}, timeout=10)
        assert r.status_code == 201, r.text
        assert r.headers["X-Request-ID"] == request_id
        return r.json()

    manager = create({"email": "mia@example.com", "name": "Mia Manager", "password": "manager-pass-1", "role": "sales_manager"}, "req-manager-1")
    rep = create({"email": "rex@example.com", "name": "Rex Rep", "password": "rep-password-1", "role": "sales_rep", "manager_id": manager["id"]}, "req-rep-1")
    agent = create({"email": "ada@example.com", "name": "Ada Agent", "password": "agent-pass-1", "role": "service_agent"}, "req-agent-1")

    rep_auth = system.login("rex@example.com", "rep-password-1")
    assert requests.get(f"{system.api}/me", headers=rep_auth, timeout=5).json()["manager_id"] == manager["id"]
    assert requests.get(f"{system.api}/me", headers=system.login("mia@example.com", "manager-pass-1"), timeout=5).json()["role"] == "sales_manager"
    assert system.login("ada@example.com", "agent-pass-1")

    # Bad input changes nothing: a duplicate email is a conflict, a rep may not create users.
    dup = requests.post(f"{system.api}/users", json={"email": "REX@example.com", "name": "x", "password": "another-pass-1", "role": "sales_rep"}, headers=admin, timeout=5)
    assert dup.status_code == 409 and dup.json()["error"]["code"]
    forbidden = requests.post(f"{system.api}/users", json={"email": "z@example.com", "name": "z", "password": "zzzzzzzzzz1", "role": "sales_rep"}, headers=rep_auth, timeout=5)
    assert forbidden.status_code == 403
    assert requests.get(f"{system.api}/nowhere", headers=admin, timeout=5).json()["error"]["code"] == "not_found"

    # The directory reaches every service through events (gateway outbox -> relay -> RabbitMQ -> consumers).
    started = time.monotonic()
    tables = {"leads": "reps", "sales": "owners", "service_desk": "agents", "forecast": "users", "notify": "recipients"}
    for service, table in tables.items():
        rows = eventually(lambda: system.query(service, f"SELECT id, role, manager_id, active FROM {table} WHERE id = :id", id=rep["id"]))
        assert rows and rows[0]["manager_id"] == manager["id"] and rows[0]["role"] == "sales_rep", service
        # The agent was created after the rep; its event may still be on the way (CI once read 3 here).
        assert eventually(lambda: system.query(service, f"SELECT id FROM {table} WHERE id = :id", id=agent["id"])), service
    print(f"[e2e] user directory replicated to 5 services in {time.monotonic() - started:.2f}s")
    assert len(system.query("forecast", "SELECT id FROM users")) == 4  # admin, manager, rep, agent

    # The request id is the correlation id of the event the request caused.
    bodies = [json.loads(r["body"]) for r in system.query("gateway", "SELECT body FROM outbox WHERE event_type = 'user_created'")]
    assert {"req-manager-1", "req-rep-1", "req-agent-1"} <= {b["correlation_id"] for b in bodies}

    # Deactivating the rep revokes their token at once, and the services learn of it.
    current = requests.get(f"{system.api}/users/{rep['id']}", headers=admin, timeout=5)
    r = requests.patch(f"{system.api}/users/{rep['id']}", json={"active": False}, headers={**admin, "If-Match": current.headers["ETag"]}, timeout=5)
    assert r.status_code == 200, r.text
    assert requests.get(f"{system.api}/me", headers=rep_auth, timeout=5).status_code == 401
    assert eventually(lambda: system.query("leads", "SELECT active FROM reps WHERE id = :id AND active = :f", id=rep["id"], f=False))
    assert agent["role"] == "service_agent"
