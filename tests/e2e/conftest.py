"""The running system the end-to-end flows share (started once per test session, the
way `make run` starts it, on PostgreSQL databases and a vhost of its own) and the team
that works in it: an admin, a service agent, a sales manager and a rep below them, with
service referrals routed to the rep."""
import pytest
from e2e.harness import SERVICES, System, make_team, start_system


@pytest.fixture(scope="session")
def crm(make_vhost, make_database, tmp_path_factory):
    databases = {service: make_database(f"ref_{service}") for service in (*SERVICES, "gateway")}
    with start_system(tmp_path_factory.mktemp("referral"), make_vhost("e2e-referral"), databases) as crm:
        yield crm


@pytest.fixture(scope="session")
def team(crm: System):
    return make_team(crm)
