"""Session reminders: a day and an hour before, once each, in the trainee's language
and zone, caught up after an outage without repeats, and only for those who want them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from catalog.extensions import db
from catalog.jobs import daily_digest, send_session_reminders
from catalog.models import (
    EnrolmentStatus,
    OfferingStatus,
    Role,
    SessionReminder,
    SessionStatus,
)
from catalog.notifications.delivery import deliver_due
from tests.notifications.support import (
    NOW,
    confirm,
    html_part,
    offering_on,
    outbox,
    session_at,
    text_part,
    trainee,
)

# 14:00 UTC on Tuesday 4 March 2031: 15:00 in Paris (CET), 09:00 in New York (EST).
START = NOW + timedelta(hours=30)
PARIS_TIME = "4 mars 2031, 15:00 – 17:00 (Europe/Paris)"
NEW_YORK_TIME = "Mar 4, 2031, 9:00\u202fAM – 11:00\u202fAM (America/New York)"
LINK = "https://meet.example.org/mine-awareness"


def reminders_at(moment) -> str:
    return send_session_reminders(moment)


def subjects(messages) -> list[str]:
    return [m.subject for m in messages]


def test_a_day_and_an_hour_before_once_each_in_each_trainees_zone_and_language(mailbox):
    offering = offering_on(START.date())
    session = session_at(offering, START, title="Mine awareness")
    amelie = trainee("amelie@example.org", language="fr", timezone="Europe/Paris")
    bob = trainee("bob@example.org", language="en", timezone="America/New_York")
    confirm(amelie, offering)
    confirm(bob, offering)
    db.session.commit()

    assert reminders_at(START - timedelta(hours=24, minutes=1)) == "0 reminders queued"
    assert reminders_at(START - timedelta(hours=23, minutes=58)) == "2 reminders queued"
    # Every five minutes for the rest of the day: nothing more until the hour.
    moment = START - timedelta(hours=23, minutes=53)
    while moment < START - timedelta(minutes=60):
        assert reminders_at(moment) == "0 reminders queued", moment
        moment += timedelta(minutes=5)
    assert reminders_at(START - timedelta(minutes=58)) == "2 reminders queued"
    for minutes in (53, 30, 5, 1):
        assert reminders_at(START - timedelta(minutes=minutes)) == "0 reminders queued"
    assert reminders_at(START + timedelta(minutes=1)) == "0 reminders queued"

    french, english = (
        [m for m in outbox("reminder") if m.recipient_id == person.id] for person in (amelie, bob)
    )
    assert subjects(english) == [
        "Reminder: Mine awareness starts in 24 hours",
        "Reminder: Mine awareness starts in 58 minutes",
    ]
    for message in french:
        assert PARIS_TIME in message.body
        assert LINK in message.body
        assert '<html lang="fr">' in message.html_body
    for message in english:
        assert NEW_YORK_TIME in message.body
        assert LINK in message.body
        assert '<html lang="en">' in message.html_body
    rows = db.session.scalars(select_reminders(session.id)).all()
    assert sorted((r.user_id, r.offset_minutes) for r in rows) == sorted(
        [(amelie.id, 1440), (amelie.id, 60), (bob.id, 1440), (bob.id, 60)]
    )

    assert str(deliver_due(START - timedelta(minutes=57))) == "4 sent, 0 failed"
    assert str(deliver_due(START - timedelta(minutes=50))) == "0 sent, 0 failed"
    assert len(mailbox.to("amelie@example.org")) == 2
    assert len(mailbox.to("bob@example.org")) == 2
    french_mail = mailbox.to("amelie@example.org")[1]
    assert PARIS_TIME in text_part(french_mail)
    assert '<html lang="fr">' in html_part(french_mail)


def select_reminders(session_id: int):
    return select(SessionReminder).where(SessionReminder.session_id == session_id)


def test_three_hours_down_then_catching_up_without_duplicates(mailbox):
    offering = offering_on(NOW.date())
    # Its day-before reminder fell due two hours into the outage.
    session_at(offering, NOW + timedelta(hours=22), title="Convoy drills")
    people = [trainee(f"t{n}@example.org", timezone="Africa/Nairobi") for n in range(3)]
    for person in people:
        confirm(person, offering)
    db.session.commit()
    assert reminders_at(NOW - timedelta(hours=3)) == "0 reminders queued"

    # Down from NOW - 3 h to NOW. Meanwhile a session was added 40 minutes ahead of
    # NOW: both of its reminders fell due while nobody was looking.
    soon = session_at(offering, NOW + timedelta(minutes=40), title="Radio checks")
    db.session.commit()
    # Back, the job runs twice in a row (run-once and the scheduler's own start,
    # say), then every five minutes.
    assert reminders_at(NOW) == "6 reminders queued"
    assert reminders_at(NOW) == "0 reminders queued"
    for step in range(1, 13):
        assert reminders_at(NOW + timedelta(minutes=5 * step)) == "0 reminders queued"

    messages = outbox("reminder")
    assert sorted(subjects(messages)) == sorted(
        ["Reminder: Convoy drills starts in 22 hours"] * 3
        + ["Reminder: Radio checks starts in 40 minutes"] * 3
    )
    # The day-before reminder of "Radio checks" is recorded as done, never sent late.
    done = {(r.session_id, r.offset_minutes) for r in db.session.scalars(select_reminders(soon.id))}
    assert done == {(soon.id, 1440), (soon.id, 60)}

    assert str(deliver_due(NOW)) == "6 sent, 0 failed"
    assert str(deliver_due(NOW + timedelta(minutes=5))) == "0 sent, 0 failed"
    for person in people:
        assert sorted(m["Subject"] for m in mailbox.to(person.email)) == [
            "Reminder: Convoy drills starts in 22 hours",
            "Reminder: Radio checks starts in 40 minutes",
        ]


def test_nobody_gets_the_day_before_reminder_an_hour_before():
    offering = offering_on(NOW.date())
    session_at(offering, NOW + timedelta(minutes=50))
    confirm(trainee(), offering)
    db.session.commit()

    assert reminders_at(NOW) == "1 reminders queued"
    [message] = outbox("reminder")
    assert message.subject == "Reminder: Mine awareness starts in 50 minutes"
    assert "24 hours" not in message.subject
    assert reminders_at(NOW + timedelta(minutes=20)) == "0 reminders queued"


def test_a_moved_session_is_reminded_again_at_its_new_time():
    offering = offering_on(START.date())
    session = session_at(offering, START)
    confirm(trainee(), offering)
    db.session.commit()
    assert reminders_at(START - timedelta(hours=23)) == "1 reminders queued"

    session.starts_at += timedelta(hours=5)
    session.ends_at += timedelta(hours=5)
    db.session.commit()
    # The old start's reminder stays sent; the new start is 28 hours away.
    assert reminders_at(START - timedelta(hours=23)) == "0 reminders queued"
    new_start = START + timedelta(hours=5)
    assert reminders_at(new_start - timedelta(hours=23, minutes=55)) == "1 reminders queued"
    assert len(outbox("reminder")) == 2


def test_only_confirmed_trainees_who_want_reminders_of_sessions_that_take_place():
    offering = offering_on(START.date())
    session_at(offering, START)
    keen = trainee("keen@example.org")
    quiet = trainee("quiet@example.org", reminders_enabled=False)
    waiting = trainee("waiting@example.org")
    confirm(keen, offering)
    confirm(quiet, offering)
    confirm(waiting, offering, status=EnrolmentStatus.WAITLISTED)
    cancelled_session_offering = offering_on(START.date())
    session_at(cancelled_session_offering, START, status=SessionStatus.CANCELLED)
    confirm(trainee("cancelled-session@example.org"), cancelled_session_offering)
    cancelled_offering = offering_on(START.date(), status=OfferingStatus.CANCELLED)
    session_at(cancelled_offering, START)
    confirm(trainee("cancelled-offering@example.org"), cancelled_offering)
    db.session.commit()

    assert reminders_at(START - timedelta(minutes=30)) == "1 reminders queued"
    assert [m.recipient.email for m in outbox("reminder")] == ["keen@example.org"]


def test_the_html_part_escapes_what_people_typed():
    offering = offering_on(START.date())
    session_at(offering, START, title="<script>alert('x')</script> & drills", online_url="")
    confirm(trainee(), offering)
    db.session.commit()

    reminders_at(START - timedelta(minutes=30))
    [message] = outbox("reminder")
    assert "<script>" not in message.html_body
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; drills" in message.html_body
    # The plain-text part and the subject are text, not markup: kept as typed.
    assert "<script>alert('x')</script> & drills" in message.body
    assert message.subject.startswith("Reminder: <script>")
    assert "Join online" not in message.body


def test_choices_saved_on_the_profile_page_are_what_the_jobs_obey(client, auth):
    offering = offering_on(START.date())
    session_at(offering, START)
    person = trainee("chooser@example.org", Role.FOCAL_POINT, country="KE")
    confirm(person, offering)
    confirm(trainee(country="KE"), offering, status=EnrolmentStatus.APPLIED)
    db.session.commit()

    auth.login("chooser@example.org")
    form = {
        "name": person.name,
        "country": "KE",
        "timezone": "Africa/Nairobi",
        "language": "en",
        "gender": "",
        "submit": "Save profile",
    }  # both boxes unticked
    assert client.post("/account/profile", data=form).status_code == 302
    assert reminders_at(START - timedelta(minutes=30)) == "0 reminders queued"
    assert daily_digest(START.replace(hour=7)) == "0 digests queued"

    form.update(reminders_enabled="y", digest_enabled="y")
    assert client.post("/account/profile", data=form).status_code == 302
    assert reminders_at(START - timedelta(minutes=20)) == "1 reminders queued"
    assert daily_digest(START.replace(hour=8)) == "1 digests queued"
    assert {m.kind for m in outbox()} == {"reminder", "digest"}
