"""Rate limits: failed logins per account and per address."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from ipaddress import ip_network

import pytest
from sqlalchemy import func, select
from tandem_plumbing.db import transaction

from tandem_gateway.adapters.models import login_failures
from tandem_gateway.http import create_app
from tandem_gateway.http.limits import TokenBuckets, client_address
from tandem_gateway.identity import throttle, use_cases
from tandem_gateway.identity.throttle import LoginLimits, Window

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# --- the rule -------------------------------------------------------------------------


def test_under_the_limit_an_attempt_may_be_made():
    assert throttle.retry_after([], Window(3, 60), T0) is None
    assert throttle.retry_after([at(-50), at(-10)], Window(3, 60), T0) is None


def test_at_the_limit_the_wait_is_until_the_oldest_counted_failure_leaves_the_window():
    assert throttle.retry_after([at(-50), at(-20), at(-10)], Window(3, 60), T0) == 10
    assert throttle.retry_after([at(-0.5)] * 3, Window(3, 60), T0) == 60  # rounded up, whole seconds


def test_failures_older_than_the_window_do_not_count():
    assert throttle.retry_after([at(-61), at(-60), at(-10)], Window(3, 60), T0) is None


def test_the_wait_is_never_zero():
    assert throttle.retry_after([at(-59.9999)] * 3, Window(3, 60), T0) == 1


# --- the client's address -------------------------------------------------------------

PROXIES = (ip_network("10.0.0.0/8"), ip_network("::1/128"))


@pytest.mark.parametrize(
    "remote, forwarded, proxies, expected",
    [
        ("203.0.113.9", None, (), "203.0.113.9"),
        ("203.0.113.9", "198.51.100.1", (), "203.0.113.9"),  # no trusted proxies: the header is ignored
        ("203.0.113.9", "198.51.100.1", PROXIES, "203.0.113.9"),  # the peer is no proxy of ours
        ("10.0.0.2", "198.51.100.1", PROXIES, "198.51.100.1"),
        ("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.7", PROXIES, "198.51.100.1"),  # the client wrote 1.2.3.4
        ("10.0.0.2", "garbage, 198.51.100.1", PROXIES, "198.51.100.1"),
        ("10.0.0.2", "198.51.100.1, garbage", PROXIES, "10.0.0.2"),
        ("10.0.0.2", None, PROXIES, "10.0.0.2"),
        ("::1", "2001:db8::5", PROXIES, "2001:db8::5"),
        (None, None, PROXIES, "unknown"),
    ],
)
def test_the_client_address(remote, forwarded, proxies, expected):
    assert client_address(remote, forwarded, proxies) == expected


# --- through the API, on PostgreSQL and SQLite ----------------------------------------


@pytest.fixture
def limited(config, passwords, admin):
    """limited(**config changes) -> a test client of an app with those changes."""
    apps = []

    def make(**changes):
        app = create_app(replace(config, **changes), passwords)
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["tandem_gateway"].engine.dispose()


def _login(client, email, password, **headers):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password}, headers=headers)


def _assert_too_many(response, longest_wait):
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_attempts"
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= longest_wait
    assert response.json["error"]["details"] == {"retry_after": wait}


def test_ten_failures_lock_the_account_even_against_the_right_password(client, admin, admin_credentials):
    email, password = admin_credentials
    for _ in range(10):
        assert _login(client, email, "wrong-password").status_code == 401
    _assert_too_many(_login(client, email, "wrong-password"), 300)
    _assert_too_many(_login(client, email.upper(), password), 300)  # the same account, however spelt
    assert _login(client, "someone-else@example.com", "x").status_code == 401  # the address is not locked


def test_a_successful_login_resets_the_accounts_count(client, admin, admin_credentials):
    email, password = admin_credentials
    for _ in range(9):
        _login(client, email, "wrong-password")
    assert _login(client, email, password).status_code == 200
    for _ in range(10):
        assert _login(client, email, "wrong-password").status_code == 401
    assert _login(client, email, password).status_code == 429


def test_failures_from_one_address_across_accounts_lock_the_address(limited, admin_credentials):
    client = limited(login_limits=LoginLimits(per_account=Window(10, 300), per_address=Window(3, 60)))
    for n in range(3):
        assert _login(client, f"guess{n}@example.com", "x").status_code == 401
    _assert_too_many(_login(client, *admin_credentials), 60)
    # Without a trusted proxy, X-Forwarded-For changes nothing.
    _assert_too_many(_login(client, *admin_credentials, **{"X-Forwarded-For": "198.51.100.7"}), 60)


def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(limited, admin_credentials):
    client = limited(
        login_limits=LoginLimits(per_account=Window(10, 300), per_address=Window(3, 60)),
        trusted_proxies=(ip_network("127.0.0.1/32"),),  # the test client's peer address
    )
    for n in range(3):
        assert _login(client, f"guess{n}@example.com", "x", **{"X-Forwarded-For": "198.51.100.7"}).status_code == 401
    _assert_too_many(_login(client, *admin_credentials, **{"X-Forwarded-For": "198.51.100.7"}), 60)
    assert _login(client, *admin_credentials, **{"X-Forwarded-For": "198.51.100.8"}).status_code == 200


def test_a_malformed_login_request_counts_for_nothing(client, admin, gw):
    for _ in range(20):
        assert client.post("/api/v1/auth/token", json={"email": "admin@example.com"}).status_code == 400
    assert _count(gw) == 0


def _count(gw) -> int:
    with gw.sessions() as session:
        return session.execute(select(func.count()).select_from(login_failures)).scalar_one()


def test_the_window_slides_and_old_rows_are_pruned(gw):
    limits = LoginLimits(per_account=Window(2, 60), per_address=Window(100, 60))
    with transaction(gw.sessions) as session:
        for moment in (at(0), at(30)):
            throttle.record_failed_login(session, limits, "a@example.com", "203.0.113.9", moment)
    with gw.sessions() as session:
        assert throttle.login_blocked(session, limits, "A@example.com", "203.0.113.9", at(31)) == 29
        assert throttle.login_blocked(session, limits, "a@example.com", "203.0.113.9", at(60.5)) is None
    assert _count(gw) == 4  # two failures, each counted per account and per address
    with transaction(gw.sessions) as session:
        throttle.record_failed_login(session, limits, "b@example.com", "203.0.113.9", at(61))
    assert _count(gw) == 4  # the first pair left every window and went; the new pair came


# --- body and page sizes --------------------------------------------------------------


def test_a_body_over_the_configured_cap_is_413_and_changes_nothing(limited, admin_credentials, rows):
    client = limited(max_body_bytes=2000)
    email, password = admin_credentials
    auth = {"Authorization": f"Bearer {_login(client, email, password).json['access_token']}"}
    before = rows()
    body = {"email": "big@example.com", "name": "x" * 2000, "password": "password-123", "role": "sales_rep"}
    response = client.post("/api/v1/users", json=body, headers=auth)
    assert response.status_code == 413
    assert response.json == {"error": {"code": "request_entity_too_large", "message": response.json["error"]["message"],
                                       "details": {}}}
    assert rows() == before
    assert client.post("/api/v1/users", json={**body, "name": "Small"}, headers=auth).status_code == 201


def test_page_sizes_over_200_are_capped_and_below_1_refused(client, gw, admin_auth, passwords):
    with transaction(gw.sessions) as session:
        for n in range(201):
            payload = {"email": f"u{n:03}@example.com", "name": "U", "password": "password-123", "role": "sales_rep"}
            use_cases.create_user(session, passwords, payload, correlation_id=None)
    page = client.get("/api/v1/users?page_size=1000", headers=admin_auth)
    assert page.status_code == 200
    assert len(page.json["items"]) == 200 and page.json["next_page_token"]
    for bad in ("0", "-1", "lots"):
        response = client.get(f"/api/v1/users?page_size={bad}", headers=admin_auth)
        assert response.status_code == 400
        assert set(response.json["error"]["details"]["fields"]) == {"page_size"}


# --- the per-user API rate limit ------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_refills_at_the_rate():
    clock = Clock()
    buckets = TokenBuckets(60, clock)  # one a second
    assert [buckets.take("u1") for _ in range(60)] == [None] * 60
    assert buckets.take("u1") == 1
    assert buckets.take("u2") is None  # each user has their own
    clock.now += 0.5
    assert buckets.take("u1") == 1  # half a token: still a (rounded-up) second to wait
    clock.now += 0.5
    assert buckets.take("u1") is None
    clock.now += 3600
    assert [buckets.take("u1") for _ in range(61)][-2:] == [None, 1]  # never more than the burst


def test_a_slow_bucket_says_how_long_to_wait():
    buckets = TokenBuckets(2, Clock())  # one every 30 seconds
    buckets.take("u1"), buckets.take("u1")
    assert buckets.take("u1") == 30


def test_a_limit_of_zero_is_off():
    buckets = TokenBuckets(0, Clock())
    assert all(buckets.take("u1") is None for _ in range(1000))


def test_a_user_over_the_rate_limit_gets_429_others_do_not(limited, make_user, admin_credentials):
    client = limited(rate_limit_per_minute=5)
    email = make_user()[0]["email"]
    token = _login(client, email, "password-123").json["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert [client.get("/api/v1/me", headers=auth).status_code for _ in range(5)] == [200] * 5
    response = client.get("/api/v1/me", headers=auth)
    assert response.status_code == 429
    assert response.json["error"]["code"] == "rate_limited"
    assert response.headers["Retry-After"] == "12"  # 5 a minute: one every 12 seconds
    assert response.json["error"]["details"] == {"retry_after": 12}
    admin_token = _login(client, *admin_credentials).json["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200
    # A bad token is refused as such, without spending anything.
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
