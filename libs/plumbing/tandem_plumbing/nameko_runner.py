"""Run one nameko service in this (already monkey-patched) process until SIGTERM
(a second SIGTERM/SIGINT kills it without waiting for running workers)."""
from __future__ import annotations

import logging
import os
import signal
import sys

import eventlet
from eventlet import patcher
from nameko.runners import ServiceRunner

from .settings import amqp_uri, env_int

log = logging.getLogger(__name__)


def nameko_config() -> dict:
    return {"AMQP_URI": amqp_uri(), "max_workers": env_int("NAMEKO_MAX_WORKERS", 10)}


def check_green() -> None:
    """Refuse to run where one blocking call would stall every worker."""
    if not patcher.is_monkey_patched("socket"):
        raise RuntimeError("call eventlet.monkey_patch() before importing anything else")
    waiting = sys.modules.get("psycopg.waiting")
    if waiting is not None and waiting.wait is not waiting.wait_select:
        raise RuntimeError("psycopg was imported before PSYCOPG_WAIT_FUNC=wait_select was set")
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")  # for a later import


def run_service(service_cls) -> None:
    check_green()
    runner = ServiceRunner(nameko_config())
    runner.add_service(service_cls)
    signals = []

    def shutdown(signum, _frame):
        signals.append(signum)
        if len(signals) == 1:
            log.info("signal %s: stopping consumers (again to kill)", signum)
            eventlet.spawn_n(runner.stop)  # never block inside a signal handler
        else:
            log.warning("signal %s: killing consumers", signum)
            eventlet.spawn_n(runner.kill)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    log.info("consuming events as %s", service_cls.name)
    runner.wait()
