"""Starting the whole system the way `make run` does, for end-to-end tests and benchmarks.

`start_system(...)` runs `scripts/run.sh` with its own data directory, ports, RabbitMQ
vhost and (optionally) one PostgreSQL database per service, waits until `/readyz`
answers 200, and on exit stops it like Ctrl-C, checking that every process it started
is gone.

`start_processes(...)` starts the same processes with the same environment, but each
line of `deploy/Procfile` as a process of its own (after every package's `setup`), so
that a test can stop and start one of them while the rest keep running; under honcho
one process that exits stops them all.
"""
import glob
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import psycopg
import pytest
import requests
from sqlalchemy import text
from tandem_plumbing.db import make_engine
from tandem_plumbing.testing import free_port, free_ports

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy" / "Procfile"
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

    def log_tail(self) -> str:
        return self.log.read_text()[-6000:]


def make_team(system: System, sources: tuple[str, ...] = ("service_referral",)) -> dict:
    """The team the flows work with: an admin, a service agent, a sales manager and a rep
    below them, with leads of `sources` routed to the rep. Each member with `auth` headers."""
    admin = system.login(**ADMIN)

    def create(email, name, role, manager_id=None):
        body = {"email": email, "name": name, "password": "a-long-password-1", "role": role}
        if manager_id:
            body["manager_id"] = manager_id
        r = requests.post(f"{system.api}/users", json=body, headers=admin, timeout=10)
        assert r.status_code == 201, r.text
        return {**r.json(), "auth": system.login(email, "a-long-password-1")}

    agent = create("ada@example.com", "Ada Agent", "service_agent")
    manager = create("mia@example.com", "Mia Manager", "sales_manager")
    rep = create("rex@example.com", "Rex Rep", "sales_rep", manager["id"])
    # The services learn of the team through events: wait until every copy of the directory
    # has all three, so no flow asks a service that has not heard of its user yet.
    copies = {"leads": "reps", "sales": "owners", "service_desk": "agents", "forecast": "users",
              "notify": "recipients"}
    ids = [agent["id"], manager["id"], rep["id"]]
    for service, table in copies.items():
        known = eventually(lambda: len(system.query(
            service, f"SELECT id FROM {table} WHERE active AND id IN (:a, :m, :r)", a=ids[0], m=ids[1], r=ids[2])) == 3)
        assert known, f"{service}'s {table} did not learn of the team"
    rules = {"rules": [{"name": f"{' and '.join(sources)} leads to Rex", "criteria": {"source": list(sources)},
                        "assign_to": {"user_id": rep["id"]}}]}
    r = requests.put(f"{system.api}/lead-assignment-rules", json=rules, headers=admin, timeout=10)
    assert r.status_code == 200, r.text
    return {"admin": admin, "agent": agent, "manager": manager, "rep": rep}


def _wait_ready(system: System, exited: Callable[[], bool], seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if exited():
            break
        try:
            last = requests.get(system.url + "/readyz", timeout=3)
            if last.status_code == 200:
                return last.json()
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"system not ready after {seconds}s (last: {getattr(last, 'text', last)}); log tail:\n"
                f"{system.log_tail()}")


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


def _system_env(workdir: Path, amqp_uri: str, database_urls: dict[str, str] | None, extra_env: dict) -> dict:
    """make run's environment for a system of its own: data directory, vhost, databases
    and distinct free ports for the gateway and every service."""
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
    return env


@contextmanager
def start_system(
    workdir: Path, amqp_uri: str, database_urls: dict[str, str] | None = None, **extra_env: str
) -> Iterator[System]:
    """`make run` in the background on `workdir`; yields once ready, stops like Ctrl-C."""
    env = _system_env(workdir, amqp_uri, database_urls, extra_env)
    log = workdir / "run.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    system = System(env, log)
    system.pid = proc.pid
    try:
        ready = _wait_ready(system, lambda: proc.poll() is not None, 180)
        system.ready_seconds = time.monotonic() - started
        system.readiness = ready
        yield system
    finally:
        _stop(proc, log)


def procfile_commands(path: Path = PROCFILE) -> dict[str, str]:
    """The processes `make run` starts: Procfile name -> shell command, in file order."""
    commands = {}
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and not line.startswith("#"):
            commands[name.strip()] = command.strip()
    return commands


