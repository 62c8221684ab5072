"""Every kind of feed, fetched over HTTP and read by parsers others wrote, against
the database: the offering feed, the catalogue feed, the personal feed and the
single-session download."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from catalog.extensions import db
from catalog.feeds.services import issue_token, token_for
from catalog.models import OfferingStatus, TrainingSession, User
from tests.feeds import parsers, rules
from tests.feeds.support import (
    HOST,
    INJECTION,
    assert_matches_truth,
    build_scenario,
    move,
    truth,
)
from tests.querycount import count_queries


@pytest.fixture
def scenario():
    return build_scenario()


def personal_path(user_id: int) -> str:
    row = issue_token(db.session.get(User, user_id), "phone")
    db.session.flush()
    return f"/feeds/me/{token_for(row)}.ics"


def fetch(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/calendar"
    return response.data


def session_uids(feed: parsers.ParsedFeed) -> list[str]:
    return sorted(e.uid for e in feed.events if e.uid.startswith("session-"))


# --- Each feed, each parser, against the database -------------------------------------------


def test_offering_feed_across_the_new_york_clock_change(client, scenario, reader):
    body = fetch(client, f"/feeds/offerings/{scenario.new_york}.ics")
    assert rules.feed_problems(body) == []
    expected = truth(scenario.new_york_sessions)
    feed = reader(body)
    assert_matches_truth(feed, expected)
    # 09:00 each week: 14:00Z before 14 March, 13:00Z after.
    weekly = [expected[f"session-{i}@{HOST}"].start for i in scenario.new_york_sessions[:3]]
    assert [t.hour for t in weekly] == [14, 14, 13]


def test_offering_feed_across_the_london_clock_change(client, scenario, reader):
    body = fetch(client, f"/feeds/offerings/{scenario.london}.ics")
    assert rules.feed_problems(body) == []
    expected = truth(scenario.london_sessions)
    assert_matches_truth(reader(body), expected)
    # 09:00 each week: 09:00Z before 28 March, 08:00Z after.
    assert [t.start.hour for t in sorted(expected.values(), key=lambda t: t.start)] == [9, 9, 8, 8]


def test_catalogue_feed(client, scenario, reader):
    body = fetch(client, "/feeds/catalogue.ics")
    assert rules.feed_problems(body) == []
    feed = reader(body)
    assert_matches_truth(feed, truth(scenario.listed_sessions))
    offerings = sorted(e.uid for e in feed.events if e.uid.startswith("offering-"))
    listed = (scenario.new_york, scenario.london, scenario.nairobi)
    assert offerings == sorted(f"offering-{i}@{HOST}" for i in listed)


def test_personal_feed_of_a_confirmed_trainee(client, scenario, reader):
    body = fetch(client, personal_path(scenario.trainee_id))
    assert rules.feed_problems(body) == []
    # Confirmed on New York; only applied on London, so none of London's sessions.
    assert_matches_truth(reader(body), truth(scenario.new_york_sessions))


def test_personal_feed_of_an_instructor(client, scenario, reader):
    body = fetch(client, personal_path(scenario.instructor_id))
    assert rules.feed_problems(body) == []
    # Every session of the offering taught, and the one other session given by name.
    assert_matches_truth(reader(body), truth([*scenario.london_sessions, scenario.taught_alone]))


@pytest.mark.parametrize("which", ["moved", "cancelled", "online", "awkward", "long_title"])
def test_single_session_download(client, scenario, reader, which):
    session_id = getattr(scenario, which)
    response = client.get(f"/sessions/{session_id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="session-{session_id}.ics"'
    )
    assert rules.feed_problems(response.data, subscription=False) == []
    assert_matches_truth(reader(response.data), truth([session_id]))


# --- What the feeds hold -------------------------------------------------------------------


def test_cancelled_sessions_stay_for_30_days_after_their_time(client, scenario, reader):
    feed = reader(fetch(client, f"/feeds/offerings/{scenario.nairobi}.ics"))
    read = feed.by_uid()
    recent = read[f"session-{scenario.nairobi_sessions[0]}@{HOST}"]
    assert recent.status == "CANCELLED" and recent.summary.startswith("Cancelled: ")
    assert recent.sequence == 1
    assert f"session-{scenario.gone_session}@{HOST}" not in read


def test_a_moved_session_keeps_its_uid_with_the_new_time_and_a_higher_sequence(
    client, scenario, reader
):
    path = f"/feeds/offerings/{scenario.new_york}.ics"
    uid = f"session-{scenario.moved}@{HOST}"
    before = reader(fetch(client, path)).by_uid()[uid]
    session = db.session.get(TrainingSession, scenario.moved)
    move(session, datetime(2027, 3, 24, 8, 0, tzinfo=ZoneInfo("America/New_York")))
    after_feed = reader(fetch(client, path))
    after = after_feed.by_uid()[uid]
    assert after.sequence == before.sequence + 1 == 2
    assert after.start == datetime(2027, 3, 24, 12, 0, tzinfo=UTC) != before.start
    assert_matches_truth(after_feed, truth(scenario.new_york_sessions))


def test_a_cancelled_offering_cancels_every_session(client, scenario, reader):
    from catalog.models import Offering

    db.session.get(Offering, scenario.london).status = OfferingStatus.CANCELLED
    feed = reader(fetch(client, f"/feeds/offerings/{scenario.london}.ics"))
    assert {e.status for e in feed.events} == {"CANCELLED"}
    assert all(e.summary.startswith("Cancelled: ") for e in feed.events)


def test_the_injection_attempt_is_one_event_with_the_title_as_text(client, scenario, reader):
    body = fetch(client, f"/feeds/offerings/{scenario.new_york}.ics")
    feed = reader(body)
    assert len(feed.events) == len(scenario.new_york_sessions)
    assert len({e.uid for e in feed.events}) == len(feed.events)
    assert not any("evil" in e.uid for e in feed.events)
    injected = feed.by_uid()[f"session-{scenario.injected}@{HOST}"]
    assert injected.summary.endswith(INJECTION.replace("\r\n", "\n"))


def test_drafts_are_in_no_feed(client, scenario):
    assert client.get(f"/feeds/offerings/{scenario.draft}.ics").status_code == 404
    body = fetch(client, "/feeds/catalogue.ics")
    assert f"offering-{scenario.draft}@".encode() not in body
    assert b"Draft session" not in body
    draft_session = db.session.query(TrainingSession).filter_by(offering_id=scenario.draft).one()
    assert client.get(f"/sessions/{draft_session.id}.ics").status_code == 404


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("country=GB", ["london"]),
        ("country=us", ["new_york"]),
        ("mode=in_person&country=KE", ["nairobi"]),
        ("mode=remote", []),
        ("discipline=engineering&language=en", ["new_york", "london", "nairobi"]),
    ],
)
def test_catalogue_feed_filters(client, scenario, query, listed):
    feed = parsers.read_icalendar(fetch(client, f"/feeds/catalogue.ics?{query}"))
    offerings = sorted(e.uid for e in feed.events if e.uid.startswith("offering-"))
    assert offerings == sorted(f"offering-{getattr(scenario, name)}@{HOST}" for name in listed)
    wanted = [i for name in listed for i in getattr(scenario, f"{name}_sessions")]
    assert session_uids(feed) == sorted(f"session-{i}@{HOST}" for i in wanted)


@pytest.mark.parametrize("query", ["colour=red", "country=GBR", "mode=teleport", "language=xx"])
def test_catalogue_feed_refuses_unknown_filters_in_plain_text(client, query):
    response = client.get(f"/feeds/catalogue.ics?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"


def test_every_kind_of_feed_keeps_the_rules(client, scenario):
    paths = [
        f"/feeds/offerings/{scenario.new_york}.ics",
        f"/feeds/offerings/{scenario.london}.ics",
        f"/feeds/offerings/{scenario.nairobi}.ics",
        "/feeds/catalogue.ics",
        personal_path(scenario.trainee_id),
        personal_path(scenario.instructor_id),
    ]
    for path in paths:
        body = fetch(client, path)
        assert rules.feed_problems(body) == [], path
        assert b"\r\nMETHOD:" not in body
    for session_id in scenario.listed_sessions:
        body = fetch(client, f"/sessions/{session_id}.ics")
        assert rules.feed_problems(body, subscription=False) == [], session_id


def test_every_event_has_the_public_contract_properties(client, scenario):
    body = fetch(client, f"/feeds/offerings/{scenario.new_york}.ics")
    root = rules.parse(body)
    for event in root.walk("VEVENT"):
        names = {line.name for line in event.lines}
        assert set(rules.EVENT_REQUIRED) | {"LOCATION"} <= names
        assert "TZID" in event.first("DTSTART").params
    online = next(
        e
        for e in root.walk("VEVENT")
        if e.first("UID").value.startswith(f"session-{scenario.online}@")
    )
    assert online.first("CONFERENCE").params == {"FEATURE": "VIDEO", "VALUE": "URI"}


def test_unchanged_data_gives_the_same_bytes_and_etag(client, scenario):
    from catalog.feeds import ical, services

    path = f"/feeds/offerings/{scenario.new_york}.ics"
    first = client.get(path)
    services.clear_cache()
    ical.event_bytes.cache_clear()
    second = client.get(path)
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Last-Modified"] == second.headers["Last-Modified"]


def test_the_window_moves_with_time(app, scenario):
    """A session leaves the feed 30 days after it ends, not before."""
    from catalog.feeds.services import offering_feed
    from catalog.models import Offering

    offering = db.session.get(Offering, scenario.nairobi)
    recent = db.session.get(TrainingSession, scenario.nairobi_sessions[0])
    uid = f"session-{recent.id}@{HOST}".encode()
    with app.test_request_context():
        inside = offering_feed(offering, now=recent.ends_at + timedelta(days=29, hours=23))
        outside = offering_feed(offering, now=recent.ends_at + timedelta(days=30, minutes=1))
    assert uid in inside.body.replace(b"\r\n ", b"")
    assert uid not in outside.body.replace(b"\r\n ", b"")


@pytest.mark.parametrize("change", ["move", "cancel", "add", "retitle"])
def test_a_rebuild_that_reuses_unchanged_events_gives_the_bytes_of_a_cold_build(
    client, scenario, change
):
    """After one session changes only that session is read again; the result must be
    byte for byte what a build from nothing gives, or ETags would depend on history."""
    from catalog.feeds import ical, services
    from catalog.models import Offering
    from tests.feeds.support import add_session, cancel

    path = "/feeds/catalogue.ics"
    client.get(path)
    session = db.session.get(TrainingSession, scenario.london_sessions[1])
    if change == "move":  # to the front of the feed: the order must follow
        move(session, datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    elif change == "cancel":
        cancel(session)
    elif change == "add":
        add_session(db.session.get(Offering, scenario.london), datetime(2027, 3, 16, 14, 0))
    else:
        session.title = "Renamed, without a new revision"
    with count_queries() as queries:
        warm = client.get(path)
    # Only the changed session is read in full (by id), not every session again.
    assert any("sessions.id IN" in q for q in queries.statements), queries
    services.clear_cache()
    ical.event_bytes.cache_clear()
    cold = client.get(path)
    assert warm.data == cold.data
    assert warm.headers["ETag"] == cold.headers["ETag"]
