"""`tandem-forecast backfill`: fill the read model from sales, then let events follow.

Run by hand, or started beside the events process (cli.py) with `--if-needed`: then
it does nothing once a backfill finished, and runs (again) when none did (a fresh
deployment, or one interrupted). Sales not answering yet (every process of `make run`
starts at once) is waited for, up to FORECAST_BACKFILL_WAIT_SECONDS.
"""
from __future__ import annotations

import logging
import time

from tandem_plumbing.consumer import declare_queues
from tandem_plumbing.db import make_engine, session_factory
from tandem_plumbing.failures import ServiceUnavailable
from tandem_plumbing.settings import amqp_uri, database_url, env_float, env_int, grpc_addr

from ..use_cases import backfill
from .events import ForecastEvents
from .sales_stream import opportunity_snapshots

log = logging.getLogger(__name__)
RETRY_PAUSE_S = 2.0


def run(if_needed: bool) -> int:
    engine = make_engine(database_url("forecast"))
    sessions = session_factory(engine)
    try:
        with sessions() as session:
            if if_needed and not backfill.needed(session):
                log.info("backfill: done before; nothing to do")
                return 0
        # Before the first opportunity is read: from now on every change waits as an event.
        declare_queues(ForecastEvents, amqp_uri())
        deadline = time.monotonic() + env_float("FORECAST_BACKFILL_WAIT_SECONDS", 300)
        while True:
            try:
                started = time.monotonic()
                count = backfill.run_backfill(sessions, opportunity_snapshots(
                    grpc_addr("sales"), timeout=env_float("FORECAST_BACKFILL_TIMEOUT_SECONDS", 3600),
                    page_size=env_int("FORECAST_BACKFILL_PAGE_SIZE", 0)))
                log.info("backfill: %d opportunities in %.1f s", count, time.monotonic() - started)
                return 0
            except ServiceUnavailable as exc:
                if time.monotonic() > deadline:
                    log.error("backfill: gave up, %s; run `tandem-forecast backfill` when it answers", exc)
                    return 1
                log.warning("backfill: %s; trying again in %.0f s", exc, RETRY_PAUSE_S)
                time.sleep(RETRY_PAUSE_S)
    finally:
        engine.dispose()
