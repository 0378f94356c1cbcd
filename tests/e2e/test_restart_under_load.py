"""Upgrades without breakage (issue 7, point 5): one service's processes restart under
steady load, and no event is lost and no request fails beyond the client's retry.

Every process of `deploy/Procfile` runs on its own (`start_processes`: honcho would stop
them all when one exits), on PostgreSQL databases and a vhost of this test's own. A
service agent refers upsells from support cases and a rep enters leads over HTTP, at a
fixed rate, through a client that retries a 502/503/504, a connection error or a timeout
with the same `Idempotency-Key` (bounded, backing off), as a well-behaved client does. Mid-way
leads' gRPC server (with its outbox relay) and events consumer get SIGTERM, stay down a
while and start again, as a rolling upgrade does to them; later notify's, then the
gateway's (the API and its relay: clients meet refused connections).

Then: every request succeeded in the end (retries counted and printed); every referral
became exactly one lead, assigned, and the referral on the case says `assigned`; every
lead entered is there exactly once; each owner and agent has exactly one notification per
lead and referral; no message waits, is retried or parked in any queue; every outbox is
published.
"""
from __future__ import annotations

import time
import urllib.parse
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests
from e2e.harness import SERVICES, Processes, eventually, make_team, private_postgres, start_processes
from e2e.flows import open_case
from tandem_plumbing.testing import EventPublisher, management_request

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RATE = 10  # requests a second: referrals and lead entries, alternating
SECONDS = 30
# (seconds into the load, the processes restarted together, seconds they stay down)
RESTARTS = [(8.0, ("leads-grpc", "leads-events"), 2.0), (17.0, ("notify-grpc", "notify-events"), 1.0),
            (23.0, ("gateway", "gateway-relay"), 1.0)]
# The event types of these flows: each one has a consumer, so none may be unroutable.
FLOW_EVENTS = ("referral_submitted", "referral_status_changed", "lead_created", "lead_referral_attached",
               "lead_assigned", "user_created", "user_changed")


@dataclass
class Outcome:
    status: int | str | None = None
    body: dict = field(default_factory=dict)
    replayed: bool = False  # the answer came from the Idempotency-Key: an earlier attempt created
    failures: list[tuple[float, str]] = field(default_factory=list)  # when, and what, each retried attempt met

    @property
    def attempts(self) -> int:
        return len(self.failures) + 1


def post_with_retry(url: str, body: dict, headers: dict, give_up_after: float = 60.0) -> Outcome:
    """POST with an Idempotency-Key; a 502/503/504, a connection error or a timeout is tried
    again with the same key, waiting 0.25 s, doubling to 2 s, for at most `give_up_after`
    seconds. (A timed-out POST may have created: the key makes its retry answer that.)"""
    headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    outcome, wait, deadline = Outcome(), 0.25, time.monotonic() + give_up_after
    while True:
        try:
            r = requests.post(url, json=body, headers=headers, timeout=10)
        except (requests.ConnectionError, requests.Timeout) as exc:
            failure = type(exc).__name__
        else:
            if r.status_code not in (502, 503, 504):
                outcome.status, outcome.body = r.status_code, r.json()
                outcome.replayed = r.headers.get("Idempotent-Replayed") == "true"
                return outcome
            failure = str(r.status_code)
        if time.monotonic() + wait > deadline:
            outcome.status = f"gave up after {failure}"
            return outcome
        outcome.failures.append((time.monotonic(), failure))
        time.sleep(wait)
        wait = min(wait * 2, 2.0)


@pytest.fixture
def system(make_vhost, make_database, tmp_path):
    # A cluster of its own where initdb is installed: other tests' systems hold connections too.
    with private_postgres() as private:
        databases = {service: (private or make_database)(f"restart_{service}") for service in (*SERVICES, "gateway")}
        # One agent and one rep send everything: the per-user API rate limit is lifted.
        with start_processes(tmp_path, make_vhost("e2e-restart"), databases, GATEWAY_RATE_LIMIT="0") as system:
            print(f"\n[restart] {len(system.procs)} processes ready in {system.ready_seconds:.1f}s "
                  f"({'a private' if private else 'the shared'} PostgreSQL)")
            yield system


