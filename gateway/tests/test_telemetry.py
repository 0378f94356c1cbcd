"""The gateway's request telemetry: counted by route template (never by raw path), a server
span that continues a client's traceparent, the request id as the correlation id."""
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY
from tandem_plumbing import telemetry

CLIENT_PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    telemetry.configure_tracing("gateway", "serve", exporters=[exporter])
    yield exporter
    telemetry.configure_tracing("gateway", "serve", exporters=[])


def requests_counted(route, method, status) -> float:
    labels = {"route": route, "method": method, "status": str(status)}
    return REGISTRY.get_sample_value("tandem_http_requests_total", labels) or 0.0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_requests_are_counted_by_route_template_and_traced(client, admin_auth, spans):
    route = "/api/v1/users/<user_id>"
    found, missing = requests_counted(route, "GET", 404), requests_counted("unmatched", "GET", 404)
    timed = REGISTRY.get_sample_value("tandem_http_request_duration_seconds_count",
                                      {"route": route, "method": "GET"}) or 0.0
    r = client.get("/api/v1/users/no-such-user", headers={**admin_auth, "X-Request-ID": "req-tele-1",
                                                          "traceparent": CLIENT_PARENT})
    assert r.status_code == 404
    assert client.get("/no/such/route").status_code == 404
    assert requests_counted(route, "GET", 404) == found + 1  # the id is not a label
    assert requests_counted("unmatched", "GET", 404) == missing + 1
    assert REGISTRY.get_sample_value("tandem_http_request_duration_seconds_count",
                                     {"route": route, "method": "GET"}) == timed + 1

    (span,) = [s for s in spans.get_finished_spans() if s.name == f"GET {route}"]
    assert span.kind.name == "SERVER" and span.attributes["http.response.status_code"] == 404
    assert f"{span.context.trace_id:032x}" == CLIENT_PARENT.split("-")[1]
    assert f"{span.parent.span_id:016x}" == CLIENT_PARENT.split("-")[2]
    assert telemetry.correlation_id() is None  # nothing leaks past the request
