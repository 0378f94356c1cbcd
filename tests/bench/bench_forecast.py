#!/usr/bin/env python
"""Benchmark of the forecast read model: backfill, top-manager rollup, event-to-visible lag.

    .venv/bin/python tests/bench/bench_forecast.py [--opportunities 100000] [--rate 20] [--seconds 30]

500 users in a five-level hierarchy (1 + 4 + 16 + 64 + 415 reps) and 100,000
opportunities bulk-inserted into a sales PostgreSQL database (versions 1-5, six
currencies, close dates over 2026). Real processes: `tandem-sales grpc --with-relay`,
`tandem-forecast backfill`, `tandem-forecast grpc`, `tandem-forecast events`.
Measured:
1. backfill into an empty forecast database (rows/s), against the raw floor: reading
   the same rows with one plain SELECT;
2. the top manager's rollup through `Forecasts/GetForecast` (p50/p99), against a plain
   SELECT SUM ... GROUP BY owner, category over the quarter;
3. event-to-visible lag under a steady stream of amount changes made through the sales
   use cases (commit -> relay -> RabbitMQ -> forecast consumer -> row at that version),
   against raw pika publish-with-confirm.
PostgreSQL databases and a vhost of its own; all removed at the end. Nothing asserts.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from bench_referrals import raw_pika_confirm_rate  # noqa: E402
from common import Resources, local_infra, percentile, rate  # noqa: E402
from tandem_plumbing.testing import free_ports  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from tandem.forecast.v1 import forecast_pb2, forecast_pb2_grpc  # noqa: E402
from tandem_plumbing.db import make_engine, session_factory, transaction  # noqa: E402
from tandem_plumbing.failures import Caller  # noqa: E402
from tandem_plumbing.grpc_client import channel, check_health  # noqa: E402
from tandem_plumbing.migrations import upgrade  # noqa: E402
from tandem_plumbing.relay import configured_poll_interval  # noqa: E402
from tandem_plumbing.rpc import caller_metadata  # noqa: E402

LEVELS = (1, 4, 16, 64, 415)  # users per level; the last level are the reps
STAGES = [("Prospecting", 10, "pipeline"), ("Qualification", 20, "pipeline"), ("Proposal", 50, "best_case"),
          ("Negotiation", 80, "commit"), ("Closed Won", 100, "closed"), ("Closed Lost", 0, "omitted")]
CURRENCIES = ["USD"] * 5 + ["EUR"]
PERIOD = "2026-Q4"
POLL_SECONDS = 0.005


def hierarchy() -> list[dict]:
    users, above = [], [None]
    for level, count in enumerate(LEVELS, start=1):
        row = [{"id": f"u{level}-{i:03}", "email": f"u{level}-{i}@example.com", "name": f"User {level}-{i}",
                "role": "sales_rep" if level == len(LEVELS) else "sales_manager",
                "manager_id": above[i % len(above)], "active": True, "version": 1} for i in range(count)]
        users += row
        above = [u["id"] for u in row]
    return users


def seed_sales(url: str, users: list[dict], n: int) -> None:
    from tandem_sales.adapters.models import accounts, opportunities, owners

    engine = make_engine(url)
    rng = random.Random(42)
    now = datetime(2026, 9, 1, tzinfo=timezone.utc)
    reps = [u["id"] for u in users if u["role"] == "sales_rep"]
    with engine.begin() as conn:
        conn.execute(insert(owners), users)
        conn.execute(insert(accounts), [{"id": f"acc-{i}", "name": f"Account {i}", "owner_id": reps[i % len(reps)],
                                         "created_at": now, "updated_at": now, "version": 1} for i in range(200)])
    batch = []
    for i in range(n):
        stage, probability, category = rng.choice(STAGES)
        closed = stage.startswith("Closed")
        batch.append({
            "id": f"opp-{i:06}", "name": f"Deal {i}", "account_id": f"acc-{i % 200}", "owner_id": rng.choice(reps),
            "amount_minor": rng.randint(1_000, 50_000_000), "currency": rng.choice(CURRENCIES),
            "close_date": date(2026, 1, 1) + timedelta(days=rng.randint(0, 364)), "stage": stage,
            "probability": probability, "forecast_category": category, "forecast_category_overridden": False,
            "referrals": "[]", "is_closed": closed, "is_won": stage == "Closed Won", "closed_at": now if closed else None,
            "created_at": now, "updated_at": now, "version": rng.randint(1, 5)})
        if len(batch) == 5000:
            with engine.begin() as conn:
                conn.execute(insert(opportunities), batch)
            batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(opportunities), batch)
    engine.dispose()


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return sorted(out)


def ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 50) * 1000:7.2f} ms  p99 {percentile(values, 99) * 1000:7.2f} ms"


class LagWatcher(threading.Thread):
    """Polls the forecast read model for the versions committed in sales; records each lag."""

    def __init__(self, engine):
        super().__init__(daemon=True)
        self.engine, self.pending, self.lags = engine, {}, []
        self.lock, self.stop = threading.Lock(), threading.Event()

    def expect(self, opportunity_id: str, version: int, committed: float) -> None:
        with self.lock:
            self.pending[opportunity_id] = (version, committed)

    def run(self) -> None:
        from tandem_forecast.adapters.models import opportunities

        while not self.stop.is_set() or self.pending:
            with self.lock:
                ids = list(self.pending)
            if ids:
                with self.engine.connect() as conn:
                    seen = dict(conn.execute(select(opportunities.c.id, opportunities.c.version)
                                             .where(opportunities.c.id.in_(ids))).all())
                now = time.perf_counter()
                with self.lock:
                    for opportunity_id, version in seen.items():
                        wanted = self.pending.get(opportunity_id)
                        if wanted and version >= wanted[0]:
                            self.lags.append(now - wanted[1])
                            del self.pending[opportunity_id]
            time.sleep(POLL_SECONDS)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=20.0, help="changes per second during the lag test")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    res = Resources(local_infra())
    procs: list[subprocess.Popen] = []
    try:
        amqp = res.make_vhost()
        sales_url, sales_dsn = res.make_database("sales")
        forecast_url, forecast_dsn = res.make_database("forecast")
        upgrade(Path(__import__("tandem_sales").__file__).parent / "migrations", sales_url)
        upgrade(Path(__import__("tandem_forecast").__file__).parent / "migrations", forecast_url)
        users = hierarchy()
        print(f"# forecast benchmark: {len(users)} users in {len(LEVELS)} levels, {args.opportunities} opportunities")
        started = time.perf_counter()
        seed_sales(sales_url, users, args.opportunities)
        print(f"seeded sales in {time.perf_counter() - started:.1f} s")
        from tandem_forecast.adapters.models import users as forecast_users

        forecast_engine = make_engine(forecast_url)
        with forecast_engine.begin() as conn:
            conn.execute(insert(forecast_users), users)  # what the gateway's user events would do

        sales_port, forecast_port = free_ports(2)
        env = {**os.environ, "AMQP_URI": amqp, "SALES_DATABASE_URL": sales_url, "FORECAST_DATABASE_URL": forecast_url,
               "SALES_GRPC_PORT": str(sales_port), "FORECAST_GRPC_PORT": str(forecast_port), "LOG_LEVEL": "WARNING"}
        bin_dir = Path(sys.executable).parent
        log = open(Path(res.tmpdir) / "processes.log", "wb")

        def start(*command):
            procs.append(subprocess.Popen([str(bin_dir / command[0]), *command[1:]], env=env, stdout=log,
                                          stderr=subprocess.STDOUT))

        subprocess.run([str(bin_dir / "tandem-forecast"), "setup"], env=env, check=True, stdout=log,
                       stderr=subprocess.STDOUT)
        start("tandem-sales", "grpc", "--with-relay")
        assert wait(lambda: check_health(f"127.0.0.1:{sales_port}"), 30), "sales did not start"

        # 1. backfill
        started = time.perf_counter()
        with __import__("psycopg").connect(sales_dsn) as conn:
            raw_rows = len(conn.execute("SELECT * FROM opportunities").fetchall())
        raw_read = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([str(bin_dir / "tandem-forecast"), "backfill"], env=env, check=True, stdout=log,
                       stderr=subprocess.STDOUT)
        backfill_s = time.perf_counter() - started
        with forecast_engine.connect() as conn:
            copied = conn.execute(text("SELECT count(*) FROM opportunities")).scalar_one()
        print(f"\nbackfill: {copied} opportunities in {backfill_s:.1f} s = {rate(copied, backfill_s):,.0f} rows/s "
              f"(raw SELECT of the same rows: {rate(raw_rows, raw_read):,.0f} rows/s; "
              f"ratio {rate(raw_rows, raw_read) / rate(copied, backfill_s):.0f}x)")

        # 2. rollup
        start("tandem-forecast", "grpc")
        start("tandem-forecast", "events")
        assert wait(lambda: check_health(f"127.0.0.1:{forecast_port}"), 30), "forecast did not start"
        stub = forecast_pb2_grpc.ForecastsStub(channel(f"127.0.0.1:{forecast_port}", deadline=30))
        top = Caller(users[0]["id"], "sales_manager", "bench")
        request = forecast_pb2.GetForecastRequest(period=PERIOD)
        answer = stub.GetForecast(request, metadata=caller_metadata(top))
        for _ in range(10):  # warm up
            stub.GetForecast(request, metadata=caller_metadata(top))
        rollup = timed(lambda: stub.GetForecast(request, metadata=caller_metadata(top)), args.queries)
        with __import__("psycopg").connect(forecast_dsn) as conn:
            raw = timed(lambda: conn.execute(
                "SELECT owner_id, forecast_category, currency, SUM(amount_minor) FROM opportunities "
                "WHERE close_date BETWEEN '2026-10-01' AND '2026-12-31' GROUP BY 1, 2, 3").fetchall(), args.queries)
        print(f"\nrollup of the top manager ({PERIOD}, {len(answer.children)} direct reports, "
              f"adjusted closed {answer.adjusted.closed} {answer.currency}):")
        print(f"  Forecasts/GetForecast           {ms(rollup)}")
        print(f"  raw SELECT SUM .. GROUP BY      {ms(raw)}   (GetForecast p99 / raw p99: "
              f"{percentile(rollup, 99) / percentile(raw, 99):.1f}x)")

        # 3. lag
        from tandem_sales.use_cases import opportunities as sales_opportunities

        sales_engine = make_engine(sales_url)
        sales_sessions = session_factory(sales_engine)
        watcher = LagWatcher(forecast_engine)
        watcher.start()
        admin = Caller("bench-admin", "admin", "bench")
        from tandem_sales.adapters.models import owners

        with sales_engine.begin() as conn:
            conn.execute(insert(owners), [{"id": "bench-admin", "email": "a@example.com", "name": "Admin",
                                           "role": "admin", "manager_id": None, "active": True, "version": 1}])
        rng = random.Random(1)
        total, interval = int(args.rate * args.seconds), 1 / args.rate
        began = time.perf_counter()
        for i in range(total):
            time.sleep(max(0.0, began + i * interval - time.perf_counter()))
            opportunity_id = f"opp-{rng.randrange(args.opportunities):06}"
            with transaction(sales_sessions) as session:
                changed = sales_opportunities.update_opportunity(session, admin, opportunity_id, {
                    "amount": f"{rng.randint(10, 99999)}.00"})
            watcher.expect(opportunity_id, changed.version, time.perf_counter())
        achieved = rate(total, time.perf_counter() - began)
        watcher.stop.set()
        watcher.join(60)
        lags = sorted(watcher.lags)
        raw_publish = raw_pika_confirm_rate(amqp, 500)
        print(f"\nlag, commit in sales -> row at that version in the forecast read model "
              f"({total} changes at {achieved:.1f}/s, {len(lags)} seen, {len(watcher.pending)} not):")
        print(f"  event-to-visible                {ms(lags)}  max {lags[-1] * 1000:7.1f} ms")
        print(f"  raw pika publish with confirm   {1000 / raw_publish:7.2f} ms per message "
              f"(lag p99 / raw: {percentile(lags, 99) * raw_publish:.0f}x)")
        print(f"  (the relay polls its outbox every {configured_poll_interval() * 1000:.0f} ms,"
              f" the watcher the read model every {POLL_SECONDS * 1000:.0f} ms: both inside the figures)")
        print(f"\nfigures: {json.dumps({'backfill_rows_per_s': round(rate(copied, backfill_s)), 'rollup_p50_ms': round(percentile(rollup, 50) * 1000, 2), 'rollup_p99_ms': round(percentile(rollup, 99) * 1000, 2), 'lag_p50_ms': round(percentile(lags, 50) * 1000, 1), 'lag_p99_ms': round(percentile(lags, 99) * 1000, 1)})}")
        sales_engine.dispose()
        forecast_engine.dispose()
        return 0
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        res.close()


def wait(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