def test_restarting_leads_notify_and_the_gateway_under_load_loses_nothing(system: Processes, tandem_infra):
    team = make_team(system, sources=("service_referral", "web"))
    agent, rep = team["agent"], team["rep"]
    run = uuid.uuid4().hex[:6]
    jobs = RATE * SECONDS
    with ThreadPoolExecutor(8) as pool:  # a case for each referral, each on a contact of its own
        cases = list(pool.map(lambda i: open_case(system, agent, f"c{i}-{run}@load.example", f"Case {i}",
                                                  f"Carla {i}", f"Load {i} Inc"), range(0, jobs, 2)))

    def referral(i: int) -> Outcome:
        body = {"kind": "upsell", "product_interest": f"{i} more seats"}
        return post_with_retry(f"{system.api}/cases/{cases[i // 2]['id']}/referrals", body, agent["auth"])

    def lead(i: int) -> Outcome:
        body = {"first_name": "Lee", "last_name": f"Load{i}", "email": f"l{i}-{run}@load.example",
                "company": f"Entered {i} GmbH", "source": "web"}
        return post_with_retry(f"{system.api}/leads", body, rep["auth"])

    restarts: list[str] = []

    def restart_on_schedule(start: float) -> None:
        for at, names, down in RESTARTS:
            time.sleep(max(0.0, start + at - time.monotonic()))
            took = system.restart(*names, down=down)
            restarts.append(", ".join(f"{name} stopped in {took[name]:.1f}s" for name in names))

    outcomes: dict[int, Future] = {}
    start = time.monotonic()
    with ThreadPoolExecutor(1) as restarter, ThreadPoolExecutor(128) as pool:  # retrying requests pile up
        restarting = restarter.submit(restart_on_schedule, start)
        for i in range(jobs):
            time.sleep(max(0.0, start + i / RATE - time.monotonic()))
            outcomes[i] = pool.submit(referral if i % 2 == 0 else lead, i)
    restarting.result()  # a process that did not stop cleanly fails the test here
    load_seconds = time.monotonic() - start
    results = {i: future.result() for i, future in outcomes.items()}
    referrals = {i: r for i, r in results.items() if i % 2 == 0}
    entered = {i: r for i, r in results.items() if i % 2 == 1}
    retried = {i: r for i, r in results.items() if r.failures}
    print(f"[restart] {jobs} requests in {load_seconds:.1f}s; {'; '.join(restarts)}")
    print(f"[restart] {len(retried)} requests needed a retry ({sum(len(r.failures) for r in retried.values())} "
          f"retries, at most {max((r.attempts for r in results.values()), default=1)} attempts): "
          f"{dict(Counter(f for r in retried.values() for _, f in r.failures))}; "
          f"{sum(r.replayed for r in results.values())} answered from their Idempotency-Key")
    if retried:
        seen = [when - start for r in retried.values() for when, _ in r.failures]
        print(f"[restart] failed attempts from {min(seen):.1f}s to {max(seen):.1f}s into the load")

    # Every request succeeded in the end; the restart did reach the clients.
    assert {i: r.status for i, r in referrals.items() if r.status != 202} == {}
    assert {i: (r.status, r.body) for i, r in entered.items() if r.status != 201} == {}
    assert any(i % 2 == 1 for i in retried), "no lead entry met the leads restart: the test proved nothing"

    referral_ids = {r.body["id"] for r in referrals.values()}
    lead_ids = {r.body["id"] for r in entered.values()}
    assert len(referral_ids) == len(referrals) and len(lead_ids) == len(entered)

    # Every referral comes back assigned to the rep, each with a lead of its own.
    def assigned():
        rows = system.query("service_desk", "SELECT id, status, lead_id, assignee_id FROM referrals")
        mine = [row for row in rows if row["id"] in referral_ids]
        return mine if all(row["status"] == "assigned" for row in mine) else None

    rows = eventually(assigned, seconds=60, interval=0.5)
    assert rows, Counter(r["status"] for r in system.query("service_desk", "SELECT status FROM referrals"))
    assert {row["id"] for row in rows} == referral_ids
    assert {row["assignee_id"] for row in rows} == {rep["id"]}
    referral_leads = {row["id"]: row["lead_id"] for row in rows}
    assert len(set(referral_leads.values())) == len(referral_ids), "two referrals share a lead"

    # In leads: each referral attached once, to that lead; each lead exactly once, owned by the rep.
    attached = system.query("leads", "SELECT referral_id, lead_id FROM lead_referrals")
    assert {row["referral_id"]: row["lead_id"] for row in attached if row["referral_id"] in referral_ids} == referral_leads
    leads = system.query("leads", "SELECT id, email, source, owner_id FROM leads WHERE email LIKE :run",
                         run=f"%-{run}@load.example")
    assert len(leads) == len(referrals) + len(entered), Counter(row["source"] for row in leads)
    assert {row["id"] for row in leads} == set(referral_leads.values()) | lead_ids
    assert {row["owner_id"] for row in leads} == {rep["id"]}

    # Exactly one notification per lead for the rep, per referral for the agent.
    def notifications():
        found = Counter()
        for row in system.query("notify", "SELECT user_id, kind, data FROM notifications"):
            if row["kind"] == "lead_assigned" and row["user_id"] == rep["id"]:
                found[("lead", row["data"]["lead_id"])] += 1
            elif row["kind"] == "referral_update" and row["user_id"] == agent["id"]:
                found[("referral", row["data"]["referral_id"])] += 1
        return found

    expected = Counter({("lead", lead_id): 1 for lead_id in {row["id"] for row in leads}}
                       | {("referral", referral_id): 1 for referral_id in referral_ids})
    eventually(lambda: notifications() == expected, seconds=30, interval=0.5)
    got = notifications()
    assert got == expected, {"missing": len(expected - got), "extra": dict(got - expected)}

    # Nothing waits in, is retried through, or is parked in any queue; every outbox is published.
    vhost = urllib.parse.unquote(urllib.parse.urlsplit(system.env["AMQP_URI"]).path[1:])
    names = [q["name"] for q in management_request(tandem_infra, "GET", f"queues/{urllib.parse.quote(vhost, safe='')}")]
    assert any(name.startswith("parked.") for name in names) and any(name.endswith(".retry") for name in names)
    broker = EventPublisher(system.env["AMQP_URI"])
    try:
        def waiting():
            return {name: depth for name in names if (depth := broker.queue_depth(name))}

        eventually(lambda: not waiting(), seconds=10)
        assert waiting() == {}
    finally:
        broker.close()

    for service in (*SERVICES, "gateway"):
        counts = system.query(service, "SELECT status, event_type, count(*) AS n FROM outbox GROUP BY status, event_type")
        assert not [row for row in counts if row["status"] == "pending"], (service, counts)
        assert not [row for row in counts if row["status"] == "unroutable" and row["event_type"] in FLOW_EVENTS]

    handler_retries = sum(system.log_of(name).read_text().count("retrying:") for name in system.commands
                          if name.endswith("-events"))
    print(f"[restart] {len(referrals)} referrals -> {len(referral_ids)} leads, all assigned; {len(entered)} leads "
          f"entered; {sum(expected.values())} notifications; handler retries logged: {handler_retries}; "
          f"no message queued or parked, every outbox published")
