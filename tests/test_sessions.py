"""Scheduling sessions: one at a time and as series, in zones with and without daylight
saving, with the warnings people may override, moves, cancellations and who may do
them; through the real forms and through the services."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from catalog.extensions import db
from catalog.manage.services import InvalidValues, StatusError
from catalog.models import OfferingStatus, Role, SessionStatus, TrainingSession
from catalog.sessions import services
from catalog.sessions.services import (
    MAX_OCCURRENCES,
    OUTSIDE_DATES,
    OVERLAP,
    LocalTimeError,
    NeedsConfirmation,
    SeriesValues,
    SessionValues,
    local_to_utc,
)
from tests.factories import PASSWORD, make_offering, make_user

NAIROBI = "Africa/Nairobi"
NEW_YORK = "America/New_York"
GAP_MESSAGE = (
    "02:30 on 14 March 2027 does not exist in America/New_York: "
    "clocks go forward from 02:00 to 03:00."
)
FOLD_MESSAGE = (
    "01:30 on 7 November 2027 happens twice in America/New_York: "
    "clocks go back from 02:00 to 01:00."
)


# --- Helpers ------------------------------------------------------------------------------


def log_in(client, user) -> None:
    db.session.commit()
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, "logged in"


def log_in_as(client, *roles: Role, **fields):
    user = make_user(None, *roles, **fields)
    log_in(client, user)
    return user


@pytest.fixture
def coordinator(client):
    log_in_as(client, Role.COORDINATOR)
    return client


def count_sessions() -> int:
    return db.session.scalar(select(func.count()).select_from(TrainingSession))


def all_sessions() -> list[TrainingSession]:
    return list(db.session.scalars(select(TrainingSession).order_by(TrainingSession.starts_at)))


def text_of(response) -> str:
    return response.get_data(as_text=True)


class _Ids(HTMLParser):
    """The text inside each element that has an id."""

    VOID = {"input", "br", "meta", "link", "img", "hr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.text: dict[str, str] = {}
        self._open: list[tuple[str | None, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self._open.append((dict(attrs).get("id"), []))

    def handle_endtag(self, tag):
        if tag in self.VOID or not self._open:
            return
        element_id, parts = self._open.pop()
        text = " ".join("".join(parts).split())
        if element_id:
            self.text[element_id] = text
        if self._open:
            self._open[-1][1].append(f" {text} ")

    def handle_data(self, data):
        if self._open:
            self._open[-1][1].append(data)


def field_error(response, field: str) -> str:
    return _Ids(text_of(response)).text.get(f"{field}-error", "")


def warnings_shown(response) -> str:
    return _Ids(text_of(response)).text.get("warnings", "")


def hidden_value(response, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', text_of(response)) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', text_of(response)
    )
    return match.group(1) if match else ""


def march_offering(**fields):
    """An offering in New York for March 2027: daylight saving starts on the 14th."""
    fields.setdefault("timezone", NEW_YORK)
    fields.setdefault("country_code", "US")
    return make_offering(starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 31), **fields)


def nairobi_offering(**fields):
    return make_offering(starts_on=date(2027, 6, 7), ends_on=date(2027, 6, 18), **fields)


def session_form(**changes) -> dict:
    data = {
        "title": "Casualty evacuation drill",
        "start_date": "2027-06-08",
        "start_time": "09:00",
        "end_time": "11:30",
        "end_date": "",
        "timezone": NAIROBI,
        "location": "Hall B, IPSTC Embakasi",
        "online_url": "",
        "instructor_id": "",
        "notes": "Bring helmets.",
    }
    data.update(changes)
    return data


def series_form(**changes) -> dict:
    data = {
        "title": "Morning drill",
        "first_date": "2027-03-01",
        "until": "2027-03-25",
        "frequency": "weekly",
        "weekdays": ["1", "3"],
        "start_time": "07:00",
        "end_time": "09:00",
        "timezone": NEW_YORK,
        "exceptions": "",
        "location": "Range 2",
        "online_url": "",
        "instructor_id": "",
        "notes": "",
    }
    data.update(changes)
    return data


def values(**changes) -> SessionValues:
    data = {
        "title": "Casualty evacuation drill",
        "start_date": date(2027, 6, 8),
        "start_time": time(9, 0),
        "end_time": time(11, 30),
        "timezone": NAIROBI,
    }
    data.update(changes)
    return SessionValues(**data)


def series_values(**changes) -> SeriesValues:
    data = {
        "title": "Morning drill",
        "first_date": date(2027, 3, 1),
        "until": date(2027, 3, 25),
        "weekdays": [1, 3],
        "start_time": time(7, 0),
        "end_time": time(9, 0),
        "timezone": NEW_YORK,
    }
    data.update(changes)
    return SeriesValues(**data)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sessions_url(offering, suffix: str = "") -> str:
    return f"/manage/offerings/{offering.id}/sessions{suffix}"


# --- Creating one session -----------------------------------------------------------------


def test_a_session_in_nairobi_is_stored_in_utc_with_its_zone(coordinator):
    offering = nairobi_offering()
    db.session.commit()

    form_page = coordinator.get(sessions_url(offering, "/new"))
    assert form_page.status_code == 200
    assert 'type="date"' in text_of(form_page) and 'type="time"' in text_of(form_page)
    assert '<option selected value="Africa/Nairobi">' in text_of(form_page)

    response = coordinator.post(sessions_url(offering, "/new"), data=session_form())

    assert response.status_code == 302
    assert response.headers["Location"].endswith(sessions_url(offering))
    (session,) = all_sessions()
    # 09:00 in Nairobi (UTC+3, no daylight saving) is 06:00 UTC.
    assert session.starts_at == utc(2027, 6, 8, 6, 0)
    assert session.ends_at == utc(2027, 6, 8, 8, 30)
    assert session.starts_at.tzinfo is not None
    assert session.timezone == NAIROBI
    assert session.status == SessionStatus.SCHEDULED
    assert session.revision == 0
    assert (session.location, session.notes) == ("Hall B, IPSTC Embakasi", "Bring helmets.")
    timetable = text_of(coordinator.get(sessions_url(offering)))
    assert "Casualty evacuation drill" in timetable and "9:00" in timetable


def test_a_session_may_run_past_midnight_with_an_end_date():
    offering = nairobi_offering()
    session = services.create_session(
        offering,
        values(start_time=time(22, 0), end_time=time(2, 0), end_date=date(2027, 6, 9)),
    )
    assert (session.starts_at, session.ends_at) == (utc(2027, 6, 8, 19), utc(2027, 6, 8, 23))


def test_the_session_zone_may_differ_from_the_offerings():
    offering = nairobi_offering()
    session = services.create_session(
        offering,
        values(timezone=NEW_YORK, start_time=time(8, 0), end_time=time(9, 0)),
        override={OUTSIDE_DATES},
    )
    # June: New York is on daylight saving time, UTC-4.
    assert session.starts_at == utc(2027, 6, 8, 12, 0)
    assert session.timezone == NEW_YORK


def test_forged_status_revision_and_offering_are_ignored(coordinator):
    offering = nairobi_offering()
    other = nairobi_offering()
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/new"),
        data=session_form(status="cancelled", revision="41", offering_id=str(other.id)),
    )

    assert response.status_code == 302
    (session,) = all_sessions()
    assert (session.status, session.revision, session.offering_id) == (
        SessionStatus.SCHEDULED,
        0,
        offering.id,
    )


# --- Validation ---------------------------------------------------------------------------


def test_an_end_before_the_start_is_refused_at_its_field(coordinator):
    offering = nairobi_offering()
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/new"), data=session_form(start_time="11:00", end_time="09:00")
    )

    assert response.status_code == 422
    assert "must end after it starts" in field_error(response, "end_time")
    assert count_sessions() == 0
    with pytest.raises(InvalidValues) as refused:
        services.create_session(offering, values(end_time=time(9, 0)))
    assert [p.field for p in refused.value.problems] == ["end_time"]


def test_a_time_the_clocks_skip_is_refused_with_the_reason(coordinator):
    offering = march_offering()
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/new"),
        data=session_form(
            start_date="2027-03-14", start_time="02:30", end_time="04:00", timezone=NEW_YORK
        ),
    )

    assert response.status_code == 422
    assert field_error(response, "start_time") == GAP_MESSAGE
    assert field_error(response, "end_time") == ""
    assert count_sessions() == 0
    with pytest.raises(LocalTimeError) as refused:
        local_to_utc(date(2027, 3, 14), time(2, 30), NEW_YORK)
    assert refused.value.message == GAP_MESSAGE


def test_a_time_that_happens_twice_is_refused_with_the_reason(coordinator):
    offering = make_offering(
        starts_on=date(2027, 11, 1), ends_on=date(2027, 11, 12), timezone=NEW_YORK
    )
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/new"),
        data=session_form(
            start_date="2027-11-07", start_time="00:30", end_time="01:30", timezone=NEW_YORK
        ),
    )

    assert response.status_code == 422
    assert field_error(response, "end_time") == FOLD_MESSAGE
    assert count_sessions() == 0
    with pytest.raises(LocalTimeError) as refused:
        local_to_utc(date(2027, 11, 7), time(1, 30), NEW_YORK)
    assert refused.value.message == FOLD_MESSAGE


def test_local_times_either_side_of_a_change_convert_exactly():
    assert local_to_utc(date(2027, 3, 14), time(1, 59), NEW_YORK) == utc(2027, 3, 14, 6, 59)
    assert local_to_utc(date(2027, 3, 14), time(3, 0), NEW_YORK) == utc(2027, 3, 14, 7, 0)
    assert local_to_utc(date(2027, 11, 7), time(0, 59), NEW_YORK) == utc(2027, 11, 7, 4, 59)
    assert local_to_utc(date(2027, 11, 7), time(2, 0), NEW_YORK) == utc(2027, 11, 7, 7, 0)
    # Europe/London goes forward at 01:00 on 28 March 2027.
    with pytest.raises(LocalTimeError, match="clocks go forward from 01:00 to 02:00"):
        local_to_utc(date(2027, 3, 28), time(1, 15), "Europe/London")
    # Lord Howe Island moves its clocks by half an hour.
    with pytest.raises(LocalTimeError, match="clocks go back from 02:00 to 01:30"):
        local_to_utc(date(2027, 4, 4), time(1, 45), "Australia/Lord_Howe")
    with pytest.raises(LocalTimeError, match="too far"):
        local_to_utc(date(9999, 12, 31), time(23, 0), NEW_YORK)


def test_an_unknown_zone_is_refused(coordinator):
    offering = nairobi_offering()
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/new"), data=session_form(timezone="Mars/Olympus_Mons")
    )

    assert response.status_code == 422
    assert "Choose a time zone" in field_error(response, "timezone")
    with pytest.raises(InvalidValues) as refused:
        services.create_session(offering, values(timezone="Mars/Olympus_Mons"))
    assert [p.field for p in refused.value.problems] == ["timezone"]
    assert count_sessions() == 0


@pytest.mark.parametrize(
    "link",
    [
        "http://meet.example.org/abc",
        "javascript:alert(1)",
        "JAVASCRIPT://meet.example.org/%0aalert(1)",
        "ftp://meet.example.org/abc",
        "https://",
        "https:///abc",
        "https://localhost/abc",
        "https://meet.example.org@evil.example.com/abc",
        "https://meet.example.org:port/abc",
        "https://meet example.org/abc",
        "https://-bad-.example.org/",
        "meet.example.org/abc",
    ],
)
def test_a_meeting_link_must_be_https_with_a_host(coordinator, link):
    offering = nairobi_offering()
    db.session.commit()

    response = coordinator.post(sessions_url(offering, "/new"), data=session_form(online_url=link))

    assert response.status_code == 422
    assert field_error(response, "online_url"), link
    assert count_sessions() == 0


def test_an_https_meeting_link_is_accepted(coordinator):
    offering = nairobi_offering()
    db.session.commit()
    link = "https://meet.example.org:8443/j/123?pwd=abc#start"

    response = coordinator.post(
        sessions_url(offering, "/new"), data=session_form(online_url=link, location="")
    )

    assert response.status_code == 302
    assert all_sessions()[0].online_url == link
    assert services.online_url_problem("https://réunion.example.org/salle") is None


def test_the_instructor_must_teach_the_offering(coordinator):
    offering = nairobi_offering()
    outsider = make_user(None, Role.INSTRUCTOR)
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/new"), data=session_form(instructor_id=str(outsider.id))
    )

    assert response.status_code == 422
    assert "offering's instructors" in field_error(response, "instructor_id")
    with pytest.raises(InvalidValues):
        services.create_session(offering, values(instructor_id=outsider.id))
    assert count_sessions() == 0


def test_several_problems_are_shown_together(coordinator):
    offering = nairobi_offering()
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/new"),
        data=session_form(title="", end_time="08:00", online_url="http://x.example.org"),
    )

    assert response.status_code == 422
    assert field_error(response, "title")
    assert field_error(response, "end_time")
    assert field_error(response, "online_url")


# --- Warnings that may be overridden ------------------------------------------------------


def test_outside_the_offerings_dates_warns_and_saves_only_when_confirmed(coordinator):
    offering = nairobi_offering()
    db.session.commit()
    data = session_form(start_date="2027-06-25")

    warned = coordinator.post(sessions_url(offering, "/new"), data=data)

    assert warned.status_code == 422
    assert "outside the offering's dates" in warnings_shown(warned)
    assert 'name="save_anyway"' in text_of(warned)
    assert "Nothing is saved yet: 1 warning needs a look" in text_of(warned)
    assert count_sessions() == 0
    # Submitting again without ticking the box changes nothing.
    acknowledged = hidden_value(warned, "acknowledged")
    assert acknowledged == OUTSIDE_DATES
    again = coordinator.post(
        sessions_url(offering, "/new"), data={**data, "acknowledged": acknowledged}
    )
    assert again.status_code == 422 and count_sessions() == 0

    saved = coordinator.post(
        sessions_url(offering, "/new"),
        data={**data, "acknowledged": acknowledged, "save_anyway": "y"},
    )

    assert saved.status_code == 302
    assert all_sessions()[0].starts_at == utc(2027, 6, 25, 6, 0)


def test_the_last_evening_of_the_offering_is_inside_its_dates():
    offering = nairobi_offering()
    session = services.create_session(
        offering, values(start_date=date(2027, 6, 18), start_time=time(20), end_time=time(23))
    )
    assert session.id is not None
    with pytest.raises(NeedsConfirmation) as warned:
        services.create_session(offering, values(start_date=date(2027, 6, 6)))
    assert warned.value.kinds == {OUTSIDE_DATES}


def test_a_busy_instructor_warns_and_saves_only_when_confirmed(client):
    instructor = make_user(None, Role.INSTRUCTOR, name="Aiko Tanaka")
    offering = nairobi_offering()
    elsewhere = nairobi_offering()
    offering.instructors.append(instructor)
    elsewhere.instructors.append(instructor)
    services.create_session(
        elsewhere,
        values(
            title="Mine clearance",
            start_time=time(10),
            end_time=time(12),
            instructor_id=instructor.id,
        ),
    )
    log_in_as(client, Role.COORDINATOR)
    data = session_form(instructor_id=str(instructor.id))  # 09:00-11:30, overlapping

    warned = client.post(sessions_url(offering, "/new"), data=data)

    assert warned.status_code == 422
    assert "Aiko Tanaka already teaches at this time: Mine clearance" in warnings_shown(warned)
    assert count_sessions() == 1
    # Ticking the box is not enough for a warning that was not shown.
    blind = client.post(
        sessions_url(offering, "/new"),
        data={**data, "acknowledged": OUTSIDE_DATES, "save_anyway": "y"},
    )
    assert blind.status_code == 422 and count_sessions() == 1

    saved = client.post(
        sessions_url(offering, "/new"),
        data={**data, "acknowledged": hidden_value(warned, "acknowledged"), "save_anyway": "y"},
    )

    assert saved.status_code == 302
    assert count_sessions() == 2


def test_overlaps_ignore_cancelled_sessions_and_sessions_that_only_touch():
    instructor = make_user(None, Role.INSTRUCTOR)
    offering = nairobi_offering()
    offering.instructors.append(instructor)
    first = services.create_session(
        offering, values(start_time=time(9), end_time=time(11), instructor_id=instructor.id)
    )
    # Back to back is fine.
    services.create_session(
        offering, values(start_time=time(11), end_time=time(12), instructor_id=instructor.id)
    )
    with pytest.raises(NeedsConfirmation) as warned:
        services.create_session(
            offering,
            values(start_time=time(10), end_time=time(10, 30), instructor_id=instructor.id),
        )
    assert warned.value.kinds == {OVERLAP}
    services.cancel_session(first)
    services.create_session(
        offering, values(start_time=time(10), end_time=time(10, 30), instructor_id=instructor.id)
    )
    assert count_sessions() == 3


# --- Series -------------------------------------------------------------------------------


def test_a_new_york_series_keeps_its_local_time_across_the_change_to_summer_time(coordinator):
    offering = march_offering()
    db.session.commit()

    response = coordinator.post(sessions_url(offering, "/series"), data=series_form())

    assert response.status_code == 302
    sessions = all_sessions()
    local = [s.starts_at.astimezone(services.ZoneInfo(NEW_YORK)) for s in sessions]
    assert [d.day for d in local] == [2, 4, 9, 11, 16, 18, 23, 25]
    assert {(d.hour, d.minute) for d in local} == {(7, 0)}
    # 07:00 EST is 12:00 UTC; from 14 March, 07:00 EDT is 11:00 UTC.
    assert [s.starts_at.hour for s in sessions] == [12, 12, 12, 12, 11, 11, 11, 11]
    assert [s.ends_at.hour for s in sessions] == [14, 14, 14, 14, 13, 13, 13, 13]
    assert {s.timezone for s in sessions} == {NEW_YORK}
    assert {s.revision for s in sessions} == {0}
    assert len({s.id for s in sessions}) == 8


def test_a_daily_series_skips_its_exceptions():
    offering = march_offering()
    sessions = services.create_series(
        offering,
        series_values(
            frequency="daily",
            first_date=date(2027, 3, 1),
            until=date(2027, 3, 7),
            exceptions=[date(2027, 3, 3), date(2027, 3, 6)],
        ),
    )
    days = [s.starts_at.astimezone(services.ZoneInfo(NEW_YORK)).day for s in sessions]
    assert days == [1, 2, 4, 5, 7]


def test_exceptions_are_read_from_the_form_and_must_be_dates_of_the_series(coordinator):
    offering = march_offering()
    db.session.commit()

    bad = coordinator.post(
        sessions_url(offering, "/series"), data=series_form(exceptions="2027-03-04, 4 March")
    )
    assert bad.status_code == 422
    assert "is not a date" in field_error(bad, "exceptions")
    stray = coordinator.post(
        sessions_url(offering, "/series"), data=series_form(exceptions="2027-03-05")
    )
    assert stray.status_code == 422
    assert "2027-03-05 is not one of the series' dates" in field_error(stray, "exceptions")
    assert count_sessions() == 0

    response = coordinator.post(
        sessions_url(offering, "/series"),
        data=series_form(exceptions="2027-03-04\n2027-03-16; 2027-03-04"),
    )

    assert response.status_code == 302
    assert count_sessions() == 6


def test_a_series_reports_every_date_that_falls_in_a_clock_change(coordinator):
    offering = march_offering()
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/series"),
        data=series_form(
            weekdays=["6"],
            first_date="2027-03-01",
            until="2028-03-31",
            start_time="02:30",
            end_time="03:30",
        ),
    )

    assert response.status_code == 422
    error = field_error(response, "start_time")
    assert GAP_MESSAGE in error
    assert "02:30 on 12 March 2028 does not exist in America/New_York" in error
    assert count_sessions() == 0
    with pytest.raises(InvalidValues) as refused:
        services.create_series(
            offering,
            series_values(
                weekdays=[6],
                first_date=date(2027, 10, 1),
                until=date(2027, 11, 30),
                start_time=time(1, 30),
                end_time=time(3, 0),
            ),
        )
    assert [p.message for p in refused.value.problems] == [FOLD_MESSAGE]


def test_a_series_is_capped(coordinator):
    offering = march_offering()
    db.session.commit()

    response = coordinator.post(
        sessions_url(offering, "/series"),
        data=series_form(frequency="daily", until="2027-12-31"),
    )

    assert response.status_code == 422
    assert f"at most {MAX_OCCURRENCES} sessions" in field_error(response, "until")
    assert count_sessions() == 0
    # Centuries of daily sessions are refused as quickly.
    with pytest.raises(InvalidValues):
        services.create_series(offering, series_values(frequency="daily", until=date(9999, 1, 1)))
    # Exactly the cap is allowed (with the dates outside the offering accepted).
    sessions = services.create_series(
        offering,
        series_values(
            frequency="daily", until=date(2027, 3, 1) + timedelta(days=MAX_OCCURRENCES - 1)
        ),
        override={OUTSIDE_DATES},
    )
    assert len(sessions) == MAX_OCCURRENCES


def test_series_rules_are_shown_at_their_fields(coordinator):
    offering = march_offering()
    db.session.commit()

    no_days = coordinator.post(sessions_url(offering, "/series"), data=series_form(weekdays=[]))
    assert "at least one day" in field_error(no_days, "weekdays")
    backwards = coordinator.post(
        sessions_url(offering, "/series"), data=series_form(until="2027-02-01")
    )
    assert "on or after its first day" in field_error(backwards, "until")
    late = coordinator.post(sessions_url(offering, "/series"), data=series_form(end_time="06:00"))
    assert "end after it starts" in field_error(late, "end_time")
    assert count_sessions() == 0


def test_a_series_outside_the_dates_or_overlapping_warns_about_every_session(coordinator):
    instructor = make_user(None, Role.INSTRUCTOR, name="Juma Otieno")
    offering = march_offering()
    offering.instructors.append(instructor)
    other = march_offering()
    other.instructors.append(instructor)
    for day in (9, 18):
        services.create_session(
            other,
            values(
                title="Radio procedure",
                start_date=date(2027, 3, day),
                start_time=time(8),
                end_time=time(10),
                timezone=NEW_YORK,
                instructor_id=instructor.id,
            ),
        )
    db.session.commit()
    data = series_form(until="2027-04-08", instructor_id=str(instructor.id))

    warned = coordinator.post(sessions_url(offering, "/series"), data=data)

    assert warned.status_code == 422
    shown = warnings_shown(warned)
    # Tuesdays and Thursdays: 1, 6 and 8 April are after the last day.
    assert "3 sessions of the series are outside the offering's dates" in shown
    assert "1 April 2027, 6 April 2027, 8 April 2027" in shown
    assert "Juma Otieno already teaches 2 sessions at these times: Radio procedure" in shown
    assert hidden_value(warned, "acknowledged") == f"{OUTSIDE_DATES},{OVERLAP}"
    assert count_sessions() == 2

    saved = coordinator.post(
        sessions_url(offering, "/series"),
        data={**data, "acknowledged": hidden_value(warned, "acknowledged"), "save_anyway": "y"},
    )

    assert saved.status_code == 302
    assert count_sessions() == 2 + 12


# --- Moving, cancelling, restoring --------------------------------------------------------


def _saved_session(offering, **changes) -> TrainingSession:
    session = services.create_session(offering, values(**changes))
    # Pretend it was saved long ago, so a change of updated_at shows.
    session.updated_at = utc(2026, 1, 1)
    db.session.commit()
    return session


def test_moving_a_session_bumps_its_revision_and_updated_at(coordinator):
    offering = nairobi_offering()
    session = _saved_session(offering)
    url = sessions_url(offering, f"/{session.id}/edit")

    form_page = coordinator.get(url)
    assert 'value="2027-06-08"' in text_of(form_page) and 'value="09:00"' in text_of(form_page)
    response = coordinator.post(
        url, data=session_form(start_date="2027-06-09", start_time="14:00", end_time="16:00")
    )

    assert response.status_code == 302
    db.session.refresh(session)
    assert session.starts_at == utc(2027, 6, 9, 11, 0)
    assert session.revision == 1
    assert session.updated_at > utc(2026, 1, 1)
    assert session.status == SessionStatus.SCHEDULED


def test_each_saved_change_bumps_the_revision_once_and_no_change_does_not():
    offering = nairobi_offering()
    session = _saved_session(offering)

    assert services.update_session(session, values()) is False
    assert session.revision == 0
    assert services.update_session(session, values(title="Casualty evacuation, night"))
    assert session.revision == 1
    assert services.update_session(
        session, values(title="Casualty evacuation, night", location="Field camp")
    )
    assert services.update_session(
        session,
        values(title="Casualty evacuation, night", location="Field camp", notes="Torches."),
    )
    db.session.commit()
    assert db.session.get(TrainingSession, session.id).revision == 3


def test_moving_checks_the_warnings_but_a_notes_edit_does_not():
    offering = nairobi_offering()
    session = _saved_session(offering)
    with pytest.raises(NeedsConfirmation):
        services.update_session(session, values(start_date=date(2027, 7, 1)))
    db.session.rollback()
    assert services.update_session(
        session, values(start_date=date(2027, 7, 1)), override={OUTSIDE_DATES}
    )
    # Already outside: editing its notes does not ask again.
    assert services.update_session(session, values(start_date=date(2027, 7, 1), notes="Moved."))


def test_a_session_keeps_an_instructor_who_left_the_offering(coordinator):
    instructor = make_user(None, Role.INSTRUCTOR, name="Leila Benali")
    offering = nairobi_offering()
    offering.instructors.append(instructor)
    session = _saved_session(offering, instructor_id=instructor.id)
    offering.instructors.clear()
    db.session.commit()
    url = sessions_url(offering, f"/{session.id}/edit")

    assert "Leila Benali" in text_of(coordinator.get(url))
    response = coordinator.post(
        url, data=session_form(instructor_id=str(instructor.id), notes="Bring torches.")
    )

    assert response.status_code == 302
    db.session.refresh(session)
    assert (session.instructor_id, session.notes) == (instructor.id, "Bring torches.")
    # Nobody else can be named who does not teach the offering.
    assert "Leila Benali" not in text_of(coordinator.get(sessions_url(offering, "/new")))


def test_a_forged_edit_cannot_change_status_or_revision(coordinator):
    offering = nairobi_offering()
    session = _saved_session(offering)

    coordinator.post(
        sessions_url(offering, f"/{session.id}/edit"),
        data=session_form(title="Renamed", status="cancelled", revision="99"),
    )

    db.session.refresh(session)
    assert (session.title, session.status, session.revision) == (
        "Renamed",
        SessionStatus.SCHEDULED,
        1,
    )


def test_cancelling_keeps_the_session_and_restoring_schedules_it_again(coordinator):
    offering = nairobi_offering()
    session = _saved_session(offering)

    response = coordinator.post(sessions_url(offering, f"/{session.id}/cancel"))

    assert response.status_code == 302
    db.session.refresh(session)
    assert session.status == SessionStatus.CANCELLED
    assert session.revision == 1
    assert session.updated_at > utc(2026, 1, 1)
    assert count_sessions() == 1
    timetable = text_of(coordinator.get(sessions_url(offering)))
    assert f'action="{sessions_url(offering, f"/{session.id}/restore")}"' in timetable

    again = coordinator.post(sessions_url(offering, f"/{session.id}/cancel"), follow_redirects=True)
    assert "already cancelled" in text_of(again)
    db.session.refresh(session)
    assert session.revision == 1

    restored = coordinator.post(sessions_url(offering, f"/{session.id}/restore"))

    assert restored.status_code == 302
    db.session.refresh(session)
    assert (session.status, session.revision) == (SessionStatus.SCHEDULED, 2)
    with pytest.raises(StatusError):
        services.restore_session(session)


def test_restoring_warns_but_does_not_refuse():
    instructor = make_user(None, Role.INSTRUCTOR)
    offering = nairobi_offering()
    offering.instructors.append(instructor)
    session = services.create_session(offering, values(instructor_id=instructor.id))
    services.cancel_session(session)
    services.create_session(offering, values(instructor_id=instructor.id, title="Replacement"))

    warnings = services.restore_session(session)

    assert [w.kind for w in warnings] == [OVERLAP]
    assert session.status == SessionStatus.SCHEDULED


def test_a_cancelled_offering_takes_no_new_sessions():
    offering = nairobi_offering()
    session = services.create_session(offering, values())
    services.cancel_session(session)
    offering.status = OfferingStatus.CANCELLED
    with pytest.raises(StatusError):
        services.create_session(offering, values())
    with pytest.raises(StatusError):
        services.create_series(offering, series_values())
    with pytest.raises(StatusError):
        services.restore_session(session)


# --- Who may schedule ---------------------------------------------------------------------

PAGES = ["", "/new", "/series", "/{session}/edit"]
ACTIONS = ["/{session}/cancel", "/{session}/restore"]


def _setup_urls():
    teacher = make_user("teacher@example.org", Role.INSTRUCTOR)
    offering = nairobi_offering()
    offering.instructors.append(teacher)
    session = services.create_session(offering, values())
    db.session.commit()
    return offering, session


def _urls(offering, session, templates) -> list[str]:
    return [sessions_url(offering, t.format(session=session.id)) for t in templates]


def test_anonymous_visitors_are_sent_to_log_in(client):
    offering, session = _setup_urls()
    for url in _urls(offering, session, PAGES):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/account/login" in response.headers["Location"], url
    for url in _urls(offering, session, ACTIONS):
        assert "/account/login" in client.post(url).headers["Location"], url


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.FOCAL_POINT, Role.INSTRUCTOR])
def test_others_are_refused(client, role):
    # An instructor who does not teach this offering is refused like a trainee.
    offering, session = _setup_urls()
    log_in_as(client, role)
    for url in _urls(offering, session, PAGES):
        assert client.get(url).status_code == 403, url
    for url in _urls(offering, session, ACTIONS):
        assert client.post(url).status_code == 403, url
    assert client.post(sessions_url(offering, "/new"), data=session_form()).status_code == 403
    db.session.refresh(session)
    assert (session.status, session.revision, count_sessions()) == ("scheduled", 0, 1)


def test_an_instructor_schedules_the_offerings_they_teach(client):
    offering, session = _setup_urls()
    teacher = offering.instructors[0]
    client.post("/account/login", data={"email": teacher.email, "password": PASSWORD})

    for url in _urls(offering, session, PAGES):
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(re.findall(r"<h1[ >]", text_of(response))) == 1, url
    assert 'href="/manage/offerings/' in text_of(client.get(f"/offerings/{offering.id}"))
    response = client.post(
        sessions_url(offering, "/new"),
        data=session_form(start_date="2027-06-10", instructor_id=str(teacher.id)),
    )
    assert response.status_code == 302
    assert client.post(sessions_url(offering, f"/{session.id}/cancel")).status_code == 302
    assert count_sessions() == 2


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_schedule_every_offering(client, role):
    offering, session = _setup_urls()
    log_in_as(client, role)
    for url in _urls(offering, session, PAGES):
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(re.findall(r"<h1[ >]", text_of(response))) == 1, url


def test_unknown_ids_and_sessions_of_other_offerings_are_not_found(coordinator):
    offering, session = _setup_urls()
    other = nairobi_offering()
    db.session.commit()
    for template in PAGES[1:] + ACTIONS:
        url = f"/manage/offerings/999999/sessions{template.format(session=session.id)}"
        method = coordinator.post if template in ACTIONS else coordinator.get
        assert method(url).status_code == 404, url
    for url in _urls(offering, SimpleNamespace(id=999999), PAGES[3:]):
        assert coordinator.get(url).status_code == 404, url
    for url in _urls(other, session, PAGES[3:]):
        assert coordinator.get(url).status_code == 404, url
    for url in _urls(other, session, ACTIONS):
        assert coordinator.post(url).status_code == 404, url
    assert coordinator.get("/manage/offerings/99999999999/sessions").status_code == 404
    db.session.refresh(session)
    assert (session.status, session.revision) == ("scheduled", 0)


# --- Pages --------------------------------------------------------------------------------


def test_the_offering_page_shows_the_timetable_in_both_zones(client):
    offering = nairobi_offering()
    services.create_session(offering, values(title="Opening brief"))
    cancelled = services.create_session(
        offering, values(title="Night navigation", start_date=date(2027, 6, 9))
    )
    services.cancel_session(cancelled)
    log_in_as(client, Role.TRAINEE, timezone="Asia/Tokyo")

    html = text_of(client.get(f"/offerings/{offering.id}"))

    assert "Time (Africa/Nairobi)" in html and "Your time (Asia/Tokyo)" in html
    # 09:00 in Nairobi is 15:00 in Tokyo.
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    opening = next(row for row in rows if "Opening brief" in row)
    assert "Jun 8, 2027, 9:00\u202fAM" in opening
    assert "Jun 8, 2027, 3:00\u202fPM" in opening
    night = next(row for row in rows if "Night navigation" in row)
    assert 'class="cancelled"' in night and "Cancelled" in night
    assert "/manage/" not in html


def test_form_pages_label_every_field_and_have_unique_ids(coordinator):
    offering, session = _setup_urls()
    pages = [coordinator.get(url) for url in _urls(offering, session, PAGES)]
    pages.append(
        coordinator.post(sessions_url(offering, "/new"), data=session_form(start_date="2027-07-01"))
    )
    for response in pages:
        html = text_of(response)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), response.request.path
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if re.search(r'type="(hidden|submit)"', tag):
                continue
            field_id = re.search(r'\sid="([^"]+)"', tag)
            assert field_id and field_id.group(1) in labelled, tag
    series_page = text_of(pages[2])
    assert "<legend>Days of the week</legend>" in series_page
    assert "<legend>Repeats</legend>" in series_page
    assert 'scope="col"' in text_of(pages[0]) and 'scope="row"' in text_of(pages[0])


def test_every_form_needs_its_csrf_token(app, coordinator, monkeypatch):
    offering, session = _setup_urls()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    assert coordinator.post(sessions_url(offering, "/new"), data=session_form()).status_code == 400
    assert coordinator.post(sessions_url(offering, f"/{session.id}/cancel")).status_code == 400
    assert 'name="csrf_token"' in text_of(coordinator.get(sessions_url(offering, "/new")))
    db.session.refresh(session)
    assert (count_sessions(), session.status) == (1, "scheduled")
