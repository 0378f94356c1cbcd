"""POST /api/v1/web-to-lead through the Flask app, with no login, against a real leads
gRPC server on its own PostgreSQL database."""
import pytest
from sqlalchemy import func, select

from tandem_leads.adapters.models import leads as leads_table, outbox as leads_outbox, reps

URL = "/api/v1/web-to-lead"
FORM = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Acme Inc",
        "title": "CTO", "phone": "", "country": "gb", "employees": 40, "description": "A demo, please",
        "website": ""}
RECEIVED = {"status": "received"}


@pytest.fixture
def services(run_service) -> dict:
    return {"leads": run_service("tandem_leads", reps)}


@pytest.fixture
def db_url(pg_url) -> str:
    return pg_url


@pytest.fixture
def stored(services):
    """stored() -> ([the leads' rows], number of outbox events) in the leads database."""
    def stored() -> tuple[list, int]:
        with services["leads"].engine.connect() as conn:
            return (conn.execute(select(leads_table)).mappings().all(),
                    conn.execute(select(func.count()).select_from(leads_outbox)).scalar_one())
    return stored


def test_a_submission_makes_a_web_lead_owned_by_the_rules(client, team, stored):
    answer = client.post(URL, json=FORM)
    assert (answer.status_code, answer.json) == (202, RECEIVED)
    rows, events = stored()
    assert len(rows) == 1 and events == 1  # lead_created, its owner in it
    lead = rows[0]
    assert (lead["source"], lead["email"], lead["country"], lead["phone"], lead["created_by"]) == (
        "web", "ada@example.com", "GB", None, "web-to-lead")
    # The default rule: round-robin over the active sales reps, in id order.
    assert lead["owner_id"] == min(team[name][0]["id"] for name in ("rep1", "rep2", "rep3"))

    # The same person again: the same answer, and nothing tells them (or anyone) the email is on file.
    again = client.post(URL, json={**FORM, "first_name": "Augusta"})
    assert (again.status_code, again.json) == (202, RECEIVED)
    assert (len(stored()[0]), stored()[1]) == (1, 1)


def test_a_filled_honeypot_is_answered_as_a_success_and_writes_nothing(client, team, stored):
    answer = client.post(URL, json={**FORM, "website": "http://spam.example"})
    assert (answer.status_code, answer.json) == (202, RECEIVED)
    assert stored() == ([], 0)


def test_bad_input_names_each_field_and_writes_nothing(client, team, stored):
    answer = client.post(URL, json={"first_name": "", "last_name": "L", "email": "nope", "employees": "many",
                                    "status": "working", "owner_id": "someone"})
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "validation_failed"
    assert set(answer.json["error"]["details"]["fields"]) == {"first_name", "email", "company", "employees", "status",
                                                              "owner_id"}
    assert client.post(URL, data="{", content_type="application/json").status_code == 400
    assert stored() == ([], 0)


def test_submissions_are_limited_per_client_address(client, team, stored):
    for n in range(5):
        assert client.post(URL, json={**FORM, "email": f"p{n}@example.com", "last_name": f"P{n}"}).status_code == 202
    refused = client.post(URL, json={**FORM, "email": "p5@example.com", "last_name": "P5"})
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) == refused.json["error"]["details"]["retry_after"] > 0
    assert len(stored()[0]) == 5
    elsewhere = client.post(URL, json={**FORM, "email": "p6@example.com", "last_name": "P6"},
                            environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert elsewhere.status_code == 202 and len(stored()[0]) == 6


def test_an_idempotency_key_is_kept_per_client_address(client, team, stored):
    """The form has no user: a key belongs to the client address that sent it."""
    key = {"Idempotency-Key": "form-1"}
    first = client.post(URL, json=FORM, headers=key)
    replay = client.post(URL, json=FORM, headers=key)
    assert (first.status_code, replay.status_code, replay.json) == (202, 202, RECEIVED)
    assert "Idempotent-Replayed" not in first.headers and replay.headers["Idempotent-Replayed"] == "true"
    other = {**FORM, "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"}
    reused = client.post(URL, json=other, headers=key)
    assert (reused.status_code, reused.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert len(stored()[0]) == 1
    # Another address with the same key is another request: its own lead.
    elsewhere = client.post(URL, json=other, headers=key, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert "Idempotent-Replayed" not in elsewhere.headers and elsewhere.status_code == 202
    assert sorted(row["email"] for row in stored()[0]) == ["ada@example.com", "grace@example.com"]


def test_the_body_cap_applies(client, gw, stored):
    answer = client.post(URL, json={**FORM, "description": "x" * gw.config.max_body_bytes})
    assert answer.status_code == 413
    assert stored() == ([], 0)
