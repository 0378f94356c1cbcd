"""The real processes: `tandem-gateway relay` publishing to RabbitMQ, and
`tandem-gateway serve` under gunicorn."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pika
import pytest
import requests
from tandem_plumbing.db import transaction

from tandem_gateway.config import SERVICES, GatewayConfig
from tandem_gateway.http import create_app
from tandem_gateway.identity import use_cases

COMMAND = str(Path(sys.executable).with_name("tandem-gateway"))

pytestmark = pytest.mark.slow


def start(role: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")
    return subprocess.Popen([COMMAND, role], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


def test_the_relay_publishes_user_created_to_gateway_events(pg_url, amqp_uri, passwords, tmp_path):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("gateway.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "gateway.events", routing_key="user_created")

    relay = start("relay", {"GATEWAY_DATABASE_URL": pg_url, "AMQP_URI": amqp_uri}, tmp_path / "relay.log")
    app = create_app(GatewayConfig(database_url=pg_url, jwt_secret="r" * 40), passwords)
    try:
        client = app.test_client()
        gw = app.extensions["tandem_gateway"]
        with transaction(gw.sessions) as session:
            use_cases.ensure_admin(session, gw.passwords, "root@example.com", "root-password")
        token = client.post("/api/v1/auth/token", json={"email": "root@example.com", "password": "root-password"})
        response = client.post(
            "/api/v1/users",
            json={"email": "rep@example.com", "name": "Rep", "password": "password-123", "role": "sales_rep"},
            headers={"Authorization": f"Bearer {token.json['access_token']}", "X-Request-ID": "relay-test-1"},
        )
        assert response.status_code == 201

        received, deadline = {}, time.monotonic() + 20
        while "rep@example.com" not in received and time.monotonic() < deadline:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                connection.sleep(0.1)
                continue
            event = json.loads(body)
            received[event["data"]["user"]["email"]] = (method, properties, event)
        method, properties, event = received["rep@example.com"]
        assert (method.routing_key, properties.content_type) == ("user_created", "application/json")
        assert properties.delivery_mode == 2
        assert (event["type"], event["source"], event["correlation_id"]) == ("user_created", "gateway", "relay-test-1")
        assert event["data"] == {
            "user": {k: response.json[k] for k in ("id", "email", "name", "role", "manager_id", "active", "version")},
            "changed": [],
        }
    finally:
        assert stop(relay) == 0, (tmp_path / "relay.log").read_text()
        app.extensions["tandem_gateway"].engine.dispose()
        connection.close()


def test_serve_runs_gunicorn_and_stops_cleanly_on_sigterm(tmp_path, free_port):
    port = free_port()
    env = {
        "CRM_DATA_DIR": str(tmp_path),
        "GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
        "GATEWAY_PORT": str(port),
        "GATEWAY_WORKERS": "2",
        "CRM_ADMIN_EMAIL": "ops@example.com",
        "CRM_ADMIN_PASSWORD": "ops-password",
        **{f"{name.upper()}_GRPC_ADDR": f"127.0.0.1:{free_port()}" for name in SERVICES},  # nothing there
    }
    env = {k: v for k, v in {**os.environ, **env}.items() if k != "JWT_SECRET"}  # the generated file is shared
    subprocess.run([COMMAND, "setup"], env=env, check=True, capture_output=True)
    log_path = tmp_path / "serve.log"
    server = subprocess.Popen([COMMAND, "serve"], env=env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        # Tokens issued by one worker are accepted by every worker: one shared secret.
        credentials = {"email": "ops@example.com", "password": "ops-password"}
        token = requests.post(f"{base}/api/v1/auth/token", json=credentials, timeout=5).json()["access_token"]
        for _ in range(10):
            me = requests.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}",
                                                           "X-Request-ID": "serve-test-1"}, timeout=5)
            assert me.status_code == 200
        # gRPC probes work inside the forked gthread workers, and fail fast.
        ready = requests.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 503 and ready.elapsed.total_seconds() < 2
        assert ready.json()["error"]["details"]["unavailable"] == sorted(SERVICES)
    finally:
        assert stop(server) == 0
    log = log_path.read_text()
    assert "Using worker: gthread" in log
    assert '"GET /api/v1/me HTTP/1.1" 200' in log and "request_id=serve-test-1" in log
