"""Security headers on every kind of response, and templates the Content Security
Policy does not break: pages, error pages (404, 405, 500, CSRF), feeds (200, 304),
the API, static files and redirects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from catalog.extensions import db
from catalog.feeds.services import issue_token, token_for
from catalog.models import Role
from catalog.security.headers import CONTENT_SECURITY_POLICY
from tests.factories import PASSWORD, make_offering, make_user
from tests.security_support import built_app, production_app

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def assert_security_headers(response, referrer: str = "strict-origin-when-cross-origin"):
    for name, value in {**EXPECTED, "Referrer-Policy": referrer}.items():
        assert response.headers.get(name) == value, f"{name} on a {response.status_code}"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


def test_the_policy_allows_nothing_inline_and_no_framing():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert directives["base-uri"] == "'self'"


@pytest.mark.parametrize(
    "url",
    ["/", "/catalogue", "/account/login", "/account/register", "/account/password/forgot"],
)
def test_pages_carry_the_headers(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert_security_headers(response)


def test_pages_of_a_logged_in_person_carry_them(client, auth):
    make_user("trainee@example.org")
    db.session.commit()
    auth.login("trainee@example.org")

    response = client.get("/account/profile")

    assert response.status_code == 200
    assert_security_headers(response)


def test_redirects_carry_them(client):
    response = client.get("/account/profile")

    assert response.status_code == 302
    assert_security_headers(response)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/no/such/page", 404),
        ("get", "/account/logout", 405),
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/feeds/offerings/999999.ics", 404),
        ("get", "/feeds/me/not-a-token.ics", 404),
        ("get", "/static/no-such-file.css", 404),
    ],
)
def test_error_responses_carry_them(client, method, url, status):
    response = getattr(client, method)(url)

    assert response.status_code == status
    assert_security_headers(response)


def test_a_server_error_carries_them(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database fell over")

    monkeypatch.setattr("catalog.main.views.shared_facet_counts", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    response = client.get("/")

    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    assert_security_headers(response)


def test_a_refused_csrf_token_carries_them(app):
    with built_app(app, WTF_CSRF_ENABLED=True) as csrf_app:
        response = csrf_app.test_client().post("/account/login", data={"email": "a@b.c"})

    assert response.status_code == 400
    assert_security_headers(response)


def test_the_api_carries_them(client):
    response = client.get("/api/v1/offerings")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert_security_headers(response)


def test_static_files_carry_them(client):
    response = client.get("/static/css/site.css")

    assert response.status_code == 200
    assert_security_headers(response)
    response.close()


def test_public_feeds_carry_them_on_200_and_304(client):
    make_offering()
    db.session.commit()

    first = client.get("/feeds/catalogue.ics")
    again = client.get("/feeds/catalogue.ics", headers={"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200
    assert again.status_code == 304
    assert_security_headers(first)
    assert_security_headers(again)


def test_personal_feeds_keep_no_referrer(client):
    user = make_user("trainee@example.org")
    row = issue_token(user)
    db.session.commit()
    url = f"/feeds/me/{token_for(row)}.ics"

    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200
    assert again.status_code == 304
    assert_security_headers(first, referrer="no-referrer")
    assert_security_headers(again, referrer="no-referrer")


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_production_sends_hsts_everywhere(app):
    with production_app(app) as production:
        client = production.test_client()
        responses = [
            client.get("/", base_url="https://localhost"),
            client.get("/no/such/page", base_url="https://localhost"),
            client.get("/api/v1/offerings", base_url="https://localhost"),
            client.get("/feeds/catalogue.ics", base_url="https://localhost"),
        ]

    for response in responses:
        assert (
            response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        )
        assert_security_headers(response)


# --- Templates the policy would break ------------------------------------------------

# Served to browsers; templates/mail/ builds e-mails, which no browser loads from here.
PAGE_TEMPLATES = sorted(
    path for path in TEMPLATES.rglob("*.html") if path.relative_to(TEMPLATES).parts[0] != "mail"
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


@pytest.mark.parametrize("path", PAGE_TEMPLATES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_templates_have_nothing_inline_the_policy_would_block(path):
    source = path.read_text(encoding="utf-8")
    # Jinja comments and macro arguments named style (a CSS class choice) are not HTML.
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.DOTALL)
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", source, flags=re.DOTALL)

    for pattern, what in [
        (INLINE_SCRIPT, "an inline <script>"),
        (STYLE_ELEMENT, "a <style> element"),
        (STYLE_ATTRIBUTE, "a style= attribute"),
        (EVENT_HANDLER, "an on...= event handler"),
        (SCRIPT_URL, "a javascript: URL"),
    ]:
        assert not pattern.search(source), f"{path.name} has {what}"


def test_rendered_pages_load_scripts_and_styles_from_files_only(client, auth):
    make_user("admin@example.org", Role.ADMIN)
    db.session.commit()
    assert auth.login("admin@example.org", PASSWORD).status_code == 302

    for url in ["/", "/catalogue", "/account/profile", "/manage", "/admin/audit"]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), url
        assert not STYLE_ELEMENT.search(html), url
        assert not STYLE_ATTRIBUTE.search(html), url
        assert not EVENT_HANDLER.search(html), url
