"""The shipped nginx site (deploy/nginx/catalog.conf) in front of gunicorn
(deploy/gunicorn.conf.py) with production settings, checked over real HTTPS on
loopback: what nginx answers itself (redirects, static files, cached feeds) and
what it passes on (pages, /healthz), and what it writes to its logs.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

from catalog.extensions import db
from catalog.models import TrainingSession
from tests.deploy.support import NGINX_TEMPLATE, PLACEHOLDER, PROJECT_DIR

STATIC_DIR = PROJECT_DIR / "catalog" / "static"
ONE_YEAR_IMMUTABLE = "public, max-age=31536000, immutable"
FINGERPRINTED = re.compile(r"^/static/(.+)\.[0-9a-f]{12}(\.[a-z0-9]+)$")


def test_every_placeholder_is_documented():
    """The template's header and the deployment guide list every @NAME@ it uses."""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0]
    guide = (PROJECT_DIR / "docs" / "deployment.md").read_text(encoding="utf-8")
    for name in sorted(set(PLACEHOLDER.findall(text))):
        assert f"@{name}@" in header, f"@{name}@ is not described in the template's header"
        assert f"@{name}@" in guide, f"@{name}@ is not in docs/deployment.md"


def test_plain_http_redirects_to_https(stack):
    reply = stack.nginx.client().get("/catalogue?discipline=medical", tls=False)

    assert reply.status == 301
    assert reply.header("Location") == "https://127.0.0.1/catalogue?discipline=medical"


def test_pages_come_through_tls_with_production_headers(stack):
    client = stack.nginx.client()
    home = client.get("/", {"Accept-Encoding": "gzip"})
    login = client.get("/account/login")

    assert home.status == 200, home.text[:500]
    assert home.header("Content-Encoding") == "gzip"
    assert b"<html" in gzip.decompress(home.body)
    assert home.header("Strict-Transport-Security").startswith("max-age=")
    assert "default-src 'self'" in home.header("Content-Security-Policy")
    assert home.header("X-Content-Type-Options") == "nosniff"
    assert home.header("X-Frame-Options") == "DENY"
    # Production's cookie, which browsers keep only from a secure origin.
    assert login.status == 200
    cookie = login.header("Set-Cookie") or ""
    assert cookie.startswith("__Host-session=") and "Secure" in cookie, cookie
    # nginx names each request (X-Request-ID); the app logs and returns that name,
    # so a line in nginx's log leads to the app's lines for the same request.
    request_id = home.header("X-Request-ID") or ""
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id
    _log_with(stack.nginx.access_log, f"rid={request_id}")
    assert request_id in stack.gunicorn.log_path.read_text()


def test_a_public_feed_is_revalidated_by_nginx(stack):
    client = stack.nginx.client()
    path = f"/feeds/offerings/{stack.offering_id}.ics"
    first = client.get(path)
    etag = first.header("ETag")
    again = client.get(path, {"If-None-Match": etag})

    assert first.status == 200, first.text[:500]
    assert first.header("Content-Type").startswith("text/calendar")
    assert "Vehicle checks" in first.text
    assert etag
    # A 304 from nginx's cache: the stored copy was fresh (HIT) or just confirmed
    # by the app with a 304 of its own (REVALIDATED).
    assert again.status == 304
    assert again.body == b""
    assert again.header("ETag") == etag
    assert again.header("X-Cache-Status") in {"HIT", "REVALIDATED"}


def test_a_compressed_feed_is_revalidated_by_its_weak_etag(stack):
    """Calendar apps accept gzip; nginx then marks the ETag weak (W/"..."), and the
    weak tag sent back must still earn a 304."""
    client = stack.nginx.client()
    path = "/feeds/catalogue.ics"
    first = client.get(path, {"Accept-Encoding": "gzip"})
    etag = first.header("ETag") or ""
    again = client.get(path, {"Accept-Encoding": "gzip", "If-None-Match": etag})

    assert first.status == 200, first.text[:500]
    assert first.header("Content-Encoding") == "gzip"
    assert b"BEGIN:VCALENDAR" in gzip.decompress(first.body)
    assert etag.startswith('W/"'), etag
    assert again.status == 304


