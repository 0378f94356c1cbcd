"""/api/v1/users: creation, listing, changes, the hierarchy and the events they cause."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError

from tandem_gateway.adapters.models import idempotency_keys
from tandem_gateway.http import idempotency
from tandem_gateway.http.errors import ApiError
from tandem_gateway.identity import use_cases

USER_FIELDS = {"id", "email", "name", "role", "manager_id", "active", "created_at", "updated_at", "version"}
EVENT_USER_FIELDS = {"id", "email", "name", "role", "manager_id", "active", "version"}


def new_user(**overrides):
    return {"email": "Ann.Lee@Example.com ", "name": "Ann Lee", "password": "password-123", "role": "sales_rep",
            **overrides}


# -- creating ---------------------------------------------------------------------------
def test_an_admin_creates_a_user_and_its_event_in_one_go(client, admin_auth, events):
    response = client.post("/api/v1/users", json=new_user(), headers={**admin_auth, "X-Request-ID": "req-create-1"})
    assert response.status_code == 201
    user = response.json
    assert set(user) == USER_FIELDS
    assert user["email"] == "ann.lee@example.com"
    assert (user["role"], user["manager_id"], user["active"], user["version"]) == ("sales_rep", None, True, 1)
    assert len(user["id"]) == 32 and user["created_at"].endswith("Z")
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/users/{user['id']}"
    assert response.headers["X-Request-ID"] == "req-create-1"

    event = events()[-1]
    assert (event.type, event.source, event.correlation_id) == ("user_created", "gateway", "req-create-1")
    assert event.data == {"user": {k: user[k] for k in EVENT_USER_FIELDS}, "changed": []}


def test_no_password_or_hash_ever_leaves(client, admin_auth, make_user):
    user, auth = make_user()
    responses = [
        client.get(f"/api/v1/users/{user['id']}", headers=auth),
        client.get("/api/v1/users", headers=auth),
        client.get("/api/v1/me", headers=auth),
        client.patch(f"/api/v1/users/{user['id']}", json={"password": "another-pass-1"}, headers=admin_auth),
    ]
    for response in responses:
        assert response.status_code == 200
        assert b"argon2" not in response.get_data() and b"password" not in response.get_data()


def test_validation_names_each_bad_field_and_writes_nothing(client, admin_auth, rows):
    before = rows()
    body = {"email": "not-an-email", "password": "short", "role": "boss", "manager_id": 5, "nickname": "x"}
    response = client.post("/api/v1/users", json=body, headers=admin_auth)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert error["details"]["fields"] == {
        "email": "must be a valid email address",
        "name": "is required",
        "password": "must be 10 to 1024 characters long",
        "role": "must be one of admin, sales_manager, sales_rep, service_agent",
        "manager_id": "must be a user id or null",
        "nickname": "unknown field",
    }
    assert rows() == before


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_malformed(client, admin_auth, body):
    response = client.post("/api/v1/users", data=body, headers={**admin_auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"


def test_a_duplicate_email_is_a_conflict(client, admin_auth, rows):
    first = client.post("/api/v1/users", json=new_user(), headers=admin_auth).json
    before = rows()
    response = client.post("/api/v1/users", json=new_user(email="ANN.LEE@example.com"), headers=admin_auth)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "email_taken"
    assert response.json["error"]["details"] == {"existing_id": first["id"]}
    assert rows() == before


@pytest.mark.parametrize("role", ["sales_rep", "sales_manager", "service_agent"])
def test_only_admins_create_users(client, make_user, rows, role):
    _, auth = make_user(role=role)
    before = rows()
    response = client.post("/api/v1/users", json=new_user(), headers=auth)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert rows() == before


def test_the_user_row_and_its_event_commit_together(client, admin_auth, rows, monkeypatch):
    before = rows()

    def broken_outbox(session, envelope):
        raise OperationalError("INSERT INTO outbox", {}, Exception("disk full"))

    monkeypatch.setattr(use_cases, "record_event", broken_outbox)
    response = client.post("/api/v1/users", json=new_user(), headers=admin_auth)
    # The database failed the write: retryable, and nothing of it was committed.
    assert response.status_code == 503 and response.json["error"]["code"] == "database_unavailable"
    assert rows() == before  # no user without its event


# -- idempotency ------------------------------------------------------------------------
def test_a_retry_with_the_same_key_returns_the_first_response(client, admin_auth, rows):
    headers = {**admin_auth, "Idempotency-Key": "create-ann-1"}
    first = client.post("/api/v1/users", json=new_user(), headers=headers)
    after_first = rows()
    retry = client.post("/api/v1/users", json=new_user(), headers=headers)
    assert (retry.status_code, retry.json) == (first.status_code, first.json)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert rows() == after_first  # nothing new: no user, no event


def test_concurrent_retries_with_one_key_create_one_user(app, admin_auth, rows):
    before = rows()
    barrier = threading.Barrier(4)

    def attempt(_):
        client = app.test_client()
        barrier.wait()
        return client.post("/api/v1/users", json=new_user(), headers={**admin_auth, "Idempotency-Key": "race"})

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(attempt, range(4)))
    assert {(r.status_code, r.json["id"]) for r in responses} == {(201, responses[0].json["id"])}
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 3
    assert rows() == (before[0] + 1, before[1] + 1)


def test_the_same_key_with_another_body_is_refused(client, admin_auth, rows):
    headers = {**admin_auth, "Idempotency-Key": "create-ann-2"}
    client.post("/api/v1/users", json=new_user(), headers=headers)
    before = rows()
    response = client.post("/api/v1/users", json=new_user(name="Somebody Else"), headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "idempotency_key_reused"
    assert rows() == before


def test_keys_belong_to_their_caller_and_failures_are_not_remembered(client, admin_auth, make_user):
    other_admin, other_auth = make_user(role="admin")
    headers = {"Idempotency-Key": "shared-key"}
    failed = client.post("/api/v1/users", json=new_user(role="boss"), headers={**admin_auth, **headers})
    assert failed.status_code == 400
    created = client.post("/api/v1/users", json=new_user(), headers={**admin_auth, **headers})
    assert created.status_code == 201
    # Another admin's same key is another request: here a duplicate email.
    theirs = client.post("/api/v1/users", json=new_user(), headers={**other_auth, **headers})
    assert theirs.status_code == 409


def test_keys_are_kept_24_hours_then_forgotten_and_pruned(gw):
    """run_once with an injected clock: replayed until 24 hours have passed, then run
    again; the pruning deletes only the expired keys."""
    start = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
    runs = iter(range(1, 100))

    def once(key: str, at: datetime, request_hash: str = "h") -> tuple[tuple, bool]:
        return idempotency.run_once(gw.sessions, "caller-1", key, request_hash, lambda _s: (201, {"run": next(runs)}),
                                    now=at)

    assert once("k", start) == ((201, {"run": 1}), False)
    assert once("k", start + idempotency.TTL - timedelta(seconds=1)) == ((201, {"run": 1}), True)
    with pytest.raises(ApiError) as reused:
        once("k", start + timedelta(hours=1), request_hash="another body")
    assert (reused.value.status, reused.value.code) == (422, "idempotency_key_reused")
    # A day later the key is claimed anew, whatever the request.
    assert once("k", start + idempotency.TTL + timedelta(seconds=1), "another body") == ((201, {"run": 2}), False)

    once("old", start)
    once("young", start + timedelta(hours=20))
    assert idempotency.prune(gw.sessions, start + timedelta(hours=25)) == 1  # "old"
    with gw.sessions() as session:
        assert sorted(session.execute(select(idempotency_keys.c.key)).scalars()) == ["k", "young"]


def test_an_expired_key_is_pruned_by_the_next_keyed_request(client, admin_auth, gw):
    with gw.sessions.begin() as session:
        session.execute(insert(idempotency_keys).values(
            caller_id="someone", key="stale", request_hash="h", status_code=201, response_body="{}",
            created_at=datetime.now(timezone.utc) - timedelta(hours=25)))
    made = client.post("/api/v1/users", json=new_user(), headers={**admin_auth, "Idempotency-Key": "fresh"})
    assert made.status_code == 201
    with gw.sessions() as session:
        assert list(session.execute(select(idempotency_keys.c.key)).scalars()) == ["fresh"]


# -- reading ----------------------------------------------------------------------------
def test_any_user_reads_users_and_unknown_ids_are_404(client, make_user):
    user, auth = make_user(role="service_agent")
    response = client.get(f"/api/v1/users/{user['id']}", headers=auth)
    assert response.status_code == 200
    assert response.json == user
    assert response.headers["ETag"] == '"1"'
    missing = client.get("/api/v1/users/0123456789abcdef", headers=auth)
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"


def test_lists_are_paged_in_email_order(client, admin_auth, make_user):
    for _ in range(4):
        make_user()
    seen, token = [], None
    while True:
        query = {"page_size": 2, **({"page_token": token} if token else {})}
        page = client.get("/api/v1/users", query_string=query, headers=admin_auth).json
        assert len(page["items"]) <= 2
        seen += [user["email"] for user in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)  # 4 users and the admin


def test_lists_filter_by_role_manager_and_active(client, admin_auth, make_user):
    manager, _ = make_user(role="sales_manager")
    rep, _ = make_user(manager_id=manager["id"])
    make_user(role="service_agent")
    client.patch(f"/api/v1/users/{rep['id']}", json={"active": False}, headers=admin_auth)

    def emails(**query):
        return [u["email"] for u in client.get("/api/v1/users", query_string=query, headers=admin_auth).json["items"]]

    assert emails(role="sales_manager") == [manager["email"]]
    assert emails(manager_id=manager["id"]) == [rep["email"]]
    assert emails(active="false") == [rep["email"]]
    assert rep["email"] not in emails(active="true")


def test_list_parameters_are_checked(client, admin_auth):
    query = {"page_size": "0", "role": "boss", "active": "maybe", "sort": "name"}
    response = client.get("/api/v1/users", query_string=query, headers=admin_auth)
    assert response.status_code == 400
    assert set(response.json["error"]["details"]["fields"]) == {"page_size", "role", "active", "sort"}
    capped = client.get("/api/v1/users", query_string={"page_size": "5000"}, headers=admin_auth)
    assert capped.status_code == 200


# -- changing ---------------------------------------------------------------------------
def test_an_admin_changes_a_user_and_a_user_changed_event_follows(client, admin_auth, make_user, events):
    manager, _ = make_user(role="sales_manager")
    user, _ = make_user()
    response = client.patch(
        f"/api/v1/users/{user['id']}",
        json={"name": "New Name", "role": "sales_manager", "manager_id": manager["id"]},
        headers={**admin_auth, "If-Match": '"1"', "X-Request-ID": "req-patch-1"},
    )
    assert response.status_code == 200
    changed = response.json
    assert (changed["name"], changed["role"], changed["manager_id"], changed["version"]) == (
        "New Name", "sales_manager", manager["id"], 2)
    assert response.headers["ETag"] == '"2"'
    event = events()[-1]
    assert (event.type, event.correlation_id) == ("user_changed", "req-patch-1")
    assert event.data == {"user": {k: changed[k] for k in EVENT_USER_FIELDS},
                          "changed": ["name", "role", "manager_id"]}


def test_a_stale_if_match_is_412_and_changes_nothing(client, admin_auth, make_user, rows):
    user, _ = make_user()
    client.patch(f"/api/v1/users/{user['id']}", json={"name": "First"}, headers=admin_auth)
    before = rows()
    for stale in ['"1"', 'W/"1"', "garbage"]:
        response = client.patch(f"/api/v1/users/{user['id']}", json={"name": "Second"},
                                headers={**admin_auth, "If-Match": stale})
        assert response.status_code == 412
        assert response.json["error"]["code"] == "version_mismatch"
    assert rows() == before
    assert client.get(f"/api/v1/users/{user['id']}", headers=admin_auth).json["name"] == "First"


def test_a_change_to_nothing_is_no_change(client, admin_auth, make_user, rows):
    user, _ = make_user()
    before = rows()
    response = client.patch(f"/api/v1/users/{user['id']}", json={"name": user["name"]}, headers=admin_auth)
    assert (response.status_code, response.json["version"]) == (200, 1)
    assert rows() == before


def test_users_change_their_own_name_and_password_only(client, make_user, login):
    user, auth = make_user()
    path = f"/api/v1/users/{user['id']}"
    assert client.patch(path, json={"name": "Me Myself"}, headers=auth).json["name"] == "Me Myself"

    role = client.patch(path, json={"role": "admin"}, headers=auth)
    assert (role.status_code, role.json["error"]["code"]) == (403, "forbidden")

    without = client.patch(path, json={"password": "brand-new-pass"}, headers=auth)
    wrong = client.patch(path, json={"password": "brand-new-pass", "current_password": "nope"}, headers=auth)
    for response in (without, wrong):
        assert response.status_code == 422
        assert response.json["error"]["code"] == "current_password_incorrect"

    ok = client.patch(path, json={"password": "brand-new-pass", "current_password": "password-123"}, headers=auth)
    assert ok.status_code == 200
    login(user["email"], "brand-new-pass")


def test_users_cannot_change_others(client, make_user):
    _, auth = make_user()
    other, _ = make_user()
    response = client.patch(f"/api/v1/users/{other['id']}", json={"name": "Hacked"}, headers=auth)
    assert response.status_code == 403


def test_email_and_unknown_fields_cannot_be_patched(client, admin_auth, make_user):
    user, _ = make_user()
    response = client.patch(f"/api/v1/users/{user['id']}", json={"email": "x@y.co", "colour": "red"},
                            headers=admin_auth)
    assert response.status_code == 400
    assert response.json["error"]["details"]["fields"] == {"email": "cannot be changed", "colour": "unknown field"}


def test_patching_an_unknown_user_is_404(client, admin_auth):
    response = client.patch("/api/v1/users/nope", json={"name": "X"}, headers=admin_auth)
    assert response.status_code == 404


# -- the hierarchy ----------------------------------------------------------------------
def patch(client, auth, user, body):
    return client.patch(f"/api/v1/users/{user['id']}", json=body, headers=auth)


def test_a_hierarchy_cycle_is_refused(client, admin_auth, make_user, rows):
    top, _ = make_user(role="sales_manager")
    middle, _ = make_user(role="sales_manager", manager_id=top["id"])
    bottom, _ = make_user(role="sales_manager", manager_id=middle["id"])
    before = rows()
    for manager in (bottom, middle):
        response = patch(client, admin_auth, top, {"manager_id": manager["id"]})
        assert response.status_code == 422
        assert response.json["error"]["code"] == "invalid_manager"
        assert "loop" in response.json["error"]["details"]["fields"]["manager_id"]
    own = patch(client, admin_auth, top, {"manager_id": top["id"]})
    assert own.status_code == 422 and "own manager" in own.json["error"]["message"]
    assert rows() == before


def test_a_manager_must_exist_be_active_and_able_to_manage(client, admin_auth, make_user, rows):
    rep, _ = make_user()
    gone, _ = make_user(role="sales_manager")
    patch(client, admin_auth, gone, {"active": False})
    before = rows()
    for manager_id in ("0" * 32, rep["id"], gone["id"]):
        response = client.post("/api/v1/users", json=new_user(manager_id=manager_id), headers=admin_auth)
        assert response.status_code == 422, manager_id
        assert response.json["error"]["code"] == "invalid_manager"
    assert rows() == before


def test_a_manager_with_active_reports_keeps_managing(client, admin_auth, make_user):
    manager, _ = make_user(role="sales_manager")
    report, _ = make_user(manager_id=manager["id"])
    for body in ({"active": False}, {"role": "sales_rep"}):
        response = patch(client, admin_auth, manager, body)
        assert (response.status_code, response.json["error"]["code"]) == (422, "has_direct_reports")
    assert patch(client, admin_auth, manager, {"role": "admin"}).status_code == 200  # still a manager role

    assert patch(client, admin_auth, report, {"active": False}).status_code == 200
    assert patch(client, admin_auth, manager, {"active": False}).status_code == 200
    # Re-activating the report checks its (now deactivated) manager again.
    refused = patch(client, admin_auth, report, {"active": True})
    assert (refused.status_code, refused.json["error"]["code"]) == (422, "invalid_manager")
    assert patch(client, admin_auth, report, {"active": True, "manager_id": None}).status_code == 200


def test_the_last_admin_cannot_leave(client, admin, admin_auth, make_user):
    me = {"id": admin.id}
    for body in ({"active": False}, {"role": "sales_rep"}):
        response = patch(client, admin_auth, me, body)
        assert (response.status_code, response.json["error"]["code"]) == (422, "last_admin")
    make_user(role="admin")
    assert patch(client, admin_auth, me, {"role": "sales_manager"}).status_code == 200
