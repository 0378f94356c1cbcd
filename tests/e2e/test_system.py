"""End to end: start the whole system the way `make run` does, talk HTTP to the gateway.

Runs twice: on the embedded SQLite databases (exactly `make run`'s default) and
on one PostgreSQL database per service. Each run has its own RabbitMQ vhost,
data directory and ports.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import text
from tandem_plumbing.db import make_engine


ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("leads", "sales", "service_desk", "forecast", "notify")
ADMIN = {"email": "admin@example.com", "password": "correct-horse-battery"}
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class System:
    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        self.url = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
        self.api = self.url + "/api/v1"

    def db_url(self, service: str) -> str:
        return self.env.get(f"{service.upper()}_DATABASE_URL") or f"sqlite:///{self.env['CRM_DATA_DIR']}/{service}.db"

    def query(self, service: str, sql: str, **params):
        engine = make_engine(self.db_url(service))
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).mappings().all()
        finally:
            engine.dispose()

    def login(self, email, password) -> dict:
        r = requests.post(f"{self.api}/auth/token", json={"email": email, "password": password}, timeout=10)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _wait_ready(system: System, proc: subprocess.Popen, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            last = requests.get(system.url + "/readyz", timeout=3)
            if last.status_code == 200:
                return last.json()
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.5)
    tail = system.log.read_text()[-6000:]
    pytest.fail(f"system not ready after {seconds}s (last: {getattr(last, 'text', last)}); log tail:\n{tail}")


@pytest.fixture(params=["sqlite", "postgresql"])
def system(request, make_vhost, make_database, tmp_path, free_port_factory):
    free_port = free_port_factory
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env.update(
        CRM_DATA_DIR=str(tmp_path / "data"),
        AMQP_URI=make_vhost(f"e2e-{request.param}"),
        GATEWAY_PORT=str(free_port()),
        CRM_ADMIN_EMAIL=ADMIN["email"],
        CRM_ADMIN_PASSWORD=ADMIN["password"],
        GATEWAY_WORKERS="2",
    )
    for service in SERVICES:
        env[f"{service.upper()}_GRPC_PORT"] = str(free_port())
    if request.param == "postgresql":
        for service in (*SERVICES, "gateway"):
            env[f"{service.upper()}_DATABASE_URL"] = make_database(f"e2e_{service}")
    log = tmp_path / "run.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    sys_ = System(env, log)
    try:
        ready = _wait_ready(sys_, proc, 180)
        print(f"\n[e2e:{request.param}] ready in {time.monotonic() - started:.1f}s: {ready}")
        yield sys_
    finally:
        _stop(proc, log)


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (honcho starts each child in a session of its own,
    so a process group says nothing)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":  # zombies are already gone
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _stop(proc: subprocess.Popen, log: Path) -> None:
    """Ctrl-C, as a user would: every process that make run started must exit."""
    started = _descendants(proc.pid)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("make run did not stop within 40 s of Ctrl-C:\n" + log.read_text()[-3000:])
    deadline = time.monotonic() + 10
    while _alive(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _alive(started)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left running after Ctrl-C: {left}"
    assert len(started) >= 12, f"expected every process of the Procfile, saw {len(started)}"


def _eventually(check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


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
        rows = _eventually(lambda: system.query(service, f"SELECT id, role, manager_id, active FROM {table} WHERE id = :id", id=rep["id"]))
        assert rows and rows[0]["manager_id"] == manager["id"] and rows[0]["role"] == "sales_rep", service
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
    assert _eventually(lambda: system.query("leads", "SELECT active FROM reps WHERE id = :id AND active = :f", id=rep["id"], f=False))
    assert agent["role"] == "service_agent"