class Processes(System):
    """A system whose Procfile processes run one by one: `stop`, `start` or `restart`
    any of them while the rest keep serving. Each process logs to `logs/<name>.log`
    (appended to across restarts)."""

    def __init__(self, env: dict, workdir: Path, commands: dict[str, str]):
        super().__init__(env, workdir / "logs")
        self.commands = commands
        self.procs: dict[str, subprocess.Popen] = {}
        self.log.mkdir(parents=True, exist_ok=True)

    def log_of(self, name: str) -> Path:
        return self.log / f"{name}.log"

    def log_tail(self) -> str:
        """The end of the log of every process that is not running, else of all."""
        names = [n for n, p in self.procs.items() if p.poll() is not None] or list(self.procs)
        return "\n".join(f"--- {n}\n{self.log_of(n).read_text()[-1500:]}" for n in names)

    def running(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is None]

    def start(self, *names: str) -> None:
        for name in names:
            assert name not in self.running(), f"{name} is already running"
            with open(self.log_of(name), "ab") as out:
                # As honcho does: the Procfile line through a shell, whose `exec` makes the
                # service process itself the one that gets signals.
                self.procs[name] = subprocess.Popen(
                    ["/bin/sh", "-c", self.commands[name]], cwd=ROOT, env=self.env,
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )

    def stop(self, *names: str, timeout: float = 40.0) -> dict[str, float]:
        """SIGTERM to each (as honcho, systemd and Kubernetes send it), all at once; returns
        the seconds each took to exit. Fails unless each exits by itself, with status 0,
        within `timeout`, leaving no child behind."""
        procs = {name: self.procs[name] for name in names}
        children = {name: _descendants(proc.pid) for name, proc in procs.items()}
        started = time.monotonic()
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        took, failures = {}, []
        for name, proc in procs.items():
            try:
                code = proc.wait(max(0.1, timeout - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                code = "killed: still running"
            took[name] = time.monotonic() - started
            if code != 0:
                failures.append(f"{name} exited with {code} {took[name]:.1f}s after SIGTERM:\n"
                                f"{self.log_of(name).read_text()[-3000:]}")
        deadline = time.monotonic() + 10
        left = set().union(*children.values()) if children else set()
        while _alive(left) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in _alive(left):
            os.kill(pid, signal.SIGKILL)
            failures.append(f"process {pid} (a child) still ran after its parent stopped")
        if failures:
            pytest.fail("\n".join(failures))
        return took

    def restart(self, *names: str, down: float = 0.0) -> dict[str, float]:
        """Stop them (gracefully, see `stop`), stay down `down` seconds, start them again."""
        took = self.stop(*names)
        time.sleep(down)
        self.start(*names)
        return took


def _setup_everything(env: dict, log_dir: Path, commands: dict[str, str]) -> None:
    """`tandem-<package> setup` for every package of the Procfile, in parallel, as make run does."""
    programs = sorted({shlex.split(command.removeprefix("exec "))[0] for command in commands.values()})

    def setup(program: str) -> tuple[str, int]:
        with open(log_dir / f"{program.removeprefix('tandem-')}-setup.log", "wb") as out:
            return program, subprocess.run([program, "setup"], cwd=ROOT, env=env, stdout=out,
                                           stderr=subprocess.STDOUT).returncode

    with ThreadPoolExecutor(len(programs)) as pool:
        failed = [program for program, code in pool.map(setup, programs) if code != 0]
    if failed:
        tails = "\n".join((log_dir / f"{p.removeprefix('tandem-')}-setup.log").read_text()[-2000:] for p in failed)
        pytest.fail(f"setup failed for {failed}:\n{tails}")


@contextmanager
def start_processes(
    workdir: Path, amqp_uri: str, database_urls: dict[str, str] | None = None, names: list[str] | None = None,
    **extra_env: str,
) -> Iterator[Processes]:
    """What `make run` does (the same environment, every package's `setup`, then the
    Procfile's processes, or only `names`), but each process on its own; yields once
    `/readyz` answers 200, then stops every process still running with SIGTERM and
    fails unless each exits cleanly."""
    env = _system_env(workdir, amqp_uri, database_urls, extra_env)
    # As run.sh: the venv's commands first, unbuffered output, one shared service token.
    env.update(PATH=f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONUNBUFFERED="1")
    env.setdefault("SERVICE_TOKEN", secrets.token_urlsafe(48))
    Path(env["CRM_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    commands = procfile_commands()
    system = Processes(env, workdir, commands)
    started = time.monotonic()
    _setup_everything(env, system.log, commands)
    try:
        system.start(*(names or commands))
        ready = _wait_ready(system, lambda: len(system.running()) < len(system.procs), 180)
        system.ready_seconds = time.monotonic() - started
        system.readiness = ready
        yield system
    finally:
        system.stop(*system.running())


def _postgres_program(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return shutil.which(name) or (found[-1] if found else None)


@contextmanager
def private_postgres() -> Iterator[Callable[[str], str] | None]:
    """A PostgreSQL cluster of the caller's own (initdb into a temporary directory, its
    own port, stopped and removed at the end); yields `make_database(label) -> URL`, or
    None where initdb is not installed. A whole system under load holds ~45 connections:
    on a shared server (100 by default) it competes with every other test for them."""
    initdb, pg_ctl = _postgres_program("initdb"), _postgres_program("pg_ctl")
    if not (initdb and pg_ctl):
        yield None
        return
    # initdb refuses to run as root: then the cluster belongs to the postgres user.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = Path(tempfile.mkdtemp(prefix="tandem-pg-"))
    if as_user:
        shutil.chown(data, "postgres")
    port = free_port()
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data} -c max_connections=200 "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True)
        if done.returncode:
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    try:
        run(initdb, "-D", str(data / "db"), "-U", "postgres", "-A", "trust")
        run(pg_ctl, "-D", str(data / "db"), "-l", str(data / "log"), "-o", options, "-w", "start")
        admin = f"postgresql://postgres@127.0.0.1:{port}"

        def make_database(label: str) -> str:
            with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{label}"')
            return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{label}"

        yield make_database
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data / "db"), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