def test_a_changed_feed_reaches_subscribers_after_the_cache_validity(stack):
    client = stack.nginx.client()
    path = f"/feeds/catalogue.ics?discipline={_discipline_of(stack)}"
    before = client.get(path)
    assert before.status == 200, before.text[:500]
    assert "Hangar 2" not in before.text

    with stack.app.app_context():
        session = db.session.get(TrainingSession, stack.session_id)
        session.location = "Hangar 2"
        session.revision += 1
        db.session.commit()
        db.session.remove()

    # nginx asks again after FEED_CACHE_SECONDS; the app's own feed cache trusts
    # itself for a few seconds more (catalog/feeds/services.py, FRESH_FOR).
    deadline = time.monotonic() + 30
    after = before
    while "Hangar 2" not in after.text and time.monotonic() < deadline:
        time.sleep(0.5)
        after = client.get(path)
    assert after.status == 200
    assert "Hangar 2" in after.text, "the change never reached the feed through nginx"
    assert after.header("ETag") != before.header("ETag")
    # The client's old ETag no longer matches: the whole new calendar, not a 304.
    stale = client.get(path, {"If-None-Match": before.header("ETag")})
    assert stale.status == 200
    assert stale.header("ETag") == after.header("ETag")


def test_nginx_serves_fingerprinted_static_names_for_a_year(stack):
    client = stack.nginx.client()
    css = (STATIC_DIR / "css" / "site.css").read_bytes()
    hashed = client.get("/static/css/site.0123456789ab.css")
    plain = client.get("/static/css/site.css")
    unknown = client.get("/static/css/nothing.0123456789ab.css")

    assert hashed.status == 200
    assert hashed.body == css
    assert hashed.header("Content-Type").startswith("text/css")
    assert hashed.header("Cache-Control") == ONE_YEAR_IMMUTABLE
    assert (hashed.header("Server") or "").startswith("nginx")
    assert plain.status == 200
    assert plain.body == css
    assert plain.header("Cache-Control") == "max-age=3600"
    assert unknown.status == 404


def test_healthz_answers_through_nginx_uncached_and_unlogged(stack):
    client = stack.nginx.client()
    reply = client.get("/healthz")
    body = json.loads(reply.body)

    # Database reachable, migrations current, a scheduler ran a moment ago.
    assert reply.status == 200, body
    assert body["status"] == "ok"
    assert body["checks"] and all(check["ok"] for check in body["checks"].values()), body
    assert reply.header("X-Cache-Status") is None
    client.get("/catalogue?after-healthz")  # logged after /healthz would have been
    access_log = _log_with(stack.nginx.access_log, "after-healthz")
    assert "/healthz" not in access_log


def test_secret_tokens_never_reach_the_proxy_logs(stack):
    client = stack.nginx.client()
    personal = client.get(f"/feeds/me/{stack.feed_token}.ics")
    again = client.get(f"/feeds/me/{stack.feed_token}.ics")
    reset_secret = "not-a-real-reset-token-0123456789"
    client.get(f"/account/password/reset/{reset_secret}")

    assert personal.status == 200, personal.text[:500]
    assert personal.header("Content-Type").startswith("text/calendar")
    assert personal.header("Cache-Control") == "private, no-cache"
    assert again.header("X-Cache-Status") is None  # never stored at the proxy
    access_log = _log_with(stack.nginx.access_log, "GET /account/password/reset/REDACTED")
    assert "GET /feeds/me/REDACTED.ics" in access_log
    logs = stack.log_text()
    assert stack.feed_token not in logs
    assert reset_secret not in logs


# --- The app's side of the deployment ------------------------------------------------------


def test_the_pages_stylesheet_is_fingerprinted_and_served_by_nginx(stack):
    client = stack.nginx.client()
    page = client.get("/")
    stylesheets = _stylesheets(page.text)
    assert stylesheets, "the home page links no stylesheet"
    href = stylesheets[0]
    match = FINGERPRINTED.match(href)
    assert match, f"the page links {href}, not a fingerprinted name"
    served = client.get(href)

    assert served.status == 200
    assert served.body == (STATIC_DIR / (match.group(1) + match.group(2))).read_bytes()
    assert served.header("Cache-Control") == ONE_YEAR_IMMUTABLE


def test_gunicorn_logs_json_in_production(stack):
    lines = [
        line
        for line in Path(stack.gunicorn.log_path).read_text().splitlines()
        if "Booting worker" in line
    ]

    assert len(lines) >= 2, Path(stack.gunicorn.log_path).read_text()[-3000:]
    for line in lines:
        assert isinstance(json.loads(line), dict), line


# --- Helpers -------------------------------------------------------------------------------


def _log_with(path: Path, expected: str, timeout: float = 5) -> str:
    """The log once it holds ``expected``: nginx writes a request's line just after
    the response has gone, so the client can read the reply first."""
    deadline = time.monotonic() + timeout
    text = path.read_text()
    while expected not in text and time.monotonic() < deadline:
        time.sleep(0.05)
        text = path.read_text()
    assert expected in text, text[-3000:]
    return text


def _discipline_of(stack) -> str:
    from catalog.models import Offering

    with stack.app.app_context():
        offering = db.session.get(Offering, stack.offering_id)
        value = offering.course.discipline.value
        db.session.remove()
    return value


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.stylesheets.append(values["href"])


def _stylesheets(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.stylesheets
