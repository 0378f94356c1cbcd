"""Observability end to end: the whole system started as `make run` does, with spans going
to one JSON-lines file, every log line as JSON and /metrics on a port per process. One
referral submitted over HTTP is one trace from the gateway through the service_desk gRPC
call, its outbox and relay, the leads handler and the events it records, to the notify
handler; and the counters of a gRPC process, an events process, a relay and the gateway
move. Only what the processes wrote or served is read."""
import json
import re
import uuid
from collections import defaultdict

import pytest
import requests
from e2e.flows import open_case, refer
from e2e.harness import SERVICES, eventually, make_team, start_system
from prometheus_client.parser import text_string_to_metric_families
from tandem_plumbing.testing import free_ports

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HONCHO_LINE = re.compile(r"^\d\d:\d\d:\d\d (\S+)\s+\| (.*)$")  # "10:08:45 leads-events.1 | ..."
REFERRALS_ROUTE = "/api/v1/cases/<case_id>/referrals"
# The processes whose /metrics the test reads (Procfile name -> metrics port variable).
METRICS = {
    "gateway": "GATEWAY_SERVE_METRICS_PORT",
    "gateway-relay": "GATEWAY_RELAY_METRICS_PORT",
    "service-desk-grpc": "SERVICE_DESK_GRPC_METRICS_PORT",  # its relay runs as a thread of it
    "leads-events": "LEADS_EVENTS_METRICS_PORT",
    "notify-events": "NOTIFY_EVENTS_METRICS_PORT",
}


