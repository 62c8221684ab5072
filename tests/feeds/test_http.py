"""HTTP for feeds: headers, validators, 304s, HEAD, and what a missing feed says."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from catalog.database import utcnow
from catalog.extensions import db
from catalog.feeds.services import issue_token, token_for
from catalog.models import Course, FeedToken, TrainingSession, User
from tests.feeds import parsers
from tests.feeds.support import HOST, build_scenario, move, truth
from tests.querycount import count_queries


@pytest.fixture
def scenario():
    return build_scenario()


@pytest.fixture
def paths(scenario):
    """One address of each kind of feed, and whether it is public."""
    row = issue_token(db.session.get(User, scenario.trainee_id))
    db.session.flush()
    return {
        "offering": (f"/feeds/offerings/{scenario.new_york}.ics", True),
        "catalogue": ("/feeds/catalogue.ics?country=US", True),
        "personal": (f"/feeds/me/{token_for(row)}.ics", False),
    }


KINDS = ["offering", "catalogue", "personal"]


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


# --- Headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_headers(client, paths, kind):
    path, public = paths[kind]
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = response.headers["ETag"]
    # Strong (no W/), and the hash of the very bytes sent.
    assert etag == f'"{hashlib.sha256(response.data).hexdigest()}"'
    assert parsedate_to_datetime(response.headers["Last-Modified"])
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'inline; filename="[a-z0-9-]+\.ics"', disposition)
    cache = response.cache_control
    if public:
        assert cache.public and 300 <= cache.max_age <= 900
        # The site-wide policy (catalog.security.headers); personal feeds are stricter.
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    else:
        assert cache.private and not cache.public
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers.get("Content-Encoding") is None


def test_last_modified_is_the_latest_change_of_what_the_feed_shows(client, scenario, paths):
    response = client.get(paths["offering"][0])
    latest = max(db.session.get(TrainingSession, i).updated_at for i in scenario.new_york_sessions)
    shown = parsedate_to_datetime(response.headers["Last-Modified"])
    assert shown == latest.replace(microsecond=0)


def test_a_session_download_has_a_safe_attachment_name(client, scenario):
    response = client.get(f"/sessions/{scenario.injected}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="session-{scenario.injected}.ics"'
    )
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value and "evil" not in value, name


# --- Conditional requests --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_if_none_match_gives_304_with_no_body(client, paths, kind):
    path, _public = paths[kind]
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    # What a 304 must repeat of the 200 (RFC 9110 15.4.5), and no body headers.
    for name in ("Cache-Control", "Date", "Vary"):
        assert name in again.headers, name
    assert "Content-Type" not in again.headers and "Content-Length" not in again.headers
    assert again.headers.get("Referrer-Policy") == first.headers.get("Referrer-Policy")
    # A list of validators that includes the current one matches too.
    listed = client.get(path, headers={"If-None-Match": f'"stale", {first.headers["ETag"]}'})
    assert listed.status_code == 304


@pytest.mark.parametrize("kind", KINDS)
def test_after_one_session_changes_the_old_etag_gets_the_change(client, scenario, paths, kind):
    path, _public = paths[kind]
    first = client.get(path)
    session = db.session.get(TrainingSession, scenario.moved)
    move(session, datetime(2027, 3, 25, 15, 30, tzinfo=ZoneInfo("America/New_York")))
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert again.headers["ETag"] == f'"{hashlib.sha256(again.data).hexdigest()}"'
    event = parsers.read_icalendar(again.data).by_uid()[f"session-{scenario.moved}@{HOST}"]
    want = truth([scenario.moved])[f"session-{scenario.moved}@{HOST}"]
    assert (event.start, event.sequence) == (want.start, want.sequence)
    # A new date, or none while the second of the change is still running.
    if "Last-Modified" in again.headers:
        assert parsedate_to_datetime(again.headers["Last-Modified"]) > parsedate_to_datetime(
            first.headers["Last-Modified"]
        )
    # And the new ETag is answered with a 304 in turn.
    third = client.get(path, headers={"If-None-Match": again.headers["ETag"]})
    assert third.status_code == 304


@pytest.mark.parametrize("kind", KINDS)
def test_if_modified_since(client, paths, kind):
    path, _public = paths[kind]
    first = client.get(path)
    modified = parsedate_to_datetime(first.headers["Last-Modified"])
    for since, status in [
        (modified, 304),
        (modified + timedelta(seconds=1), 304),
        (modified + timedelta(days=400), 304),
        (modified - timedelta(seconds=1), 200),
        (modified - timedelta(days=400), 200),
    ]:
        response = client.get(path, headers={"If-Modified-Since": http_date(since)})
        assert response.status_code == status, since
        assert response.data == (b"" if status == 304 else first.data)


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Modified-Since": "yesterday"},
        {"If-Modified-Since": "Mon, 99 Foo 2026 25:61:00 GMT"},
        {"If-Modified-Since": ""},
        {"If-None-Match": '"0000000000000000000000000000000000000000000000000000000000000000"'},
        {"If-None-Match": "garbage without quotes"},
        {"If-None-Match": 'W/"weak"'},
        # A stale ETag wins over a date that alone would have given a 304.
        {"If-None-Match": '"stale"', "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
    ],
    ids=["words", "impossible date", "empty", "stale etag", "unquoted", "weak", "etag wins"],
)
@pytest.mark.parametrize("kind", KINDS)
def test_stale_or_garbage_validators_get_the_whole_feed(client, paths, kind, headers):
    path, _public = paths[kind]
    first = client.get(path)
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    assert response.data == first.data
    assert response.headers["ETag"] == first.headers["ETag"]


def test_a_weak_comparison_of_our_own_etag_is_still_a_304(client, paths):
    """If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x"."""
    path, _public = paths["offering"]
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": "W/" + etag}).status_code == 304
    assert client.get(path, headers={"If-None-Match": "*"}).status_code == 304


