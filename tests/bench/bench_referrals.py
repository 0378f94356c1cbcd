#!/usr/bin/env python
"""Benchmark of the referral flow, across the real processes started the way `make run` does.

    .venv/bin/python tests/bench/bench_referrals.py [--rate 50] [--seconds 60]

A service agent submits referrals (`POST /cases/{id}/referrals`, each on its own case
and contact, so none merge) at a steady rate. For each referral it measures the time
from the POST until
- the lead is visible to the rep (`GET /leads`, polled by the rep), and
- the rep's notification is present (`GET /notifications`, polled by the rep);
with p50/p95/p99/max, and the throughput offered and achieved. In the same run, the
raw reference: pika publishing with a confirm per message to the same broker.
PostgreSQL databases, a private vhost and a temporary data directory; all removed at
the end. Nothing asserts on a timing.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pika
import requests

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from common import Resources, local_infra, percentile, rate  # noqa: E402
from tandem_plumbing.testing import management_request  # noqa: E402
from e2e.harness import ADMIN, SERVICES, cpu_seconds, eventually, start_system  # noqa: E402

POLL_SECONDS = 0.25
INFRA = {"postgres": "PostgreSQL (all backends)", "beam.smp": "RabbitMQ"}


def infra_cpu_seconds() -> dict[str, float]:
    """CPU time so far of PostgreSQL's and RabbitMQ's processes (whoever started them), and
    of this benchmark client; with the machine's busy time from /proc/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    usage = dict.fromkeys(INFRA.values(), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, fields = text[text.index("(") + 1:text.rindex(")")], text.rsplit(")", 1)[1].split()
        if comm in INFRA:
            usage[INFRA[comm]] += (int(fields[11]) + int(fields[12])) / tick
    me = os.times()
    usage["the benchmark client"] = me.user + me.system
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    usage["machine busy, all cores"] = (sum(map(int, cpu)) - int(cpu[3]) - int(cpu[4])) / tick  # minus idle, iowait
    return usage


def raw_pika_confirm_rate(uri: str, n: int = 2000) -> float:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.confirm_delivery()
        body = b"x" * 600  # about a referral_submitted envelope
        props = pika.BasicProperties(content_type="application/json", delivery_mode=2)
        started = time.perf_counter()
        for _ in range(n):
            channel.basic_publish("", queue, body, props, mandatory=True)
        return rate(n, time.perf_counter() - started)
    finally:
        connection.close()