@pytest.fixture(scope="module")
def observed(make_vhost, make_database, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tracing")
    traces = workdir / "traces.jsonl"
    ports = dict(zip(METRICS.values(), map(str, free_ports(len(METRICS)))))
    databases = {service: make_database(f"obs_{service}") for service in (*SERVICES, "gateway")}
    with start_system(workdir, make_vhost("e2e-tracing"), databases, TANDEM_TRACES_FILE=str(traces),
                      LOG_FORMAT="json", **ports) as crm:
        crm.traces = traces
        crm.metrics = {name: f"http://127.0.0.1:{ports[variable]}/metrics" for name, variable in METRICS.items()}
        yield crm


def spans_of(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def scrape(url: str) -> dict[tuple, float]:
    """Every sample the process serves: (name, sorted labels) -> value."""
    text = requests.get(url, timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_one_referral_is_one_trace_and_moves_every_processes_counters(observed):
    team = make_team(observed)
    agent = team["agent"]
    case = open_case(observed, agent)
    before = {name: scrape(url) for name, url in observed.metrics.items()}
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    agent = {**agent, "auth": {**agent["auth"], "X-Request-ID": request_id}}
    r = refer(observed, agent, case["id"])
    assert r.status_code == 202, r.text
    assert r.headers["X-Request-ID"] == request_id

    def the_trace():
        spans = spans_of(observed.traces)
        root = next((s for s in spans if s["service"] == "gateway" and s["name"] == f"POST {REFERRALS_ROUTE}"), None)
        if root is None:
            return None
        trace = [s for s in spans if s["trace_id"] == root["trace_id"]]
        names = {(s["service"], s["name"]) for s in trace}
        return trace if ("notify", "handle leads.lead_created") in names else None

    trace = eventually(the_trace, seconds=30)
    assert trace, "no complete trace; spans seen:\n" + "\n".join(
        f"{s['trace_id'][:8]} {s['service']} {s['kind']} {s['name']}" for s in spans_of(observed.traces)[-60:])
    by_name = defaultdict(list)
    for span in trace:
        by_name[span["service"], span["kind"], span["name"]].append(span)
    expected = [
        ("gateway", "SERVER", f"POST {REFERRALS_ROUTE}"),
        ("service_desk", "SERVER", "/tandem.service_desk.v1.ServiceDesk/SubmitReferral"),
        ("service_desk", "PRODUCER", "publish service_desk.referral_submitted"),
        ("leads", "CONSUMER", "handle service_desk.referral_submitted"),
        ("leads", "PRODUCER", "publish leads.lead_created"),  # the new lead, its owner and the referral: one event
        ("notify", "CONSUMER", "handle leads.lead_created"),
    ]
    missing = [key for key in expected if key not in by_name]
    assert not missing, f"missing from the trace: {missing}; it has {sorted(by_name)}"
    # One tree: a single root (the gateway's request), every other span's parent in the trace.
    ids = {span["span_id"] for span in trace}
    roots = [span for span in trace if span["parent_span_id"] is None]
    assert [(r["service"], r["name"]) for r in roots] == [("gateway", f"POST {REFERRALS_ROUTE}")]
    assert all(span["parent_span_id"] in ids for span in trace if span is not roots[0])

    def parent(key):
        (span,) = by_name[key][:1]
        return next(s for s in trace if s["span_id"] == span["parent_span_id"])

    assert parent(expected[1])["name"] == expected[0][2]  # gRPC server span under the gateway request
    assert parent(expected[2])["name"] == expected[1][2]  # the relay continues the use case's span
    assert parent(expected[3])["name"] == expected[2][2]  # the handler continues the publish
    assert parent(expected[4])["name"] == expected[3][2]  # what the handler recorded continues it
    assert parent(expected[5])["name"] == expected[4][2]
    print(f"\n[tracing] one trace of {len(trace)} spans across "
          f"{sorted({s['service'] + '.' + s['role'] for s in trace})}")

    # Counters moved in each kind of process (the consumers may still be finishing: wait).
    after = {}

    def moved(name, sample, **labels):
        after[name] = scrape(observed.metrics[name])
        return value(after[name], sample, **labels) > value(before[name], sample, **labels)

    checks = [
        ("gateway", "tandem_http_requests_total", {"route": REFERRALS_ROUTE, "method": "POST", "status": "202"}),
        ("gateway", "tandem_http_request_duration_seconds_count", {"route": REFERRALS_ROUTE, "method": "POST"}),
        ("service-desk-grpc", "tandem_grpc_server_handled_total",
         {"grpc_method": expected[1][2], "grpc_code": "OK"}),
        ("service-desk-grpc", "tandem_grpc_server_handling_seconds_count", {"grpc_method": expected[1][2]}),
        ("service-desk-grpc", "tandem_outbox_published_total",
         {"service": "service_desk", "event_type": "referral_submitted"}),
        ("leads-events", "tandem_events_consumed_total",
         {"service": "leads", "source": "service_desk", "event_type": "referral_submitted", "outcome": "handled"}),
        ("leads-events", "tandem_event_handler_seconds_count",
         {"service": "leads", "source": "service_desk", "event_type": "referral_submitted"}),
        ("notify-events", "tandem_events_consumed_total",
         {"service": "notify", "source": "leads", "event_type": "lead_created", "outcome": "handled"}),
    ]
    for name, sample, labels in checks:
        assert eventually(lambda: moved(name, sample, **labels)), f"{name}: {sample}{labels} did not move"
    # The gateway's relay published the team's user events before the referral.
    assert value(before["gateway-relay"], "tandem_outbox_published_total",
                 service="gateway", event_type="user_created") >= 3
    # The service desk records more as the referral's lead moves (referral_status_changed): its
    # backlog drains, but may be 1 at a given moment.
    assert eventually(lambda: value(scrape(observed.metrics["service-desk-grpc"]), "tandem_outbox_pending",
                                    service="service_desk") == 0), "the service desk's outbox did not drain"
    assert value(after["leads-events"], "tandem_parked_messages", service="leads") == 0
    assert ("tandem_outbox_pending", (("service", "gateway"),)) in scrape(observed.metrics["gateway-relay"])


def test_log_lines_are_json_and_carry_the_request_id(observed):
    request_id = f"logs-{uuid.uuid4().hex[:12]}"
    r = requests.get(f"{observed.api}/me", headers={"X-Request-ID": request_id}, timeout=10)  # no token: 401
    assert r.status_code == 401

    def access_line():
        for match in map(HONCHO_LINE.match, observed.log.read_text(errors="replace").splitlines()):
            if match and match.group(2).startswith("{") and request_id in match.group(2):
                return json.loads(match.group(2))
        return None

    line = eventually(access_line, seconds=10)
    assert line, "no JSON line with the request id in the run log:\n" + observed.log_tail()
    assert line["correlation_id"] == request_id
    assert (line["service"], line["role"], line["logger"]) == ("gateway", "serve", "gunicorn.access")
    assert {"time", "level", "message"} <= set(line)
    # Every line a process wrote (honcho's own "system" lines aside) is one JSON object.
    written = [m.groups() for m in map(HONCHO_LINE.match, observed.log.read_text(errors="replace").splitlines())
               if m and m.group(1) != "system"]
    processes = {process for process, _line in written}
    lines = [line for _process, line in written]
    not_json = [line for line in lines if not _json_object(line)]
    assert not not_json, f"{len(not_json)} of {len(lines)} lines are not JSON objects: {not_json[:10]}"
    assert len(processes) >= 12, processes


def _json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