@pytest.mark.parametrize("kind", KINDS)
def test_head_gives_the_headers_and_no_body(client, paths, kind):
    path, _public = paths[kind]
    full = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.data == b""
    for name in ("ETag", "Last-Modified", "Content-Type", "Cache-Control", "Content-Length"):
        assert head.headers[name] == full.headers[name], name
    assert int(head.headers["Content-Length"]) == len(full.data)
    conditional = client.head(path, headers={"If-None-Match": full.headers["ETag"]})
    assert conditional.status_code == 304


def test_a_course_change_reaches_the_feed(client, scenario, paths):
    path, _public = paths["offering"]
    first = client.get(path)
    course = db.session.get(TrainingSession, scenario.moved).offering.course
    course.title = "Renamed course"
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert b"Renamed course" in again.data.replace(b"\r\n ", b"")


def test_withdrawing_from_an_offering_empties_the_personal_feed(client, scenario, paths):
    from catalog.models import Enrolment, EnrolmentStatus

    path, _public = paths["personal"]
    first = client.get(path)
    assert b"BEGIN:VEVENT" in first.data
    enrolment = db.session.query(Enrolment).filter_by(user_id=scenario.trainee_id).first()
    enrolment.status = EnrolmentStatus.WITHDRAWN
    response = client.get(
        path,
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert response.status_code == 200
    assert b"BEGIN:VEVENT" not in response.data
    # A client that only sends the date must not be told nothing changed either.
    since = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 200


def test_dropping_an_instructor_reaches_clients_that_only_send_a_date(client, scenario):
    """Nothing in a row's updated-at records that a person stopped teaching an
    offering; the feed's Last-Modified must still move, or If-Modified-Since
    answers 304 and the person's calendar keeps the sessions for ever."""
    from catalog.models import Offering

    row = issue_token(db.session.get(User, scenario.instructor_id))
    db.session.flush()
    path = f"/feeds/me/{token_for(row)}.ics"
    first = client.get(path)
    assert f"session-{scenario.london_sessions[0]}@".encode() in first.data
    offering = db.session.get(Offering, scenario.london)
    offering.instructors = []
    response = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert response.status_code == 200
    assert f"session-{scenario.london_sessions[0]}@".encode() not in response.data


# --- Cost of an unchanged feed ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_unchanged_feed_is_answered_without_loading_sessions(client, paths, kind):
    path, _public = paths[kind]
    first = client.get(path)
    for headers, status in [({"If-None-Match": first.headers["ETag"]}, 304), ({}, 200)]:
        with count_queries() as queries:
            again = client.get(path, headers=headers)
        assert again.status_code == status
        # Nothing was written since the feed was checked: no version query at all.
        # The offering feed still loads the offering with its course (is it listed?);
        # the personal feed's owner was looked up by the first request.
        assert queries.count == {"offering": 1, "catalogue": 0, "personal": 0}[kind], queries


@pytest.mark.parametrize("kind", KINDS)
def test_a_write_elsewhere_is_seen_within_the_freshness_limit(
    client, scenario, paths, kind, monkeypatch
):
    """Another process's write bumps no counter here: the cached feed is trusted for
    FRESH_FOR, then one version query finds the change."""
    from catalog.feeds import services

    path, _public = paths[kind]
    first = client.get(path)
    session = db.session.get(TrainingSession, scenario.moved)
    move(session, datetime(2027, 3, 26, 11, 0, tzinfo=ZoneInfo("America/New_York")))
    db.session.commit()
    # As if the write had happened in another process: this one counted nothing.
    for entry in services._cache.values():
        entry.generation = services._writes.generation
    assert client.get(path).headers["ETag"] == first.headers["ETag"]
    clock = services.time.monotonic() + services.FRESH_FOR.total_seconds() + 1
    monkeypatch.setattr(services.time, "monotonic", lambda: clock)
    with count_queries() as queries:
        later = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200
    assert later.headers["ETag"] != first.headers["ETag"]
    assert any("count(" in q for q in queries.statements)


def test_a_revoked_address_stops_at_once_here_and_within_the_limit_elsewhere(
    client, paths, monkeypatch
):
    from catalog.feeds import services

    path, _public = paths["personal"]
    assert client.get(path).status_code == 200
    db.session.execute(update(FeedToken).values(revoked_at=utcnow()))
    db.session.commit()
    assert client.get(path).status_code == 404  # this process saw the write
    db.session.execute(update(FeedToken).values(revoked_at=None))
    db.session.commit()
    assert client.get(path).status_code == 200
    db.session.execute(update(FeedToken).values(revoked_at=utcnow()))
    db.session.commit()
    # As if another process had revoked it: this one counted no write.
    for token_hash, known in list(services._owners.items()):
        services._owners[token_hash] = replace(known, generation=services._writes.generation)
    assert client.get(path).status_code == 200
    clock = services.time.monotonic() + services.FRESH_FOR.total_seconds() + 1
    monkeypatch.setattr(services.time, "monotonic", lambda: clock)
    assert client.get(path).status_code == 404


def test_last_modified_waits_for_its_second_to_pass(app):
    """A date in the running second is weak: only the ETag is offered until it passes."""
    from catalog.database import utcnow
    from catalog.feeds.services import Feed
    from catalog.feeds.views import _calendar_response

    for age, offered in [(timedelta(0), False), (timedelta(seconds=2), True)]:
        feed = Feed(b"BEGIN:VCALENDAR\r\n", "abc", utcnow() - age, "x.ics")
        with app.test_request_context("/feeds/x.ics"):
            response = _calendar_response(feed, public=True)
        assert ("Last-Modified" in response.headers) is offered
        assert response.headers["ETag"] == '"abc"'


# --- Missing feeds ----------------------------------------------------------------------------


def test_missing_and_unlisted_feeds_are_404_in_plain_text(client, scenario):
    for path in [
        "/feeds/offerings/999999.ics",
        f"/feeds/offerings/{scenario.draft}.ics",
        "/feeds/offerings/99999999999.ics",
        "/sessions/999999.ics",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/plain", path
        assert b"BEGIN:VCALENDAR" not in response.data


def test_a_course_made_draft_again_hides_its_feeds(client, scenario):
    from catalog.models import CourseStatus, Offering

    offering = db.session.get(Offering, scenario.london)
    course = db.session.get(Course, offering.course_id)
    course.status = CourseStatus.DRAFT
    assert client.get(f"/feeds/offerings/{scenario.london}.ics").status_code == 404
    assert client.get(f"/sessions/{scenario.london_sessions[0]}.ics").status_code == 404
