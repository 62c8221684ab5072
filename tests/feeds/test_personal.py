"""Personal feed addresses: made on the profile page, secret, revocable one by one."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from catalog.extensions import db
from catalog.models import FeedToken, User
from tests.factories import make_user
from tests.feeds.support import SITE, build_scenario
from tests.html import page


@pytest.fixture
def scenario():
    return build_scenario()


@pytest.fixture
def trainee(scenario, auth):
    auth.login("trainee.feeds@example.org")
    return db.session.get(User, scenario.trainee_id)


def create(client, label: str = "") -> None:
    response = client.post("/account/feeds", data={"label": label})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/profile#calendar-feeds")


def listed(client) -> list[dict[str, str]]:
    """The addresses the profile page shows, with their links."""
    doc = page(client.get("/account/profile"))
    feeds = []
    for field in doc.all("input"):
        if field.get("id", "").startswith("feed-url-"):
            https = field["value"]
            webcal = "webcal://" + https.split("://", 1)[1]
            links = [a["href"] for a in doc.all("a")]
            feeds.append(
                {
                    "id": field["id"].removeprefix("feed-url-"),
                    "https": https,
                    "copy": field.get("data-copy", ""),
                    "readonly": "readonly" in field,
                    "webcal": webcal if webcal in links else "",
                    "google": next((h for h in links if quote(webcal, safe="") in h), ""),
                }
            )
    return feeds


def token_of(address: str) -> str:
    return address.rsplit("/", 1)[1].removesuffix(".ics")


def test_a_new_address_is_listed_with_copy_webcal_and_google_links(client, trainee):
    create(client, "Phone")
    [feed] = listed(client)
    assert feed["https"].startswith(f"{SITE}/feeds/me/") and feed["https"].endswith(".ics")
    assert feed["copy"] and feed["readonly"]  # copy.js adds the button beside it
    assert feed["webcal"] == "webcal://" + feed["https"].removeprefix("http://")
    assert feed["google"] == (
        "https://calendar.google.com/calendar/r?cid=" + quote(feed["webcal"], safe="")
    )
    html = client.get("/account/profile").get_data(as_text=True)
    assert "Phone" in html and re.search(r'src="/static/js/copy\.[0-9a-f]{12}\.js"', html)
    assert client.get(feed["https"].removeprefix(SITE)).status_code == 200


def test_the_secret_is_random_long_and_stored_only_as_a_hash(client, trainee):
    create(client)
    create(client)
    feeds = listed(client)
    tokens = [token_of(feed["https"]) for feed in feeds]
    assert len(set(tokens)) == 2
    for token in tokens:
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    rows = db.session.scalars(select(FeedToken).order_by(FeedToken.id)).all()
    for row, token in zip(rows, tokens, strict=True):
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        stored = " ".join(str(getattr(row, c.key)) for c in FeedToken.__table__.columns)
        assert token not in stored


def test_addresses_are_revoked_one_by_one(client, trainee):
    create(client, "Phone")
    create(client, "Laptop")
    phone, laptop = listed(client)
    response = client.post(f"/account/feeds/{phone['id']}/revoke")
    assert response.status_code == 302
    assert [feed["id"] for feed in listed(client)] == [laptop["id"]]
    assert client.get(phone["https"].removeprefix(SITE)).status_code == 404
    assert client.get(laptop["https"].removeprefix(SITE)).status_code == 200
    # Revoking twice is refused like any unknown address.
    assert client.post(f"/account/feeds/{phone['id']}/revoke").status_code == 404


def test_nobody_revokes_another_persons_address(client, trainee, auth):
    create(client)
    [feed] = listed(client)
    auth.logout()
    make_user("other.feeds@example.org")
    auth.login("other.feeds@example.org")
    assert client.post(f"/account/feeds/{feed['id']}/revoke").status_code == 404
    assert client.get(feed["https"].removeprefix(SITE)).status_code == 200


def test_a_revoked_or_unknown_address_is_a_404_like_any_missing_feed(client, trainee):
    create(client)
    [feed] = listed(client)
    client.post(f"/account/feeds/{feed['id']}/revoke")
    revoked = client.get(feed["https"].removeprefix(SITE))
    unknown = client.get("/feeds/me/" + "A" * 32 + ".ics")
    missing = client.get("/feeds/offerings/999999.ics")
    for response in (revoked, unknown, missing):
        assert response.status_code == 404
        assert response.headers["Content-Type"] == missing.headers["Content-Type"]
        assert response.data == missing.data
        assert "ETag" not in response.headers


@pytest.mark.parametrize("token", ["x" * 101, "%00", "..", "a b", "é" * 10])
def test_odd_tokens_are_404(client, token):
    assert client.get(f"/feeds/me/{quote(token)}.ics").status_code == 404


def test_a_deactivated_account_loses_its_feeds(client, trainee):
    create(client)
    [feed] = listed(client)
    user = db.session.get(User, trainee.id)
    user.active = False
    assert client.get(feed["https"].removeprefix(SITE)).status_code == 404


def test_making_an_address_needs_a_login(client):
    response = client.post("/account/feeds", data={"label": "x"})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert db.session.scalars(select(FeedToken)).all() == []


def test_the_personal_feed_names_the_persons_zone_and_repeats_no_secret(client, scenario, auth):
    auth.login("instructor.feeds@example.org")
    create(client)
    [feed] = listed(client)
    body = client.get(feed["https"].removeprefix(SITE)).data
    assert b"X-WR-TIMEZONE:Europe/London\r\n" in body
    assert token_of(feed["https"]).encode() not in body.replace(b"\r\n ", b"")
