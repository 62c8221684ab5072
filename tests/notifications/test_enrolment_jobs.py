"""The jobs around enrolment: windows opening and closing, quota release, waiting-list
offers that run out, the daily digest and the clean-up. Each is run twice where a
second run could do harm."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from catalog.enrolment import services as enrolment
from catalog.extensions import db
from catalog.feeds.services import issue_token
from catalog.jobs import (
    clean_up,
    daily_digest,
    enrolment_windows,
    expire_waitlist_offers,
    release_due_quotas,
)
from catalog.models import (
    Enrolment,
    EnrolmentStatus,
    EnrolmentWatch,
    FeedToken,
    Invitation,
    NoticeMark,
    OfferingQuota,
    Role,
    SeatAllocation,
)
from tests.notifications.support import NOW, confirm, offering_on, outbox, trainee

START = date(2031, 3, 3)
OPENS = date(2031, 1, 1)
NOTHING = "0 opening notices, 0 closing notices"
CLOSES = date(2031, 2, 10)


def status_of(enrolment_row: Enrolment) -> EnrolmentStatus:
    return db.session.scalar(select(Enrolment.status).where(Enrolment.id == enrolment_row.id))


def nairobi_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=3)


# --- Quotas and waiting-list offers ---------------------------------------------------------


def quota_offering():
    """Five seats: two kept for Kenya, two for Uganda, one open. Kenya uses one of
    its two; Rwanda and Uganda each have someone waiting, Rwanda first."""
    offering = offering_on(
        START,
        capacity=5,
        seat_allocation=SeatAllocation.FIRST_COME,
        enrolment_opens_on=OPENS,
        enrolment_closes_on=CLOSES,
    )
    offering.quotas += [
        OfferingQuota(country_code="KE", seats=2),
        OfferingQuota(country_code="UG", seats=2),
    ]
    db.session.commit()
    applied_at = datetime(2031, 1, 15, 9, tzinfo=UTC)
    rows = {}
    for name, country in [
        ("ke1", "KE"),
        ("ug1", "UG"),
        ("ug2", "UG"),
        ("rw1", "RW"),
        ("rw2", "RW"),
        ("ug3", "UG"),
    ]:
        person = trainee(f"{name}@example.org", country=country)
        db.session.commit()
        rows[name] = enrolment.apply(person, offering.id, now=applied_at)
        db.session.commit()
        applied_at += timedelta(minutes=1)
    return offering, rows


def test_quota_release_at_its_date_gives_the_free_seat_to_the_first_waiting():
    offering, rows = quota_offering()
    assert [status_of(rows[n]) for n in ("rw2", "ug3")] == [EnrolmentStatus.WAITLISTED] * 2
    release = offering.quota_release_at
    assert release == nairobi_midnight(CLOSES + timedelta(days=1))

    assert release_due_quotas(release - timedelta(minutes=1)) == "0 offerings released, 0 promoted"
    assert release_due_quotas(release + timedelta(minutes=4)) == "1 offerings released, 1 promoted"
    assert release_due_quotas(release + timedelta(minutes=19)) == "0 offerings released, 0 promoted"

    # Kenya's unused seat goes to the first in line, whatever the country.
    assert status_of(rows["rw2"]) == EnrolmentStatus.CONFIRMED
    assert status_of(rows["ug3"]) == EnrolmentStatus.WAITLISTED
    promoted = db.session.get(Enrolment, rows["rw2"].id)
    assert promoted.offer_expires_at == release + timedelta(minutes=4, hours=72)
    [message] = outbox("enrolment_promoted")
    assert message.recipient.email == "rw2@example.org"


def test_an_offer_not_accepted_in_time_goes_to_the_next_person_waiting():
    offering, rows = quota_offering()
    released = offering.quota_release_at + timedelta(minutes=4)
    release_due_quotas(released)
    deadline = db.session.get(Enrolment, rows["rw2"].id).offer_expires_at

    assert expire_waitlist_offers(deadline - timedelta(minutes=1)) == "0 offers expired"
    assert expire_waitlist_offers(deadline + timedelta(minutes=10)) == "1 offers expired"
    assert expire_waitlist_offers(deadline + timedelta(minutes=25)) == "0 offers expired"

    assert status_of(rows["rw2"]) == EnrolmentStatus.WITHDRAWN
    assert status_of(rows["ug3"]) == EnrolmentStatus.CONFIRMED
    [expired] = outbox("offer_expired")
    assert expired.recipient.email == "rw2@example.org"
    assert [m.recipient.email for m in outbox("enrolment_promoted")] == [
        "rw2@example.org",
        "ug3@example.org",
    ]

    # The next person accepts: their place no longer runs out.
    next_one = db.session.get(Enrolment, rows["ug3"].id)
    assert next_one.offer_expires_at is not None
    enrolment.accept_offer(next_one.user, next_one.id)
    db.session.commit()
    assert expire_waitlist_offers(deadline + timedelta(days=10)) == "0 offers expired"
    assert status_of(rows["ug3"]) == EnrolmentStatus.CONFIRMED


# --- Enrolment windows --------------------------------------------------------------------


def test_watchers_hear_once_when_enrolment_opens_in_their_zone():
    offering = offering_on(START, enrolment_opens_on=OPENS, enrolment_closes_on=CLOSES)
    anne = trainee("anne@example.org", language="fr", timezone="Europe/Paris")
    raj = trainee("raj@example.org", timezone="Asia/Kolkata")
    not_watching = trainee("bystander@example.org")
    for person in (anne, raj):
        db.session.add(EnrolmentWatch(user=person, offering=offering))
    db.session.commit()
    opens = nairobi_midnight(OPENS)

    assert enrolment_windows(opens - timedelta(minutes=1)) == NOTHING
    assert enrolment_windows(opens + timedelta(minutes=7)) == "2 opening notices, 0 closing notices"
    assert enrolment_windows(opens + timedelta(minutes=22)) == NOTHING

    messages = outbox("enrolment_opened")
    assert sorted(m.recipient.email for m in messages) == ["anne@example.org", "raj@example.org"]
    assert not_watching.id not in {m.recipient_id for m in messages}
    # Enrolment closes at midnight after 10 February in Nairobi: 22:00 in Paris,
    # 02:30 on the 11th in Kolkata.
    to_anne = next(m for m in messages if m.recipient_id == anne.id)
    to_raj = next(m for m in messages if m.recipient_id == raj.id)
    assert "10 févr. 2031, 22:00 (Europe/Paris)" in to_anne.body
    assert '<html lang="fr">' in to_anne.html_body
    assert "Feb 11, 2031, 2:30\u202fAM (Asia/Kolkata)" in to_raj.body
    watch = db.session.get(EnrolmentWatch, (anne.id, offering.id))
    assert watch.notified_at == opens + timedelta(minutes=7)


def test_applications_still_waiting_when_enrolment_closes_hear_once():
    offering = offering_on(START, enrolment_opens_on=OPENS, enrolment_closes_on=CLOSES)
    waiting = trainee("waiting@example.org")
    nominated = trainee("nominated@example.org")
    confirm(waiting, offering, status=EnrolmentStatus.APPLIED)
    confirm(nominated, offering, status=EnrolmentStatus.NOMINATED)
    db.session.commit()
    closes = nairobi_midnight(CLOSES + timedelta(days=1))

    assert enrolment_windows(closes - timedelta(minutes=1)) == NOTHING
    assert enrolment_windows(closes + timedelta(hours=2)) == "0 opening notices, 1 closing notices"
    assert enrolment_windows(closes + timedelta(hours=3)) == NOTHING
    assert [m.recipient.email for m in outbox("enrolment_closed")] == ["waiting@example.org"]


def test_a_scheduler_back_after_a_long_outage_sends_no_stale_closing_notices():
    offering = offering_on(START, enrolment_opens_on=OPENS, enrolment_closes_on=CLOSES)
    confirm(trainee(), offering, status=EnrolmentStatus.APPLIED)
    db.session.commit()
    closes = nairobi_midnight(CLOSES + timedelta(days=1))
    assert enrolment_windows(closes + timedelta(days=8)) == NOTHING


# --- Daily digest -------------------------------------------------------------------------


def digest_setting():
    offering = offering_on(START)
    focal_ke = trainee("focal.ke@example.org", Role.FOCAL_POINT, country="KE", language="fr")
    trainee("quiet.focal@example.org", Role.FOCAL_POINT, country="KE", digest_enabled=False)
    trainee("focal.rw@example.org", Role.FOCAL_POINT, country="RW")  # nothing waits
    coordinator = trainee("coordinator@example.org", Role.COORDINATOR)
    for country in ("KE", "KE", "UG"):
        confirm(trainee(country=country), offering, status=EnrolmentStatus.APPLIED)
    confirm(trainee(country="UG"), offering, status=EnrolmentStatus.NOMINATED)
    db.session.commit()
    return focal_ke, coordinator


def test_the_digest_goes_once_a_day_to_those_with_something_waiting():
    focal_ke, coordinator = digest_setting()
    day = datetime(2031, 2, 20, tzinfo=UTC)

    assert daily_digest(day + timedelta(hours=5, minutes=59)) == "not due before 06:00 UTC"
    assert daily_digest(day + timedelta(hours=6)) == "2 digests queued"
    assert daily_digest(day + timedelta(hours=6, minutes=1)) == "0 digests queued"
    assert daily_digest(day + timedelta(hours=23, minutes=59)) == "0 digests queued"

    digests = outbox("digest")
    assert sorted(m.recipient.email for m in digests) == [
        "coordinator@example.org",
        "focal.ke@example.org",
    ]
    to_focal = next(m for m in digests if m.recipient_id == focal_ke.id)
    to_coordinator = next(m for m in digests if m.recipient_id == coordinator.id)
    # The focal point reads French.
    assert "2 candidatures de votre pays attendent une désignation." in to_focal.body
    assert "/nominations" in to_focal.body
    assert '<html lang="fr">' in to_focal.html_body
    assert "1 nomination waits for selection." in to_coordinator.body

    # The next day, once again; a scheduler that was down at 06:00 sends it later.
    assert daily_digest(day + timedelta(days=1, hours=9)) == "2 digests queued"
    assert daily_digest(day + timedelta(days=1, hours=9)) == "0 digests queued"


# --- Clean-up -------------------------------------------------------------------------------


def test_clean_up_forgets_old_revoked_tokens_stale_invitations_and_marks():
    owner = trainee()
    old = issue_token(owner, "old phone")
    recent = issue_token(owner, "laptop")
    live = issue_token(owner, "desk")
    db.session.flush()
    old.revoked_at = NOW - timedelta(days=31)
    recent.revoked_at = NOW - timedelta(days=29)
    started = offering_on(NOW.date() - timedelta(days=1))
    coming = offering_on(NOW.date() + timedelta(days=10))
    focal = trainee(None, Role.FOCAL_POINT, country="KE")
    for offering, email in ((started, "late@example.org"), (coming, "soon@example.org")):
        db.session.add(
            Invitation(email=email, offering=offering, country_code="KE", invited_by=focal)
        )
    db.session.add(NoticeMark(key="digest:1:2029-01-01", created_at=NOW - timedelta(days=401)))
    db.session.add(NoticeMark(key="digest:1:2031-03-02", created_at=NOW - timedelta(days=1)))
    db.session.commit()
    old_id, recent_id, live_id = old.id, recent.id, live.id

    assert clean_up(NOW) == "1 feed tokens, 1 invitations, 1 notice marks removed"
    assert clean_up(NOW) == "0 feed tokens, 0 invitations, 0 notice marks removed"
    assert set(db.session.scalars(select(FeedToken.id))) == {recent_id, live_id}
    assert old_id not in set(db.session.scalars(select(FeedToken.id)))
    assert list(db.session.scalars(select(Invitation.email))) == ["soon@example.org"]
    assert db.session.scalar(select(func.count()).select_from(NoticeMark)) == 1
