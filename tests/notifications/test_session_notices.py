"""Sessions added, moved and cancelled: confirmed trainees hear once, with the time in
their zone and an invitation whose UID and SEQUENCE are the feed's."""

from __future__ import annotations

from datetime import date, time

from icalendar import Calendar

from catalog.extensions import db
from catalog.manage.services import cancel_offering
from catalog.models import EnrolmentStatus, OfferingStatus
from catalog.notifications.delivery import deliver_due
from catalog.sessions import services
from catalog.sessions.services import SeriesValues, SessionValues
from tests.notifications.support import (
    NOW,
    calendar_part,
    confirm,
    html_part,
    offering_on,
    outbox,
    text_part,
    trainee,
)

NAIROBI = "Africa/Nairobi"
FIRST_DAY = NOW.date()  # Monday 3 March 2031


def values(day: date, start: time, end: time, **fields) -> SessionValues:
    return SessionValues(
        title=fields.pop("title", "Protection of civilians"),
        start_date=day,
        start_time=start,
        end_time=end,
        timezone=NAIROBI,
        online_url=fields.pop("online_url", "https://meet.example.org/poc"),
        **fields,
    )


def event_of(calendar_text: str | bytes):
    calendar = Calendar.from_ical(calendar_text)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def feed_event(client, offering_id: int, uid: str):
    response = client.get(f"/feeds/offerings/{offering_id}.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    assert "METHOD" not in calendar  # a subscription feed never carries one
    [event] = [e for e in calendar.walk("VEVENT") if str(e["UID"]) == uid]
    return event


def setting():
    """A published offering in Nairobi with a French trainee in New York and an
    English one in Tokyo, both confirmed, and one still applying."""
    offering = offering_on(FIRST_DAY, timezone=NAIROBI)
    claire = trainee("claire@example.org", language="fr", timezone="America/New_York")
    kenji = trainee("kenji@example.org", language="en", timezone="Asia/Tokyo")
    applying = trainee("applying@example.org")
    confirm(claire, offering)
    confirm(kenji, offering)
    confirm(applying, offering, status=EnrolmentStatus.APPLIED)
    db.session.commit()
    return offering, claire, kenji


def test_a_moved_session_sends_one_notice_with_a_request_matching_the_feed(client, mailbox):
    offering, claire, kenji = setting()
    session = services.create_session(offering, values(date(2031, 3, 4), time(9), time(11)))
    db.session.commit()
    added = outbox("session_added")
    assert sorted(m.recipient.email for m in added) == ["claire@example.org", "kenji@example.org"]

    # 14:00-16:00 in Nairobi on 5 March is 11:00-13:00 UTC: 06:00 in New York (EST),
    # 20:00 in Tokyo.
    assert services.update_session(session, values(date(2031, 3, 5), time(14), time(16)))
    db.session.commit()

    moved = outbox("session_moved")
    assert sorted(m.recipient.email for m in moved) == ["claire@example.org", "kenji@example.org"]
    to_claire = next(m for m in moved if m.recipient_id == claire.id)
    to_kenji = next(m for m in moved if m.recipient_id == kenji.id)
    assert "5 mars 2031, 06:00 – 08:00 (America/New York)" in to_claire.body
    assert '<html lang="fr">' in to_claire.html_body
    assert "Mar 5, 2031, 8:00\u202fPM – 10:00\u202fPM (Asia/Tokyo)" in to_kenji.body
    assert "https://meet.example.org/poc" in to_kenji.body

    calendar, event = event_of(to_claire.calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    published = feed_event(client, offering.id, str(event["UID"]))
    assert str(event["UID"]) == f"session-{session.id}@localhost"
    assert int(event["SEQUENCE"]) == int(published["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == published.decoded("DTSTART")
    assert event.decoded("DTSTART").isoformat() == "2031-03-05T14:00:00+03:00"
    _, first_invitation = event_of(next(m for m in added if m.recipient_id == claire.id).calendar)
    assert str(first_invitation["UID"]) == str(event["UID"])
    assert int(first_invitation["SEQUENCE"]) == 0

    # Saving the same values again changes nothing and tells nobody.
    assert not services.update_session(session, values(date(2031, 3, 5), time(14), time(16)))
    db.session.commit()
    assert len(outbox("session_moved")) == 2

    deliver_due(NOW)
    # Claire reads French: "Séance modifiée : …".
    [email] = [m for m in mailbox.to("claire@example.org") if "modifiée" in m["Subject"]]
    invitation = calendar_part(email)
    assert invitation.get_param("method") == "REQUEST"
    assert "06:00 – 08:00 (America/New York)" in text_part(email)
    assert '<html lang="fr">' in html_part(email)


def test_a_cancelled_session_sends_a_cancel_matching_the_feed(client, mailbox):
    offering, claire, _kenji = setting()
    session = services.create_session(offering, values(date(2031, 3, 4), time(9), time(11)))
    db.session.commit()

    services.cancel_session(session)
    db.session.commit()

    cancelled = outbox("session_cancelled")
    assert len(cancelled) == 2
    to_claire = next(m for m in cancelled if m.recipient_id == claire.id)
    assert "https://meet.example.org/poc" not in to_claire.body  # nothing to join
    calendar, event = event_of(to_claire.calendar)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    published = feed_event(client, offering.id, str(event["UID"]))
    assert str(published["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == int(published["SEQUENCE"]) == 1

    deliver_due(NOW)
    [email] = [m for m in mailbox.to("claire@example.org") if "annulée" in m["Subject"]]
    assert calendar_part(email).get_param("method") == "CANCEL"


def test_a_new_series_sends_one_message_per_trainee():
    offering, _claire, _kenji = setting()
    services.create_series(
        offering,
        SeriesValues(
            title="Morning briefing",
            first_date=FIRST_DAY,
            until=FIRST_DAY.replace(day=7),
            start_time=time(8),
            end_time=time(9),
            timezone=NAIROBI,
            frequency="daily",
        ),
    )
    db.session.commit()
    # Kenji reads English, Claire French.
    [to_claire, to_kenji] = sorted(outbox("sessions_added"), key=lambda m: m.recipient.email)
    assert to_kenji.subject.startswith("New sessions: ")
    assert to_claire.subject.startswith("Nouvelles séances : ")
    assert to_claire.subject.endswith(to_kenji.subject.removeprefix("New sessions: "))
    assert "5 sessions were added" in to_kenji.body
    assert "5 séances ont été ajoutées" in to_claire.body
    assert outbox("session_added") == []


def test_changes_to_an_unpublished_offering_tell_nobody():
    offering, _claire, _kenji = setting()
    offering.status = OfferingStatus.DRAFT
    db.session.commit()
    session = services.create_session(offering, values(date(2031, 3, 4), time(9), time(11)))
    services.cancel_session(session)
    db.session.commit()
    assert outbox() == []


def test_a_cancelled_offering_tells_everyone_with_a_live_enrolment_once():
    offering, _claire, _kenji = setting()
    refused = trainee("refused@example.org")
    confirm(refused, offering, status=EnrolmentStatus.DECLINED)
    db.session.commit()

    cancel_offering(offering)
    db.session.commit()
    assert sorted(m.recipient.email for m in outbox("offering_cancelled")) == [
        "applying@example.org",
        "claire@example.org",
        "kenji@example.org",
    ]
