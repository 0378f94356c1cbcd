"""Run one nameko service in this (already monkey-patched) process until SIGTERM."""
from __future__ import annotations

import logging
import signal

import eventlet
from nameko.runners import ServiceRunner

from .settings import amqp_uri, env_int

log = logging.getLogger(__name__)


def nameko_config() -> dict:
    return {"AMQP_URI": amqp_uri(), "max_workers": env_int("NAMEKO_MAX_WORKERS", 10)}


def run_service(service_cls) -> None:
    runner = ServiceRunner(nameko_config())
    runner.add_service(service_cls)

    def shutdown(signum, _frame):
        log.info("signal %s: stopping consumers", signum)
        eventlet.spawn_n(runner.stop)  # never block inside a signal handler

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    runner.start()
    log.info("consuming events as %s", service_cls.name)
    runner.wait()
