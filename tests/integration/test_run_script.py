"""`ensure_broker` from scripts/lib.sh (used by `make run`), run for real in bash.

Each case runs `bash -c 'source scripts/lib.sh && ensure_broker'` with an environment
built from scratch (nothing leaks in from the caller's AMQP_URI or RABBITMQ_* vars).

The case that lets the script start RabbitMQ points AMQP_URI at a free port and gives
the node its own name, ports, data/log dirs, pid file and empty configuration, so the
`rabbitmq-server -detached` the script runs starts a PRIVATE node. It is stopped by the
pid in its own pid file. The shared broker on 127.0.0.1:5672 is never stopped or
restarted (docs: architecture.md, Tests).

Debian's /usr/sbin/rabbitmq-server, run as root, switches to the `rabbitmq` user with
`su` (which keeps the environment but resets HOME), so the private node's directory is
owned by that user.

Run: cd /work/main && .venv/bin/pytest -p no:pytest_nameko tests/integration/test_run_script.py -s
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from tandem_plumbing.testing import free_port, free_ports

ROOT = Path(__file__).resolve().parents[2]
BASH = shutil.which("bash") or "/bin/bash"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHARED_BROKER = ("127.0.0.1", 5672)
INSTALL_HINT = "apt-get install -y rabbitmq-server"

START_TIMEOUT = 40.0  # the whole `ensure_broker` call that starts a node
STOP_TIMEOUT = 15.0  # SIGTERM -> exit of the private node


# -- helpers ---------------------------------------------------------------------------
def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Result:
    returncode: int | None  # None: cut off by the timeout
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        status = "no exit (killed)" if self.returncode is None else f"exit {self.returncode}"
        return (f"{status} after {self.seconds:.1f}s\n"
                f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")


def base_env(home: Path, path: str) -> dict[str, str]:
    return {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8", "TERM": "dumb"}


def run_ensure_broker(env: dict[str, str], out_dir: Path, timeout: float,
                      context=lambda: "") -> Result:
    """Runs the function; output goes to files, not pipes, so a detached broker that
    kept an inherited descriptor could not make us wait for EOF."""
    out, err = out_dir / "ensure_broker.out", out_dir / "ensure_broker.err"
    started = time.monotonic()
    with open(out, "wb") as fo, open(err, "wb") as fe:
        try:
            proc = subprocess.run(
                [BASH, "-c", "source scripts/lib.sh && ensure_broker"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                timeout=timeout,
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = None
    result = Result(code, out.read_text(errors="replace"),
                    err.read_text(errors="replace"), time.monotonic() - started)
    if code is None:
        pytest.fail(f"ensure_broker did not return within {timeout:.0f}s\n{result.describe()}\n{context()}")
    return result


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")  # a zombie has exited


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def processes_with(marker: str) -> dict[int, str]:
    """Live processes whose environment holds `marker` (our node's unique name): its
    beam, erl_child_setup, inet_gethost, and an epmd only if it started one itself."""
    needle = b"\0" + marker.encode() + b"\0"
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            pid = int(entry.name)
            if needle in b"\0" + _environ(pid) + b"\0" and _alive(pid):
                found[pid] = _comm(pid)
    return found


def _wait_gone(pids, seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    left = {p for p in pids if _alive(p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = {p for p in left if _alive(p)}
    return left


class PrivateNodeSettings:
    """RABBITMQ_* variables for a node of our own, in a temp dir the node's user can write."""

    def __init__(self) -> None:
        self.port, self.dist_port = free_ports(2)
        self.nodename = f"tandem-runsh-{uuid.uuid4().hex[:8]}@localhost"
        self.marker = f"RABBITMQ_NODENAME={self.nodename}"
        # Not pytest's tmp_path: /tmp/pytest-of-root is 0700 and the wrapper's `rabbitmq`
        # user could not even reach it.
        self.base = Path(tempfile.mkdtemp(prefix="tandem-runsh-rabbit-"))
        self.pid_file = self.base / "rabbit.pid"
        (self.base / "enabled_plugins").write_text("[].\n")  # no management listener on 15672
        (self.base / "rabbitmq.conf").write_text("")  # /etc/rabbitmq/rabbitmq.conf says 5672
        (self.base / "rabbitmq-env.conf").write_text("")  # /etc's says NODENAME=rabbit@localhost
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("rabbitmq")
            except KeyError:
                user = None
            if user is not None:  # Debian's wrapper runs the node as `rabbitmq`
                for path in [self.base, *self.base.rglob("*")]:
                    os.chown(path, user.pw_uid, user.pw_gid)
        self.env = {
            "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{self.port}/",
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def pid_from_file(self) -> int | None:
        try:
            return int(self.pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> dict[int, str]:
        """Stops our node by its own pid; returns what was still left afterwards (and then
        killed). Never signals a process that does not carry our node's name."""
        pid = self.pid_from_file()
        ours = processes_with(self.marker)
        if pid is not None and pid not in ours:
            pid = None  # not (or no longer) our node: never signal a reused pid
        if pid is None:  # e.g. it died before writing the pid file: its beam, by name
            pid = next((p for p, name in ours.items() if name.startswith("beam")), None)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)  # graceful stop of our node only
            if _wait_gone([pid], STOP_TIMEOUT):
                print(f"[private node] pid {pid} ignored SIGTERM for {STOP_TIMEOUT:.0f}s: SIGKILL")
                os.kill(pid, signal.SIGKILL)
                _wait_gone([pid], 5)
        # erl_child_setup / inet_gethost die with the beam; give them a moment.
        leftovers = processes_with(self.marker)
        leftovers = {p: n for p, n in leftovers.items() if p in _wait_gone(leftovers, 5)}
        for p in leftovers:  # includes an epmd our node started itself (the shared one lacks the marker)
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _wait_gone(leftovers, 5)
        return leftovers

    def log_tail(self, lines: int = 25) -> str:
        chunks = []
        for log in sorted((self.base / "log").glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            chunks.append(f"--- {log.name} ---\n" + "\n".join(text))
        return "\n".join(chunks) or "(no node log)"

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


# -- tests -----------------------------------------------------------------------------
def test_starts_a_broker_when_none_answers_and_one_is_installed(tmp_path):
    server = shutil.which("rabbitmq-server", path=SYSTEM_PATH)
    if server is None:
        pytest.skip(f"rabbitmq-server is not installed here ({INSTALL_HINT})")
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != "rabbitmq":
        pytest.skip("Debian's rabbitmq-server wrapper runs only as root or rabbitmq")
    import pika

    shared_up_before = port_open(*SHARED_BROKER)
    node = PrivateNodeSettings()
    assert not port_open("127.0.0.1", node.port), f"port {node.port} was meant to be free"
    env = {**base_env(tmp_path, SYSTEM_PATH), **node.env}
    leftovers: dict[int, str] = {}
    try:
        result = run_ensure_broker(env, tmp_path, START_TIMEOUT, context=node.log_tail)
        print(f"\n[start] ensure_broker started {node.nodename} on :{node.port} "
              f"in {result.seconds:.1f}s (exit {result.returncode})")
        assert result.returncode == 0, f"{result.describe()}\n{node.log_tail()}"
        assert "starting RabbitMQ" in result.stderr, result.describe()

        pid = node.pid_from_file()
        assert pid is not None, f"no pid in {node.pid_file}\n{node.log_tail()}"
        assert pid in processes_with(node.marker), f"pid {pid} from the pid file is not our node"

        t0 = time.monotonic()
        params = pika.URLParameters(
            f"amqp://guest:guest@127.0.0.1:{node.port}/%2F?connection_attempts=1&socket_timeout=5")
        connection = pika.BlockingConnection(params)
        try:
            channel = connection.channel()
            queue = channel.queue_declare("", exclusive=True).method.queue
            channel.basic_publish("", queue, b"ping")
            method, _, body = channel.basic_get(queue, auto_ack=True)
            assert body == b"ping"
        finally:
            connection.close()
        print(f"[start] pika round trip on :{node.port} in {time.monotonic() - t0:.2f}s")
    finally:
        t0 = time.monotonic()
        leftovers = node.stop()
        print(f"[start] private node stopped in {time.monotonic() - t0:.1f}s")
        if not leftovers:
            node.remove()  # kept for a post-mortem otherwise
    assert not leftovers, f"processes of {node.nodename} outlived its beam (killed now): {leftovers}; dir {node.base}"
    assert not port_open("127.0.0.1", node.port), f"something still listens on :{node.port}"
    if shared_up_before:
        assert port_open(*SHARED_BROKER), "the shared broker on 127.0.0.1:5672 went away"


def test_says_how_to_install_one_when_none_answers_and_none_is_installed(tmp_path):
    # A PATH of only the tools lib.sh's ensure_broker needs: no rabbitmq-server, no sudo.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "python3", "dirname", "sleep"):
        real = shutil.which(tool, path=SYSTEM_PATH)
        assert real, f"{tool} is needed to run lib.sh"
        (bin_dir / tool).symlink_to(real)
    assert shutil.which("rabbitmq-server", path=str(bin_dir)) is None
    port = free_port()
    env = {**base_env(tmp_path, str(bin_dir)), "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{port}/"}

    result = run_ensure_broker(env, tmp_path, 20)
    print(f"\n[missing] exit {result.returncode} in {result.seconds:.2f}s: {result.stderr.strip()!r}")
    assert result.returncode != 0, result.describe()
    assert INSTALL_HINT in result.stderr, result.describe()
    assert f"127.0.0.1:{port}" in result.stderr, result.describe()
    assert result.seconds < 10, result.describe()
    assert not port_open("127.0.0.1", port)


def test_returns_at_once_when_a_broker_answers(tmp_path):
    if not port_open(*SHARED_BROKER):
        pytest.skip("the shared broker on 127.0.0.1:5672 is not running "
                    "(it is started before each session: rabbitmq-server -detached)")
    # rabbitmq-server and sudo stubs first on PATH: they only record that they were run.
    stubs, called = tmp_path / "stubs", tmp_path / "called"
    stubs.mkdir()
    for name in ("rabbitmq-server", "sudo"):
        stub = stubs / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{called}"\nexit 1\n')
        stub.chmod(0o755)
    env = {**base_env(tmp_path, f"{stubs}:{SYSTEM_PATH}"),
           "AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/"}

    result = run_ensure_broker(env, tmp_path, 20)
    print(f"\n[running] exit {result.returncode} in {result.seconds:.2f}s")
    assert result.returncode == 0, result.describe()
    assert not called.exists(), f"ensure_broker ran {called.read_text()!r} although a broker answered"
    assert "starting RabbitMQ" not in result.stderr, result.describe()
    assert result.seconds < 5, result.describe()

