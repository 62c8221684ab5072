"""Times in pages: each person's zone from their profile, or from the browser for
visitors (``static/js/timezone.js`` sets the ``tz`` cookie); without JavaScript the
offering's zone and UTC. Every time on a page says which zone it is in."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import ACCOUNTS, log_in
from tests.concurrency.support import Browser

TIME = re.compile(r"\b\d{1,2}[:h.]\d{2}\b")
# "(Africa/Nairobi)", "(America/New York)", "(UTC)": the zone names that zoned() and
# time_span() write beside a time, spaces for underscores.
ZONE = re.compile(r"\((?:UTC|[A-Z][A-Za-z]+(?:/[A-Za-z0-9 +\-]+)+)\)")


def column_headers(page) -> list[str]:
    return [
        text.strip()
        for text in page.locator("#sessions-heading ~ table th[scope=col]").all_inner_texts()
    ]


def test_a_visitor_sees_their_browsers_zone_after_the_first_page(new_page, site):
    page = new_page(timezone="Asia/Tokyo")
    offering = site.url(f"/offerings/{site.ids['offering']}")

    page.goto(offering)  # the first page: the server has not heard of the zone yet
    assert column_headers(page)[1:3] == ["Time (Africa/Nairobi)", "Time (UTC)"]
    cookie = next(c for c in page.context.cookies() if c["name"] == "tz")
    assert (cookie["value"], cookie["sameSite"], cookie["path"]) == ("Asia/Tokyo", "Lax", "/")

    page.goto(offering)
    assert column_headers(page)[1:3] == ["Time (Africa/Nairobi)", "Your time (Asia/Tokyo)"]
    first_row = page.locator("#sessions-heading ~ table tbody tr").first
    assert "(Asia/Tokyo)" in first_row.locator("td").nth(1).inner_text()
    assert "In your time zone: enrolment window" in page.locator("main").inner_text()
    assert "Times are shown in Asia/Tokyo" in page.locator("footer").inner_text()


def test_without_javascript_pages_show_the_offerings_zone_and_utc(new_page, site):
    page = new_page(javascript=False, timezone="Asia/Tokyo")
    offering = site.url(f"/offerings/{site.ids['offering']}")
    for _ in range(2):
        page.goto(offering)
        assert column_headers(page)[1:3] == ["Time (Africa/Nairobi)", "Time (UTC)"]
        assert "Your time" not in page.locator("main").inner_text()
    assert "tz" not in {c["name"] for c in page.context.cookies()}
    assert "Times are shown in UTC" in page.locator("footer").inner_text()


def test_the_registration_form_starts_with_the_browsers_zone(new_page, site):
    page = new_page(timezone="America/Sao_Paulo")
    page.goto(site.url("/"))
    page.goto(site.url("/account/register"))
    assert page.get_by_label("Your time zone").input_value() == "America/Sao_Paulo"


def test_a_logged_in_person_sees_their_profiles_zone_whatever_the_browser_says(new_page, site):
    page = new_page(timezone="America/New_York")
    log_in(page, site, ACCOUNTS["trainee"])  # Wanjiru's profile: Africa/Nairobi
    page.goto(site.url(f"/offerings/{site.ids['remote_offering']}"))  # taught from Tokyo
    headers = column_headers(page)
    assert headers[1:3] == ["Time (Asia/Tokyo)", "Your time (Africa/Nairobi)"]


@pytest.mark.parametrize(
    "cookie", ["Not/AZone", "../../etc/passwd", "Asia/Tokyo%3Bx", "", "/etc/localtime", "%2Fetc"]
)
def test_the_server_ignores_a_zone_that_is_not_real(site, cookie):
    """No browser needed: the cookie as any client could send it."""
    visitor = Browser(site.server.port)
    visitor.cookies["tz"] = cookie
    reply = visitor.send("GET", f"/offerings/{site.ids['offering']}")
    assert reply.status == 200
    assert "Time (UTC)" in reply.body and "Your time" not in reply.body


def test_the_server_takes_a_real_zone_from_the_cookie(site):
    visitor = Browser(site.server.port)
    visitor.cookies["tz"] = "America/Sao_Paulo"
    reply = visitor.send("GET", f"/offerings/{site.ids['offering']}")
    assert "Your time (America/Sao Paulo)" in reply.body


PAGES_WITH_TIMES = {
    None: ["/offerings/{offering}", "/offerings/{remote_offering}"],
    "trainee": [
        "/offerings/{offering}",
        "/my/training",
        "/enrolments/{enrolment}",
        "/account/profile",
    ],
    "focal_point": ["/nominations", "/nominations/{offering}"],
    "coordinator": [
        "/offerings/{offering}/enrolments",
        "/manage/offerings/{offering}/sessions",
        "/manage/offerings/{offering}/sessions/{session}/edit",
        "/manage/offerings/{past_offering}/sessions/{past_session}/attendance",
    ],
}


@pytest.mark.parametrize("role", list(PAGES_WITH_TIMES), ids=lambda role: role or "visitor")
def test_every_time_on_a_page_says_its_zone(new_page, site, role):
    """Each table cell or line of text that shows a time of day names a zone in it."""
    page = new_page(timezone="Asia/Tokyo")
    if role:
        log_in(page, site, ACCOUNTS[role])
    unzoned, seen = [], 0
    for path in PAGES_WITH_TIMES[role]:
        page.goto(site.url(path.format(**site.ids)))
        text = page.locator("main").inner_text()
        for piece in re.split(r"[\t\n]", text):
            if TIME.search(piece):
                seen += 1
                if not ZONE.search(piece):
                    unzoned.append(f"{path}: {piece.strip()!r}")
    assert seen, "these pages show times"
    assert not unzoned, "\n".join(unzoned)
