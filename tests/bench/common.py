"""What the benchmarks share: the local servers, private resources removed at the end,
and the arithmetic of figures."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import urllib.parse
import uuid

import psycopg
from sqlalchemy.engine import make_url

from tandem_plumbing.testing import Infra, management_request


def local_infra() -> Infra:
    """The servers `tandem_plumbing.testing` uses when no Docker engine answers."""
    return Infra(
        postgres_url=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        amqp_url=os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672").rstrip("/"),
        management_url=os.environ.get("TEST_RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672").rstrip("/"),
    )


class Resources:
    """A private vhost, a temporary PostgreSQL database and a temp dir; all removed on close."""

    def __init__(self, infra: Infra) -> None:
        self.infra = infra
        self.tag = uuid.uuid4().hex[:10]
        self.vhost_quoted: str | None = None
        self.pg_names: list[str] = []
        self.tmpdir = tempfile.mkdtemp(prefix="tandem-bench-")
        admin = make_url(infra.postgres_url).set(drivername="postgresql")
        self.admin_dsn = admin.render_as_string(hide_password=False)
        self._admin = admin

    def make_vhost(self) -> str:
        vhost = f"tandem-bench-{self.tag}"
        quoted = urllib.parse.quote(vhost, safe="")
        user = urllib.parse.urlsplit(self.infra.amqp_url).username
        management_request(self.infra, "PUT", f"vhosts/{quoted}")
        self.vhost_quoted = quoted
        management_request(
            self.infra, "PUT", f"permissions/{quoted}/{user}", {"configure": ".*", "write": ".*", "read": ".*"}
        )
        return f"{self.infra.amqp_url}/{quoted}"

    def make_database(self, label: str = "main") -> tuple[str, str]:
        """Returns (SQLAlchemy URL, plain libpq DSN) of a fresh database."""
        name = f"tandem_bench_{self.tag}_{label}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.pg_names.append(name)
        return (
            self._admin.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False),
            self._admin.set(database=name).render_as_string(hide_password=False),
        )

    def close(self) -> None:
        if self.vhost_quoted:
            try:
                management_request(self.infra, "DELETE", f"vhosts/{self.vhost_quoted}")
            except Exception as exc:  # report, keep cleaning
                print(f"warning: could not delete vhost {self.vhost_quoted}: {exc}", file=sys.stderr)
        for name in self.pg_names:
            try:
                with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:
                print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


# -- 1. raw pika ----------------------------------------------------------------------


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]
