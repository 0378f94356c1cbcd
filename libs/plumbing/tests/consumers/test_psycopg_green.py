"""psycopg 3 in an eventlet process: queries wait greenly, so workers overlap."""
import sys
import time

import eventlet
from sqlalchemy import text

from tandem_plumbing.db import make_engine


def test_parallel_pg_sleeps_overlap(make_database, capsys):
    waiting = sys.modules["psycopg.waiting"]
    engine = make_engine(make_database("green"), pool_size=5)
    try:
        with engine.connect() as conn:  # warm the pool's first connection outside the timing
            conn.execute(text("SELECT 1"))

        def sleep_in_pg():
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(0.5)"))

        started = time.monotonic()
        pool = eventlet.GreenPool(5)
        for _ in range(5):
            pool.spawn(sleep_in_pg)
        pool.waitall()
        elapsed = time.monotonic() - started
    finally:
        engine.dispose()
    with capsys.disabled():
        print(f"\n[psycopg green] wait function={waiting.wait.__name__}; "
              f"5 parallel pg_sleep(0.5) took {elapsed:.2f}s (serial would be 2.5s)")
    assert waiting.wait is waiting.wait_select
    assert elapsed < 1.5
