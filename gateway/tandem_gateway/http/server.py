"""Serving the app with gunicorn: gthread workers (never eventlet or gevent: grpcio
and psycopg block under them)."""
from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication
from tandem_plumbing.settings import env_int

from . import telemetry
from .app import create_app

# Who, what, how it went, how long, and the id that ties it to logs and events.
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'


def gunicorn_options() -> dict[str, Any]:
    return {
        "bind": f"0.0.0.0:{env_int('GATEWAY_PORT', 8080)}",
        "worker_class": "gthread",
        "workers": env_int("GATEWAY_WORKERS", 2),
        "threads": env_int("GATEWAY_THREADS", 8),
        "timeout": env_int("GATEWAY_TIMEOUT", 30),
        "graceful_timeout": env_int("GATEWAY_GRACEFUL_TIMEOUT", 20),
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "proc_name": "tandem-gateway",
        # gunicorn >= 25.1 otherwise opens one control socket per user (~/.gunicorn),
        # which a second gateway on the same machine would fight over.
        "control_socket_disable": True,
        **telemetry.gunicorn_options(),  # the workers' /metrics, JSON logs
    }


class GatewayServer(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app()  # in each worker, after the fork: engines and pools are per process


def serve() -> None:
    GatewayServer(gunicorn_options()).run()
