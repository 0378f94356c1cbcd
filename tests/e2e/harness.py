"""Starting the whole system the way `make run` does, for end-to-end tests and benchmarks.

`start_system(...)` runs `scripts/run.sh` with its own data directory, ports, RabbitMQ
vhost and (optionally) one PostgreSQL database per service, waits until `/readyz`
answers 200, and on exit stops it like Ctrl-C, checking that every process it started
is gone.
"""
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import text
from tandem_plumbing.db import make_engine
from tandem_plumbing.testing import free_ports

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("leads", "sales", "service_desk", "forecast", "notify")
ADMIN = {"email": "admin@example.com", "password": "correct-horse-battery"}


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


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU time (user + system) so far of every process below `pid`, by command line."""
    tick = os.sysconf("SC_CLK_TCK")
    usage: dict[str, float] = {}
    for child in _descendants(pid):
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        name = " ".join(word.rsplit("/", 1)[-1] for word in command.split()[1:4]) or command
        usage[name] = usage.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return usage


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


def eventually(check, seconds: float = 10.0, interval: float = 0.1):
    """Call `check` until it returns something truthy or time runs out; return the last result."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


@contextmanager
def start_system(
    workdir: Path, amqp_uri: str, database_urls: dict[str, str] | None = None, **extra_env: str
) -> Iterator[System]:
    """`make run` in the background on `workdir`; yields once ready, stops like Ctrl-C."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    ports = free_ports(1 + len(SERVICES))  # the gateway's and every service's, all distinct
    env.update(
        CRM_DATA_DIR=str(workdir / "data"),
        AMQP_URI=amqp_uri,
        GATEWAY_PORT=str(ports.pop()),
        CRM_ADMIN_EMAIL=ADMIN["email"],
        CRM_ADMIN_PASSWORD=ADMIN["password"],
        GATEWAY_WORKERS="2",
        **extra_env,
    )
    for service in SERVICES:
        env[f"{service.upper()}_GRPC_PORT"] = str(ports.pop())
    for service, url in (database_urls or {}).items():
        env[f"{service.upper()}_DATABASE_URL"] = url
    log = workdir / "run.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    system = System(env, log)
    system.pid = proc.pid
    try:
        ready = _wait_ready(system, proc, 180)
        system.ready_seconds = time.monotonic() - started
        system.readiness = ready
        yield system
    finally:
        _stop(proc, log)
