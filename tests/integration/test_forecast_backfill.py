"""A fresh forecast deployment fills itself from sales and then follows its events, with
no gap and no double count, while opportunities keep changing.

Real parts: a sales gRPC server and outbox relay on sales' own PostgreSQL database,
RabbitMQ, and `tandem-forecast events` as its own process (which starts the backfill
beside its consumers, as in production). Changes are made through the sales use cases
before, during and after the stream; at the end every opportunity in the read model has
exactly sales' id, version and amount."""
import os
import random
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select, update
from tandem_plumbing.consumer import declare_queues
from tandem_plumbing.failures import Caller
from tandem_plumbing.grpc_server import build_server
from tandem_plumbing.relay import OutboxRelay
from tandem_plumbing.testing import ServiceDb, free_port, wait_for

N = 600  # opportunities sales has before the forecast is deployed


def sales_state(sales):
    from tandem_sales.adapters.models import opportunities

    with sales.engine.connect() as conn:
        return sorted(conn.execute(select(opportunities.c.id, opportunities.c.version,
                                          opportunities.c.amount_minor)).all())


def forecast_state(forecast):
    from tandem_forecast.adapters.models import opportunities

    with forecast.engine.connect() as conn:
        return sorted(conn.execute(select(opportunities.c.id, opportunities.c.version,
                                          opportunities.c.amount_minor)).all())


def backfill_status(forecast):
    from tandem_forecast.use_cases import backfill

    with forecast.sessions() as session:
        return backfill.status(session)


class Changes(threading.Thread):
    """Amount and stage changes and new opportunities, through the sales use cases, until stopped;
    notes the backfill's status at each commit."""

    def __init__(self, sales, forecast, caller, account_id, ids):
        super().__init__(daemon=True)
        self.sales, self.forecast, self.caller, self.account_id = sales, forecast, caller, account_id
        self.ids, self.stop, self.seen, self.error = list(ids), threading.Event(), [], None

    def run(self):
        from tandem_sales.use_cases import opportunities

        rng = random.Random(7)
        try:
            while not self.stop.is_set():
                if rng.random() < 0.2:
                    made = self.sales.run(opportunities.create_opportunity, self.caller, {
                        "name": "new during backfill", "account_id": self.account_id, "amount": "5.00"})
                    self.ids.append(made.id)
                else:
                    self.sales.run(opportunities.update_opportunity, self.caller, rng.choice(self.ids),
                                   {"amount": f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02}"})
                self.seen.append(backfill_status(self.forecast))
                time.sleep(0.005)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


@pytest.mark.slow
def test_backfill_while_changes_flow_ends_in_sales_state_exactly(make_database, vhost_uri, tmp_path):
    from tandem_sales.adapters.grpc_server import register
    from tandem_sales.adapters.models import outbox
    from tandem_sales.use_cases import customers, opportunities

    from tandem_forecast.adapters.events import ForecastEvents

    sales = ServiceDb("tandem_sales", make_database("sales"), directory="owners")
    forecast = ServiceDb("tandem_forecast", make_database("forecast"), directory="users")
    rep = sales.user("rep1", "sales_rep")
    account = sales.run(customers.create_account, rep, {"name": "Acme"})
    ids = [sales.run(opportunities.create_opportunity, rep, {
        "name": f"deal {i}", "account_id": account.id, "amount": f"{i}.50"}).id for i in range(N)]
    with sales.engine.begin() as conn:  # history from before the forecast existed: nobody was listening
        conn.execute(update(outbox).values(status="unroutable"))

    addr = f"127.0.0.1:{free_port()}"
    server, _health = build_server(addr, lambda s: register(s, sales.engine))
    relay = OutboxRelay(sales.engine, "sales", vhost_uri, poll_interval=0.02)
    relay_thread = threading.Thread(target=relay.run_forever, daemon=True)
    declare_queues(ForecastEvents, vhost_uri)  # `tandem-forecast setup`
    relay_thread.start()
    changes = Changes(sales, forecast, Caller("admin", "admin"), account.id, ids)
    sales.user("admin", "admin")
    env = {**os.environ, "FORECAST_DATABASE_URL": forecast.url, "AMQP_URI": vhost_uri, "SALES_GRPC_ADDR": addr,
           "FORECAST_BACKFILL_PAGE_SIZE": "10", "LOG_LEVEL": "INFO"}
    log = tmp_path / "forecast-events.log"
    with open(log, "wb") as out:
        events = subprocess.Popen([sys.executable, "-m", "tandem_forecast.cli", "events"], env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        changes.start()
        wait_for(lambda: backfill_status(forecast) == "done", 120, "the backfill")
        time.sleep(0.5)  # and a few changes after it
        changes.stop.set()
        changes.join(10)
        assert changes.error is None, changes.error
        during = changes.seen.count("running")
        assert during > 0, f"no change was made while the stream ran: {changes.seen[:5]}"
        expected = sales_state(sales)
        wait_for(lambda: forecast_state(forecast) == expected, 60, "the read model to equal sales")
    finally:
        events.terminate()
        events.wait(20)
        relay.stop()
        relay_thread.join(10)
        server.stop(0)
    assert len(expected) == len(changes.ids) > N
    with forecast.engine.connect() as conn:
        from tandem_forecast.adapters.models import backfill

        assert conn.execute(select(backfill.c.count)).scalar_one() >= N
    print(f"\n{len(changes.seen)} changes, {during} while the backfill ran; {len(expected)} opportunities match")
    sales.dispose()
    forecast.dispose()
