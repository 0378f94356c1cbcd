"""The running system the end-to-end flows share (started once per test session, the
way `make run` starts it, on PostgreSQL databases and a vhost of its own) and the team
that works in it: an admin, a service agent, a sales manager and a rep below them, with
service referrals routed to the rep."""
import pytest
import requests
from e2e.harness import ADMIN, SERVICES, System, eventually, start_system


@pytest.fixture(scope="session")
def crm(make_vhost, make_database, tmp_path_factory):
    databases = {service: make_database(f"ref_{service}") for service in (*SERVICES, "gateway")}
    with start_system(tmp_path_factory.mktemp("referral"), make_vhost("e2e-referral"), databases) as crm:
        yield crm


@pytest.fixture(scope="session")
def team(crm: System):
    admin = crm.login(**ADMIN)

    def create(email, name, role, manager_id=None):
        body = {"email": email, "name": name, "password": "a-long-password-1", "role": role}
        if manager_id:
            body["manager_id"] = manager_id
        r = requests.post(f"{crm.api}/users", json=body, headers=admin, timeout=10)
        assert r.status_code == 201, r.text
        return r.json()

    agent = create("ada@example.com", "Ada Agent", "service_agent")
    manager = create("mia@example.com", "Mia Manager", "sales_manager")
    rep = create("rex@example.com", "Rex Rep", "sales_rep", manager["id"])
    # The services learn of the team through events; leads must know the rep to assign.
    assert eventually(lambda: crm.query("leads", "SELECT id FROM reps WHERE id = :id AND active", id=rep["id"]))
    rules = {"rules": [{"name": "service referrals to Rex", "criteria": {"source": ["service_referral"]},
                        "assign_to": {"user_id": rep["id"]}}]}
    r = requests.put(f"{crm.api}/lead-assignment-rules", json=rules, headers=admin, timeout=10)
    assert r.status_code == 200, r.text
    return {
        "admin": admin,
        "agent": {**agent, "auth": crm.login("ada@example.com", "a-long-password-1")},
        "manager": {**manager, "auth": crm.login("mia@example.com", "a-long-password-1")},
        "rep": {**rep, "auth": crm.login("rex@example.com", "a-long-password-1")},
    }
