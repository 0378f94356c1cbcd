"""A private RabbitMQ node for tests that stop or restart the broker.

Never touch the shared broker (127.0.0.1:5672): every other test and process on
the machine depends on it. This node has its own name, ports, data and log
directories, Erlang cookie (HOME) and an empty configuration (the machine's
/etc/rabbitmq would otherwise make it listen on 5672 too), and is stopped by its
own pid. Its data directory survives `restart()`, so durable queues and
persistent messages do too.

    node = PrivateRabbit(tmp_path)
    node.start()
    ... node.amqp_uri ...
    node.restart()
    node.stop()  # always, e.g. in a finally or a fixture
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from tandem_plumbing.testing import free_port

# Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user when run as
# root, who cannot write our temp dirs; the script it wraps runs as anyone.
_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server", shutil.which("rabbitmq-server") or "")


def rabbitmq_server_path() -> str | None:
    for path in _CANDIDATES:
        if path and os.access(path, os.X_OK):
            return path
    return None


class PrivateRabbit:
    def __init__(self, base_dir: Path, start_timeout: float = 60.0) -> None:
        self.base = Path(base_dir)
        self.base.mkdir(parents=True, exist_ok=True)
        self.start_timeout = start_timeout
        self.nodename = f"tandem-test-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self.proc: subprocess.Popen | None = None
        self._log = None
        (self.base / "enabled_plugins").write_text("[].\n")  # no management listener on 15672
        (self.base / "rabbitmq.conf").write_text("")  # nothing from /etc/rabbitmq/rabbitmq.conf
        (self.base / "rabbitmq-env.conf").write_text("")  # nor its NODENAME
        self.env = {
            **os.environ,
            "HOME": str(self.base),  # own Erlang cookie, created on first start
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbit.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> float:
        """Start the node and wait until an AMQP connection works; returns seconds taken."""
        server = rabbitmq_server_path()
        if server is None:
            raise RuntimeError("rabbitmq-server is not installed (apt-get install -y rabbitmq-server)")
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"{self.nodename} is already running")
        started = time.monotonic()
        self._log = open(self.base / "server.out", "ab")
        # Its own session: the node's whole process tree can be killed by our own pgid.
        self.proc = subprocess.Popen(
            [server], env=self.env, cwd=self.base, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._wait_until_up(started + self.start_timeout)
        return time.monotonic() - started

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful stop (SIGTERM to our own node); killed if it does not exit in time."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the wrapper script stops the VM and waits for it
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_group(proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> float:
        """Stop, then start on the same data directory; returns the downtime in seconds."""
        down = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - down

    # -- helpers ---------------------------------------------------------------------
    def _wait_until_up(self, deadline: float) -> None:
        import pika  # only needed here; keeps the module cheap to import

        params = pika.URLParameters(self.amqp_uri + "?connection_attempts=1&socket_timeout=2")
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.nodename} exited with {self.proc.returncode}:\n{self.output_tail()}")
            try:
                pika.BlockingConnection(params).close()
                return
            except Exception as exc:  # not listening yet, or still booting
                last_error = exc
                time.sleep(0.2)
        self.stop(timeout=5)
        raise TimeoutError(
            f"private RabbitMQ {self.nodename} not up after {self.start_timeout:.0f}s ({last_error!r}):\n"
            f"{self.output_tail()}"
        )

    def _kill_group(self, proc: subprocess.Popen) -> None:
        # The node's processes (wrapper, beam, erl_child_setup, inet_gethost) share
        # the session we created: its pgid is the wrapper's pid, not yet reaped here.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def output_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.base / "server.out").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"
