"""Rate limits on logging in and on password-reset requests: per client address and
per account, a friendly 429 with the form, X-Forwarded-For trusted only as far as
configured, and counts shared between workers through Redis."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from catalog.extensions import db
from catalog.models import OutboxMessage, Role
from tests.factories import PASSWORD, make_user
from tests.html import assert_accessible_layout, page
from tests.security_support import REDIS_URL, events, limited_app, redis_available

EMAIL = "trainee@example.org"


@pytest.fixture
def trainee():
    user = make_user(EMAIL, Role.TRAINEE)
    db.session.commit()
    return user


@pytest.fixture
def limited(app):
    """An app with the default limits on (10 failed logins a minute per address, 5
    per account; 5 reset requests an hour per address, 3 per account)."""
    with limited_app(app) as limited:
        yield limited


def attempt(
    client, email: str = EMAIL, password: str = "not the password", ip: str = "192.0.2.1", **headers
):
    return client.post(
        "/account/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers,
    )


def forgot(client, email: str = EMAIL, ip: str = "192.0.2.1"):
    return client.post(
        "/account/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": ip}
    )


def assert_friendly_429(response, field_id: str, message: str) -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    doc = page(response)
    assert message in doc.text(f"{field_id}-error")
    doc.by_id("email")  # the form is there to try again later
    assert "Traceback" not in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert_accessible_layout(response)


# --- Logging in ----------------------------------------------------------------------


def test_failed_logins_per_account_are_limited_from_any_address(limited, trainee):
    client = limited.test_client()
    for number in range(5):
        assert attempt(client, ip=f"198.51.100.{number}").status_code == 422

    response = attempt(client, password=PASSWORD, ip="203.0.113.9")

    assert_friendly_429(response, "password", "Too many failed attempts.")
    assert "Wait 1 minute and try again." in response.get_data(as_text=True)
    assert page(response).by_id("email")["value"] == EMAIL, "what was typed is kept"
    with client.session_transaction() as session:
        assert "_user_id" not in session, "even the right password waits"


def test_the_account_key_ignores_case_and_spaces(limited, trainee):
    client = limited.test_client()
    for number, spelling in enumerate(["Trainee@Example.org", " TRAINEE@example.org ", EMAIL] * 2):
        if number == 5:
            break
        attempt(client, email=spelling, ip=f"198.51.100.{number}")

    assert attempt(client, ip="203.0.113.9").status_code == 429


def test_unknown_accounts_are_limited_the_same_way(limited):
    client = limited.test_client()
    statuses = [
        attempt(client, email="nobody@example.org", ip=f"198.51.100.{n}").status_code
        for n in range(6)
    ]

    assert statuses == [422] * 5 + [429]


def test_failed_logins_per_address_are_limited_across_accounts(limited, trainee):
    client = limited.test_client()
    for number in range(10):
        assert attempt(client, email=f"guess{number}@example.org").status_code == 422

    assert attempt(client, email=EMAIL, password=PASSWORD).status_code == 429
    assert attempt(client, email="other@example.org", ip="192.0.2.2").status_code == 422


def test_successful_logins_do_not_count(limited, trainee):
    # A class logging in from one training centre's address.
    for _ in range(12):
        client = limited.test_client()
        assert attempt(client, password=PASSWORD).status_code == 302


def test_looking_at_the_login_page_does_not_count(limited, trainee):
    client = limited.test_client()
    for _ in range(5):
        attempt(client)

    assert client.get("/account/login").status_code == 200


def test_a_rate_limited_login_is_not_audited_as_a_failure(limited, trainee):
    client = limited.test_client()
    for number in range(5):
        attempt(client, ip=f"198.51.100.{number}")

    attempt(client)

    assert len(events("login_failed")) == 5


# --- X-Forwarded-For -------------------------------------------------------------------


def test_a_spoofed_forwarded_for_does_not_change_the_key(limited):
    client = limited.test_client()
    statuses = [
        attempt(
            client,
            email=f"guess{number}@example.org",
            **{"X-Forwarded-For": f"203.0.113.{number}"},
        ).status_code
        for number in range(11)
    ]

    assert statuses == [422] * 10 + [429]
    assert {event.ip_address for event in events("login_failed")} == {"192.0.2.1"}


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_key(app):
    with limited_app(app, TRUSTED_PROXIES=1) as proxied:
        client = proxied.test_client()
        proxy = "10.0.0.1"
        # Different clients behind the proxy each have their own count...
        spread = [
            attempt(
                client,
                email=f"guess{number}@example.org",
                ip=proxy,
                **{"X-Forwarded-For": f"203.0.113.{number}"},
            ).status_code
            for number in range(11)
        ]
        # ...and one client is limited whatever the proxy's address; a value it put
        # in front of the proxy's own entry is ignored.
        same = [
            attempt(
                client,
                email=f"again{number}@example.org",
                ip=proxy,
                **{"X-Forwarded-For": f"198.18.0.{number}, 198.51.100.7"},
            ).status_code
            for number in range(11)
        ]

    assert spread == [422] * 11
    assert same == [422] * 10 + [429]
    addresses = {event.ip_address for event in events("login_failed")}
    assert "198.51.100.7" in addresses and proxy not in addresses


def test_ipv6_clients_are_counted_per_64_block(limited):
    client = limited.test_client()
    statuses = [
        attempt(client, email=f"guess{n}@example.org", ip=f"2001:db8:1:2::{n + 1:x}").status_code
        for n in range(11)
    ]

    assert statuses == [422] * 10 + [429]
    assert attempt(client, email="x@example.org", ip="2001:db8:1:3::1").status_code == 422


# --- Password-reset requests -------------------------------------------------------------


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_reset_requests_per_account_are_limited(limited, trainee):
    client = limited.test_client()
    for number in range(3):
        assert forgot(client, ip=f"198.51.100.{number}").status_code == 302

    response = forgot(client, email="TRAINEE@example.org", ip="203.0.113.9")

    assert_friendly_429(response, "email", "Too many reset requests.")
    assert "Wait 60 minutes and try again." in response.get_data(as_text=True)
    assert outbox_count() == 3


def test_reset_requests_for_unknown_addresses_are_limited_alike(limited, trainee):
    # Limits that behaved differently would tell which addresses have accounts.
    client = limited.test_client()
    known = [forgot(client, ip=f"198.51.100.{n}").status_code for n in range(4)]
    unknown = [
        forgot(client, email="nobody@example.org", ip=f"198.51.100.{n}").status_code
        for n in range(4)
    ]

    assert known == unknown == [302, 302, 302, 429]


def test_reset_requests_per_address_are_limited(limited):
    client = limited.test_client()
    statuses = [forgot(client, email=f"p{n}@example.org").status_code for n in range(6)]

    assert statuses == [302] * 5 + [429]
    assert forgot(client, email="q@example.org", ip="192.0.2.2").status_code == 302


def test_limits_come_from_the_configuration(app, trainee):
    with limited_app(app, LOGIN_LIMIT_PER_ACCOUNT="2/minute") as strict:
        client = strict.test_client()
        statuses = [attempt(client, ip=f"198.51.100.{n}").status_code for n in range(3)]

    assert statuses == [422, 422, 429]


def test_limits_are_off_in_the_test_configuration(client, trainee):
    statuses = {attempt(client).status_code for _ in range(12)}

    assert statuses == {422}


# --- Redis: counts shared between workers ---------------------------------------------------


@pytest.fixture
def redis_prefix():
    if not redis_available():
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (CI runs one)")
    import redis

    prefix = f"catalog-test-{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def test_workers_share_counts_through_redis(app, trainee, redis_prefix):
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": redis_prefix}
    with limited_app(app, **settings) as one, limited_app(app, **settings) as other:
        first, second = one.test_client(), other.test_client()
        statuses = [
            attempt(worker, ip=f"198.51.100.{n}").status_code
            for n, worker in enumerate([first, second, first, second, first, second])
        ]
        import redis

        stored_keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{redis_prefix}*"))

    assert statuses == [422] * 5 + [429]
    assert stored_keys, "the counts live in Redis"
    assert not any(EMAIL.encode() in key for key in stored_keys), "no address is stored"


def test_an_unreachable_storage_falls_back_to_memory_not_to_errors(app, trainee):
    # Port 9 (discard) has nothing listening: every Redis call is refused.
    with limited_app(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0") as cut_off:
        client = cut_off.test_client()
        statuses = [attempt(client, ip=f"198.51.100.{n}").status_code for n in range(6)]

    assert statuses == [422] * 5 + [429]