class Poller(threading.Thread):
    """Polls one list as the rep and records when each new item was first seen."""

    def __init__(self, url: str, params: dict, headers: dict, key, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.params, self.headers, self.key, self.stop = url, params, headers, key, stop
        self.first_seen: dict[str, float] = {}
        self.found_by_walk = 0  # items that only a walk over every page found
        self.session = requests.Session()

    def run(self) -> None:
        while not self.stop.is_set():
            self.look()
            self.stop.wait(POLL_SECONDS)

    def look(self, walk: bool = False) -> None:
        """Newest first, one page; the next page too while a page held nothing seen before
        (more than a page arrived since the last look: a burst must not hide items).

        `walk`: every page. Lists sort by creation time, which is taken before the commit:
        an item whose transaction committed after newer ones had been seen sorts below
        them, where a quick look stops. The run ends with walks until every item is seen,
        and counts an item found that way as seen at that moment (later than it was)."""
        token = None
        for _ in range(1000 if walk else 100):
            try:
                page = self.session.get(self.url, params={**self.params, **({"page_token": token} if token else {})},
                                        headers=self.headers, timeout=5).json()
                items, token = page["items"], page.get("next_page_token")
            except (requests.RequestException, ValueError, KeyError):
                return
            now = time.monotonic()
            keys = [key for item in items for key in self.key(item) if key]
            fresh = [key for key in keys if key not in self.first_seen]
            for key in fresh:
                self.first_seen.setdefault(key, now)
            self.found_by_walk += len(fresh) if walk else 0
            if not token or (not walk and (not keys or len(fresh) < len(keys))):
                return


class QueueSampler(threading.Thread):
    """Samples every queue's backlog once a second: where does work wait?"""

    def __init__(self, res: Resources, stop: threading.Event):
        super().__init__(daemon=True)
        self.res, self.stop, self.peak = res, stop, {}

    def run(self) -> None:
        while not self.stop.wait(1.0):
            try:
                queues = management_request(self.res.infra, "GET", f"queues/{self.res.vhost_quoted}")
            except RuntimeError:
                continue
            for queue in queues:
                depth = queue.get("messages", 0)
                if depth > self.peak.get(queue["name"], 0):
                    self.peak[queue["name"]] = depth


def summary(name: str, latencies: list[float], expected: int) -> str:
    values = sorted(latencies)
    cells = [f"{percentile(values, p) * 1000:8.0f}" for p in (50, 95, 99)] + [f"{(values[-1] if values else float('nan')) * 1000:8.0f}"]
    return f"{name:34s} {len(values):5d}/{expected:<5d} " + " ".join(cells)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="referrals per second (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to submit (default 60)")
    args = parser.parse_args(argv)
    total = int(args.rate * args.seconds)
    res = Resources(local_infra())
    try:
        uri = res.make_vhost()
        databases = {s: res.make_database(s)[0] for s in (*SERVICES, "gateway")}
        raw = raw_pika_confirm_rate(uri)
        print(f"# referral benchmark: {args.rate:.0f}/s for {args.seconds:.0f} s ({total} referrals)")
        print(f"raw pika publish, confirm per message: {raw:8.0f} msg/s (reference)")
        # One agent sends every referral: lift the per-user API rate limit (600/min by default).
        with start_system(Path(res.tmpdir), uri, databases, GATEWAY_RATE_LIMIT="0") as system:
            print(f"system ready in {system.ready_seconds:.1f} s")
            api = system.api
            admin = system.login(**ADMIN)
            people = {}
            for email, name, role in (("agent@bench.example", "Bench Agent", "service_agent"),
                                      ("rep@bench.example", "Bench Rep", "sales_rep")):
                r = requests.post(f"{api}/users", headers=admin, timeout=10,
                                  json={"email": email, "name": name, "password": "bench-password-1", "role": role})
                r.raise_for_status()
                people[role] = {**r.json(), "auth": system.login(email, "bench-password-1")}
            rep, agent = people["sales_rep"], people["service_agent"]
            eventually(lambda: system.query("leads", "SELECT id FROM reps WHERE id = :id", id=rep["id"]), 30)
            requests.put(f"{api}/lead-assignment-rules", headers=admin, timeout=10, json={"rules": [
                {"name": "all to the bench rep", "criteria": {}, "assign_to": {"user_id": rep["id"]}}]}).raise_for_status()

            print(f"opening {total} cases ...")
            local = threading.local()

            def http() -> requests.Session:
                """This thread's session: requests.Session is not thread-safe."""
                if not hasattr(local, "session"):
                    local.session = requests.Session()
                return local.session

            def open_case(i: int) -> str:
                r = http().post(f"{api}/cases", headers=agent["auth"], timeout=30, json={
                    "subject": f"bench case {i}", "priority": "medium", "origin": "web",
                    "contact": {"name": f"Client {i}", "email": f"client{i}@c{i}.example", "company": f"Company {i}"}})
                r.raise_for_status()
                return r.json()["id"]

            with ThreadPoolExecutor(8) as pool:
                cases = list(pool.map(open_case, range(total)))

            stop = threading.Event()
            leads = Poller(f"{api}/leads", {"source": "service_referral", "page_size": 25}, rep["auth"],
                           lambda lead: [r["referral_id"] for r in lead.get("referrals") or []], stop)
            notes = Poller(f"{api}/notifications", {"unread": "true", "page_size": 25}, rep["auth"],
                           lambda n: [(n.get("data") or {}).get("referral_id") or ""], stop)
            sampler = QueueSampler(res, stop)
            leads.start(), notes.start(), sampler.start()

            posted: dict[str, float] = {}
            post_latency: list[float] = []
            failures: dict[str, int] = {}  # reason -> count
            lock = threading.Lock()

            def refer(case_id: str) -> None:
                t0 = time.monotonic()
                try:
                    r = http().post(f"{api}/cases/{case_id}/referrals", headers=agent["auth"], timeout=30,
                                    json={"kind": "upsell", "product_interest": "more seats"})
                    reason = None if r.status_code == 202 else f"HTTP {r.status_code}"
                except requests.RequestException as exc:
                    reason = type(exc).__name__
                with lock:
                    if reason is None:
                        posted[r.json()["id"]] = t0
                        post_latency.append(time.monotonic() - t0)
                    else:
                        failures[reason] = failures.get(reason, 0) + 1

            cpu_before, infra_before = cpu_seconds(system.pid), infra_cpu_seconds()
            started = time.monotonic()
            with ThreadPoolExecutor(16) as pool:
                for i, case_id in enumerate(cases):
                    time.sleep(max(0.0, started + i / args.rate - time.monotonic()))
                    pool.submit(refer, case_id)
            submitted_in = time.monotonic() - started
            progress = {"seen": (0, 0), "since": time.monotonic()}

            def all_seen() -> bool:
                """True once the observers saw every item; when they stopped finding new
                ones for 3 s, a walk over every page of what they miss (see Poller.look)."""
                seen = (len(leads.first_seen), len(notes.first_seen))
                if min(seen) >= len(posted):
                    return True
                if seen != progress["seen"]:
                    progress.update(seen=seen, since=time.monotonic())
                elif time.monotonic() - progress["since"] > 3:
                    for poller in (leads, notes):
                        if len(poller.first_seen) < len(posted):
                            poller.look(walk=True)
                return False

            eventually(all_seen, 60, 0.25)
            drained_in = time.monotonic() - started
            cpu_after, infra_after = cpu_seconds(system.pid), infra_cpu_seconds()
            stop.set()

            lead_lat = [leads.first_seen[r] - t for r, t in posted.items() if r in leads.first_seen]
            note_lat = [notes.first_seen[r] - t for r, t in posted.items() if r in notes.first_seen]
            failed = ", ".join(f"{n} {reason}" for reason, n in failures.items())
            print(f"\noffered {total / submitted_in:.1f} referrals/s; {len(posted)} accepted, "
                  f"{sum(failures.values())} failed{f' ({failed})' if failed else ''}; "
                  f"all visible after {drained_in:.1f} s -> {len(lead_lat) / drained_in:.1f} referrals/s end to end")
            print(f"{'latency (ms)':34s} {'seen':>11s} {'p50':>8s} {'p95':>8s} {'p99':>8s} {'max':>8s}")
            print(summary("POST /cases/{id}/referrals", post_latency, total))
            print(summary("POST -> lead visible to the rep", lead_lat, len(posted)))
            print(summary("POST -> notification present", note_lat, len(posted)))
            print(f"(observers poll every {POLL_SECONDS * 1000:.0f} ms: figures include up to that much; found only "
                  f"by the final walk over every page: {leads.found_by_walk} leads, {notes.found_by_walk} notifications)")
            for what, poller in (("lead", leads), ("notification", notes)):
                missing = [r for r in posted if r not in poller.first_seen]
                if missing:
                    print(f"never seen: {len(missing)} {what}s, e.g. referrals {', '.join(missing[:5])}")
                for referral_id in missing[:5]:
                    if poller is notes:  # is it there, hidden, or lost?
                        rows = system.query("notify", "SELECT id, kind, read_at FROM notifications WHERE user_id = :u "
                                            "AND CAST(data AS TEXT) LIKE :p", u=rep["id"], p=f"%{referral_id}%")
                        print(f"  referral {referral_id}: notify's table holds {[dict(row) for row in rows]}")
            print(f"raw pika publish with confirm, same broker: {raw:.0f} msg/s = {1000 / raw:.2f} ms per message")
            if note_lat:
                # A referral is 3 confirmed publishes (referral_submitted, lead_created,
                # referral_status_changed) and 5 deliveries: its latency and rate against one raw publish.
                print(f"ratio to raw: notification p50 = {percentile(sorted(note_lat), 50) * raw:.0f}x one raw publish; "
                      f"end-to-end rate = {len(note_lat) / drained_in / raw:.4f}x the raw publish rate")
            spent = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
            total_cpu = sum(spent.values())
            print(f"CPU per referral, by process (ms), while submitting and draining; total {total_cpu / max(len(posted), 1) * 1000:.1f} ms:")
            for name, seconds in sorted(spent.items(), key=lambda item: -item[1])[:10]:
                print(f"  {name:40s} {seconds / max(len(posted), 1) * 1000:6.1f}")
            print("and outside Tandem's processes, per referral (ms):")
            for name, seconds in infra_after.items():
                print(f"  {name:40s} {(seconds - infra_before[name]) / max(len(posted), 1) * 1000:6.1f}")
            busy = infra_after["machine busy, all cores"] - infra_before["machine busy, all cores"]
            print(f"machine busy {busy / drained_in / (os.cpu_count() or 1) * 100:.0f}% of {os.cpu_count()} cores "
                  f"while submitting and draining")
            backlog = sorted(((depth, name) for name, depth in sampler.peak.items() if depth), reverse=True)
            print("peak queue backlog: " + (", ".join(f"{name} {depth}" for depth, name in backlog[:6]) or "none"))
    finally:
        res.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
