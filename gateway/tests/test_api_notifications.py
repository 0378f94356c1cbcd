"""/api/v1/notifications, /notification-preferences, /notification-settings over a real
notify gRPC server on its own PostgreSQL database."""
import dataclasses
from datetime import datetime, timedelta, timezone
from importlib.resources import files

import pytest
from tandem_plumbing.db import make_engine, session_factory, transaction
from tandem_plumbing.migrations import upgrade

from tandem_notify import use_cases
from tandem_notify.adapters.grpc_server import register

NOTE_FIELDS = {"id", "kind", "title", "body", "data", "created_at", "read_at", "version"}
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def db_url(pg_url):
    """One gateway database kind is enough here: these routes only relay to notify."""
    return pg_url


@pytest.fixture
def notify_engine(make_database):
    url = make_database("gw_notify")
    upgrade(files("tandem_notify") / "migrations", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def notify_server(notify_engine, serve_grpc):
    address, server = serve_grpc(lambda s: register(s, notify_engine))
    return server, address


@pytest.fixture
def config(config, notify_server):
    return dataclasses.replace(config, service_addrs={**config.service_addrs, "notify": notify_server[1]})


@pytest.fixture
def assign(notify_engine):
    """assign(user_id, lead_id, minutes): a lead_assigned event applied by notify."""
    notify_sessions = session_factory(notify_engine)

    def assign(user_id, lead_id="L1", minutes=0, **lead):
        data = {"lead": {"id": lead_id, "version": 1, "first_name": "Grace", "last_name": "Hopper",
                         "company": "Navy Labs", "score": 10, "owner_id": user_id, "referrals": [], **lead},
                "previous_owner_id": None, "reason": "rules"}
        with transaction(notify_sessions) as session:
            use_cases.lead_assigned(session, data, False, T0 + timedelta(minutes=minutes))

    return assign


def fields_of(response):
    assert response.status_code == 400, response.json
    assert response.json["error"]["code"] == "validation_failed"
    return response.json["error"]["details"]["fields"]


# -- the inbox ----------------------------------------------------------------------------------
def test_the_inbox_is_the_callers_own_newest_first_in_pages(client, make_user, assign):
    rep, rep_auth = make_user()
    other, other_auth = make_user()
    for n in range(3):
        assign(rep["id"], f"L{n}", minutes=n)
    assign(other["id"], "X")

    first = client.get("/api/v1/notifications?page_size=2", headers=rep_auth)
    assert first.status_code == 200
    assert [item["data"]["lead_id"] for item in first.json["items"]] == ["L2", "L1"]
    note = first.json["items"][0]
    assert set(note) == NOTE_FIELDS
    assert note["kind"] == "lead_assigned" and note["title"] == "Lead assigned to you: Grace Hopper, Navy Labs"
    assert note["created_at"] == "2026-11-28T09:02:00.000Z" and note["read_at"] is None and note["version"] == 1
    token = first.json["next_page_token"]
    rest = client.get(f"/api/v1/notifications?page_size=2&page_token={token}", headers=rep_auth)
    assert [item["data"]["lead_id"] for item in rest.json["items"]] == ["L0"]
    assert rest.json["next_page_token"] is None

    theirs = client.get("/api/v1/notifications", headers=other_auth).json["items"]
    assert [item["data"]["lead_id"] for item in theirs] == ["X"]


def test_read_is_own_only_idempotent_and_unread_filters(client, make_user, assign):
    rep, rep_auth = make_user()
    _other, other_auth = make_user()
    assign(rep["id"], "L0")
    assign(rep["id"], "L1", minutes=1)
    note_id = client.get("/api/v1/notifications", headers=rep_auth).json["items"][1]["id"]

    read = client.post(f"/api/v1/notifications/{note_id}/read", headers=rep_auth)
    assert read.status_code == 200 and read.headers["ETag"] == '"2"'
    assert read.json["read_at"].endswith("Z") and read.json["id"] == note_id
    again = client.post(f"/api/v1/notifications/{note_id}/read", headers=rep_auth)
    assert again.json == read.json

    for who, target in ((other_auth, note_id), (rep_auth, "no-such-notification")):
        missing = client.post(f"/api/v1/notifications/{target}/read", headers=who)
        assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"

    unread = client.get("/api/v1/notifications?unread=true", headers=rep_auth).json["items"]
    assert [item["data"]["lead_id"] for item in unread] == ["L1"]
    assert client.post("/api/v1/notifications/read-all", headers=rep_auth).json == {"marked": 1}
    assert client.get("/api/v1/notifications?unread=true", headers=rep_auth).json["items"] == []
    assert len(client.get("/api/v1/notifications?unread=false", headers=rep_auth).json["items"]) == 2


def test_bad_inbox_queries_name_each_parameter(client, make_user):
    _rep, auth = make_user()
    assert fields_of(client.get("/api/v1/notifications?unread=yes&page_size=0&colour=red", headers=auth)) == {
        "unread": "must be true or false",
        "page_size": "must be an integer from 1 (more than 200 gives 200)",
        "colour": "unknown query parameter",
    }
    assert fields_of(client.get("/api/v1/notifications?page_token=%25%25", headers=auth)) == {
        "page_token": "is not a token this API returned"}


ROUTES = [("get", "/api/v1/notifications"), ("post", "/api/v1/notifications/x/read"),
          ("post", "/api/v1/notifications/read-all"), ("get", "/api/v1/notification-preferences"),
          ("put", "/api/v1/notification-preferences"), ("get", "/api/v1/notification-settings"),
          ("put", "/api/v1/notification-settings")]


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_needs_a_token(client, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthenticated"


def test_notify_down_is_503_not_a_hang(client, make_user, notify_server):
    _rep, auth = make_user()
    notify_server[0].stop(0)
    response = client.get("/api/v1/notifications", headers=auth)
    assert response.status_code == 503
    assert response.json["error"]["details"] == {"service": "notify"}


# -- preferences -----------------------------------------------------------------------------------
DEFAULTS = {"email": {"hot_lead": True, "lead_assigned": True, "referral_update": False},
            "in_app": {"hot_lead": True, "lead_assigned": True, "referral_update": True}}


def test_preferences_are_each_users_own_and_versioned(client, make_user):
    _rep, auth = make_user()
    _other, other_auth = make_user()
    first = client.get("/api/v1/notification-preferences", headers=auth)
    assert first.status_code == 200 and first.json == {**DEFAULTS, "version": 0} and first.headers["ETag"] == '"0"'

    body = {"in_app": {"referral_update": False}, "email": {"hot_lead": False}}
    changed = client.put("/api/v1/notification-preferences", json=body, headers={**auth, "If-Match": '"0"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"1"'
    assert changed.json == {"email": {**DEFAULTS["email"], "hot_lead": False},
                            "in_app": {**DEFAULTS["in_app"], "referral_update": False}, "version": 1}
    assert client.get("/api/v1/notification-preferences", headers=auth).json == changed.json
    assert client.get("/api/v1/notification-preferences", headers=other_auth).json == {**DEFAULTS, "version": 0}

    stale = client.put("/api/v1/notification-preferences", json={}, headers={**auth, "If-Match": '"0"'})
    assert stale.status_code == 412
    assert stale.json["error"] == {"code": "version_mismatch", "message": stale.json["error"]["message"],
                                   "details": {"current_version": 1}}


def test_bad_preferences_name_each_field_and_change_nothing(client, make_user):
    _rep, auth = make_user()
    body = {"sms": {"hot_lead": True}, "email": {"hot": True, "lead_assigned": "no"}, "version": 1}
    assert fields_of(client.put("/api/v1/notification-preferences", json=body, headers=auth)) == {
        "sms": "unknown channel: one of in_app, email",
        "email.hot": "unknown kind: one of lead_assigned, hot_lead, referral_update",
        "email.lead_assigned": "must be true or false",
        "version": "is read-only: send the ETag you read in If-Match instead",
    }
    malformed = client.put("/api/v1/notification-preferences", data=b"{nope",
                           headers={**auth, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json["error"]["code"] == "malformed_json"
    assert client.get("/api/v1/notification-preferences", headers=auth).json == {**DEFAULTS, "version": 0}


def test_a_channel_turned_off_gets_nothing_of_that_kind(client, make_user, assign):
    rep, auth = make_user()
    off = client.put("/api/v1/notification-preferences", json={"in_app": {"lead_assigned": False}}, headers=auth)
    assert off.status_code == 200
    assign(rep["id"], "L1")
    assert client.get("/api/v1/notifications", headers=auth).json["items"] == []


# -- settings -----------------------------------------------------------------------------------
def test_anyone_reads_the_settings_only_admins_change_them(client, make_user, admin_auth):
    _rep, rep_auth = make_user()
    _manager, manager_auth = make_user(role="sales_manager")
    read = client.get("/api/v1/notification-settings", headers=rep_auth)
    assert read.json == {"hot_lead_threshold": 80, "version": 0} and read.headers["ETag"] == '"0"'
    for auth in (rep_auth, manager_auth):
        refused = client.put("/api/v1/notification-settings", json={"hot_lead_threshold": 90}, headers=auth)
        assert refused.status_code == 403

    changed = client.put("/api/v1/notification-settings", json={"hot_lead_threshold": 90},
                         headers={**admin_auth, "If-Match": '"0"'})
    assert changed.status_code == 200 and changed.json == {"hot_lead_threshold": 90, "version": 1}
    assert changed.headers["ETag"] == '"1"'
    stale = client.put("/api/v1/notification-settings", json={"hot_lead_threshold": 70},
                       headers={**admin_auth, "If-Match": '"0"'})
    assert stale.status_code == 412 and stale.json["error"]["details"] == {"current_version": 1}
    assert client.get("/api/v1/notification-settings", headers=rep_auth).json["hot_lead_threshold"] == 90


@pytest.mark.parametrize("body, fields", [
    ({"hot_lead_threshold": 150}, {"hot_lead_threshold": "must be an integer from 0 to 100"}),
    ({"hot_lead_threshold": "high"}, {"hot_lead_threshold": "must be an integer from 0 to 100"}),
    ({}, {"hot_lead_threshold": "is required"}),
    ({"hot_lead_threshold": 90, "quiet_hours": "22-7"}, {"quiet_hours": "unknown field"}),
])
def test_bad_settings_name_each_field_and_change_nothing(client, admin_auth, body, fields):
    assert fields_of(client.put("/api/v1/notification-settings", json=body, headers=admin_auth)) == fields
    assert client.get("/api/v1/notification-settings", headers=admin_auth).json == {"hot_lead_threshold": 80,
                                                                                    "version": 0}
