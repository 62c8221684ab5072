"""Records: attendance for a whole class, results and certificates with their public
verification, trainers from the training of trainers and who they trained, and
end-of-course feedback; through the real forms and pages and through the services."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from catalog.database import utcnow
from catalog.extensions import db
from catalog.manage.services import InvalidValues
from catalog.models import (
    Attendance,
    AttendanceStatus,
    Certificate,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Feedback,
    Level,
    OfferingStatus,
    Role,
    SessionStatus,
    TrainerAssignment,
    TrainerRole,
    TrainingSession,
)
from catalog.records import services
from catalog.records.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CertificateState,
    NotAllowed,
    RecordsConflict,
    RecordsError,
    Result,
)
from tests.factories import PASSWORD, make_course, make_offering, make_user
from tests.html import assert_accessible_layout, page

TODAY = date.today()


# --- Helpers --------------------------------------------------------------------------------


@pytest.fixture
def log_in(app):
    """A logged-in browser for a user: each person gets their own client."""

    def log_in(user):
        browser = app.test_client()
        response = browser.post("/account/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, "logged in"
        return browser

    return log_in


def person(name="Trainee", *roles, country="KE", email=None, **fields):
    user = make_user(email, *roles, country=country, name=name, **fields)
    db.session.commit()
    return user


def offering_between(starts_in: int, ends_in: int, **fields):
    """A published offering from ``starts_in`` to ``ends_in`` days from today."""
    starts_on = TODAY + timedelta(days=starts_in)
    offering = make_offering(
        starts_on=starts_on,
        ends_on=TODAY + timedelta(days=ends_in),
        enrolment_opens_on=starts_on - timedelta(days=60),
        enrolment_closes_on=starts_on - timedelta(days=20),
        **fields,
    )
    db.session.commit()
    return offering


def seat(offering, user, status=EnrolmentStatus.CONFIRMED) -> Enrolment:
    enrolment = Enrolment(
        user=user, offering=offering, country_code=user.country_code, status=status
    )
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def session_of(offering, hours_ago=48, title="Day 1: safety briefing", **fields):
    starts_at = utcnow() - timedelta(hours=hours_ago)
    session = TrainingSession(
        offering=offering,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        timezone=offering.timezone,
        **fields,
    )
    db.session.add(session)
    db.session.commit()
    return session


def instructor_of(offering, name="Instructor"):
    user = make_user(None, Role.INSTRUCTOR, name=name)
    offering.instructors.append(user)
    db.session.commit()
    return user


def text(response) -> str:
    return response.get_data(as_text=True)


def visible_text(response) -> str:
    """The page's words without tags, with whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def redirected_to(response) -> str:
    assert response.status_code == 302, text(response)
    return urlsplit(response.headers["Location"]).path


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def checked(response, name: str) -> str | None:
    """The value of the checked radio button named ``name``, if any."""
    for attributes in page(response).all("input", name=name):
        if "checked" in attributes:
            return attributes["value"]
    return None


def marks(session) -> dict[int, AttendanceStatus]:
    db.session.expire_all()
    return {
        row.enrolment_id: row.status
        for row in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }


def events_of(enrolment) -> list[tuple[str, int | None, str | None, str]]:
    db.session.expire_all()
    return [
        (e.action, e.actor_id, e.from_status and e.from_status.value, e.to_status.value)
        for e in db.session.scalars(
            select(EnrolmentEvent)
            .where(EnrolmentEvent.enrolment_id == enrolment.id)
            .order_by(EnrolmentEvent.id)
        )
    ]


def certificate_of(enrolment) -> Certificate | None:
    db.session.expire_all()
    return db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id))


@pytest.fixture
def ended_class():
    """An offering that ended three days ago (a course whose qualification lapses
    after four years), its instructor and a class of three, one waiting."""
    course = make_course("HEE-B", qualification_valid_years=4)
    offering = offering_between(-30, -3, course=course)
    instructor = instructor_of(offering, "Ines Instructor")
    trainees = [
        seat(offering, person("Amina Odhiambo")),
        seat(offering, person("Brian Otieno")),
        seat(offering, person("Chen Wei", country="UG")),
    ]
    waiting = seat(offering, person("Wanjiru Waiting"), EnrolmentStatus.WAITLISTED)
    return offering, instructor, trainees, waiting


# --- Attendance -----------------------------------------------------------------------------


def attendance_url(offering, session) -> str:
    return f"/manage/offerings/{offering.id}/sessions/{session.id}/attendance"


def test_attendance_for_the_whole_class_is_saved_at_once_and_shown_back(log_in, ended_class):
    offering, instructor, (amina, brian, chen), waiting = ended_class
    session = session_of(offering)
    browser = log_in(instructor)
    url = attendance_url(offering, session)

    form = browser.get(url)
    assert form.status_code == 200
    doc = page(form)
    groups = doc.all("fieldset")
    assert [group["id"] for group in groups] == [f"mark_{e.id}" for e in (amina, brian, chen)]
    assert "Attendance of Amina Odhiambo" in doc.text_by_id.get(f"mark_{amina.id}", "")
    assert "Wanjiru Waiting" not in visible_text(form), "only trainees with a place"
    assert len(doc.all("input", type="submit")) == 1, "one Save for the class"

    response = browser.post(
        url,
        data={
            f"mark_{amina.id}": "present",
            f"mark_{brian.id}": "absent",
            f"mark_{chen.id}": "excused",
        },
    )
    assert redirected_to(response) == url
    assert marks(session) == {
        amina.id: AttendanceStatus.PRESENT,
        brian.id: AttendanceStatus.ABSENT,
        chen.id: AttendanceStatus.EXCUSED,
    }
    rows = list(db.session.scalars(select(Attendance)))
    assert {row.marked_by_id for row in rows} == {instructor.id}

    shown = browser.get(url)
    assert "3 marks changed" in visible_text(shown)
    assert checked(shown, f"mark_{amina.id}") == "present"
    assert checked(shown, f"mark_{brian.id}") == "absent"
    assert checked(shown, f"mark_{chen.id}") == "excused"

    # Brian arrived late after all; a row left blank keeps its mark.
    browser.post(url, data={f"mark_{brian.id}": "present"})
    assert marks(session) == {
        amina.id: AttendanceStatus.PRESENT,
        brian.id: AttendanceStatus.PRESENT,
        chen.id: AttendanceStatus.EXCUSED,
    }
    assert "1 mark changed" in visible_text(browser.get(url))


def test_attendance_with_a_bad_value_writes_nothing_and_forged_fields_are_ignored(
    log_in, ended_class
):
    offering, instructor, (amina, brian, _chen), waiting = ended_class
    session = session_of(offering)
    browser = log_in(instructor)
    url = attendance_url(offering, session)

    response = browser.post(url, data={f"mark_{amina.id}": "present", f"mark_{brian.id}": "late"})
    assert response.status_code == 422
    assert page(response).text(f"mark_{brian.id}-error") == "Choose one of the options."
    assert page(response).by_id(f"mark_{brian.id}")["aria-describedby"] == (
        f"mark_{brian.id}-error"
    )
    assert count(Attendance) == 0, "all or nothing"
    assert_accessible_layout(response)

    other_session = session_of(offering_between(-10, -2), title="Other offering")
    response = browser.post(
        url,
        data={
            f"mark_{amina.id}": "present",
            f"mark_{waiting.id}": "present",  # not in the class
            "session_id": str(other_session.id),
            "marked_by_id": str(amina.user_id),
        },
    )
    assert redirected_to(response) == url
    assert marks(session) == {amina.id: AttendanceStatus.PRESENT}
    assert marks(other_session) == {}
    assert db.session.scalar(select(Attendance.marked_by_id)) == instructor.id


def test_only_the_offerings_instructors_and_coordinators_mark_attendance(
    client, log_in, ended_class
):
    offering, instructor, (amina, *_rest), _waiting = ended_class
    session = session_of(offering)
    url = attendance_url(offering, session)
    data = {f"mark_{amina.id}": "present"}

    assert urlsplit(client.get(url).headers["Location"]).path == "/account/login"
    assert urlsplit(client.post(url, data=data).headers["Location"]).path == "/account/login"
    trainee = log_in(amina.user)
    assert trainee.get(url).status_code == 403
    assert trainee.post(url, data=data).status_code == 403
    stranger = log_in(person("Other Instructor", Role.INSTRUCTOR))
    assert stranger.get(url).status_code == 403
    assert stranger.post(url, data=data).status_code == 403
    assert count(Attendance) == 0

    coordinator = log_in(person("Coordinator", Role.COORDINATOR))
    assert coordinator.get(url).status_code == 200
    assert redirected_to(coordinator.post(url, data=data)) == url
    assert count(Attendance) == 1

    elsewhere = session_of(offering_between(-10, -2))
    for unknown in (
        attendance_url(offering, elsewhere),  # a session of another offering
        f"/manage/offerings/{offering.id}/sessions/999999/attendance",
        f"/manage/offerings/999999/sessions/{session.id}/attendance",
    ):
        assert coordinator.get(unknown).status_code == 404, unknown

    with pytest.raises(NotAllowed):
        services.record_attendance(amina.user, session.id, {amina.id: "absent"})
    db.session.rollback()


def test_attendance_waits_for_the_session_and_not_for_a_cancelled_one(log_in, ended_class):
    offering, instructor, (amina, *_rest), _waiting = ended_class
    browser = log_in(instructor)
    later = session_of(offering, hours_ago=-24, title="Tomorrow")
    response = browser.get(attendance_url(offering, later))
    assert response.status_code == 200
    assert "once the session has started" in visible_text(response)
    assert not page(response).all("fieldset")
    refused = browser.post(attendance_url(offering, later), data={f"mark_{amina.id}": "present"})
    assert refused.status_code == 422
    assert "once the session has started" in visible_text(refused)

    cancelled = session_of(offering, status=SessionStatus.CANCELLED, title="Cancelled")
    refused = browser.post(
        attendance_url(offering, cancelled), data={f"mark_{amina.id}": "present"}
    )
    assert refused.status_code == 409
    assert count(Attendance) == 0


# --- Results and certificates ---------------------------------------------------------------


def results_url(offering) -> str:
    return f"/manage/offerings/{offering.id}/results"


def test_results_for_the_class_set_statuses_events_and_certificates(log_in, ended_class):
    offering, _instructor, (amina, brian, chen), _waiting = ended_class
    dropped = seat(offering, person("Dan Dropout"))
    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    browser = log_in(coordinator)
    session = session_of(offering)
    db.session.add(
        Attendance(session=session, enrolment_id=amina.id, status=AttendanceStatus.PRESENT)
    )
    db.session.commit()

    form = browser.get(results_url(offering))
    assert form.status_code == 200
    assert [group["id"] for group in page(form).all("fieldset")] == [
        f"result_{e.id}" for e in (amina, brian, chen, dropped)
    ]
    assert "Present: 1" in visible_text(form)

    response = browser.post(
        results_url(offering),
        data={
            f"result_{amina.id}": "passed",
            f"result_{brian.id}": "distinction",
            f"result_{chen.id}": "failed",
            f"result_{dropped.id}": "no_show",
        },
    )
    assert redirected_to(response) == results_url(offering)
    db.session.expire_all()
    assert [(e.status, e.distinction) for e in (amina, brian, chen, dropped)] == [
        (EnrolmentStatus.COMPLETED, False),
        (EnrolmentStatus.COMPLETED, True),
        (EnrolmentStatus.FAILED, False),
        (EnrolmentStatus.NO_SHOW, False),
    ]
    assert all(e.result_recorded_at is not None for e in (amina, brian, chen, dropped))
    assert events_of(amina) == [("result_passed", coordinator.id, "confirmed", "completed")]
    assert events_of(brian) == [("result_distinction", coordinator.id, "confirmed", "completed")]
    assert events_of(chen) == [("result_failed", coordinator.id, "confirmed", "failed")]
    assert events_of(dropped) == [("result_no_show", coordinator.id, "confirmed", "no_show")]

    certificates = [certificate_of(e) for e in (amina, brian)]
    assert certificate_of(chen) is None and certificate_of(dropped) is None
    expiry = offering.ends_on.replace(year=offering.ends_on.year + 4)
    for certificate in certificates:
        assert len(certificate.code) == CODE_LENGTH
        assert set(certificate.code) <= set(CODE_ALPHABET)
        assert certificate.expires_on == expiry
        assert certificate.revoked_at is None
    assert certificates[0].code != certificates[1].code

    shown = browser.get(results_url(offering))
    assert checked(shown, f"result_{brian.id}") == "distinction"
    assert services.format_code(certificates[0].code) in visible_text(shown)

    # Saving the same results again changes nothing and records nothing.
    browser.post(results_url(offering), data={f"result_{amina.id}": "passed"})
    assert len(events_of(amina)) == 1


def test_a_corrected_result_revokes_and_a_pass_again_reinstates_the_certificate(ended_class):
    offering, _instructor, (amina, *_rest), _waiting = ended_class
    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    services.record_results(coordinator, offering.id, {amina.id: Result.PASSED})
    db.session.commit()
    code = certificate_of(amina).code
    assert services.verify(code).state == CertificateState.VALID

    services.record_results(coordinator, offering.id, {amina.id: Result.FAILED})
    db.session.commit()
    certificate = certificate_of(amina)
    assert certificate.revoked_at is not None
    verification = services.verify(code)
    assert verification.state == CertificateState.REVOKED
    assert verification.result is None, "a revoked certificate tells no result"

    services.record_results(coordinator, offering.id, {amina.id: Result.DISTINCTION})
    db.session.commit()
    certificate = certificate_of(amina)
    assert (certificate.code, certificate.revoked_at) == (code, None)
    assert services.verify(code).result == Result.DISTINCTION
    assert [event[0] for event in events_of(amina)] == [
        "result_passed",
        "result_failed",
        "result_distinction",
    ]
    assert count(Certificate) == 1


def test_results_wait_for_the_offering_to_start(log_in):
    offering = offering_between(10, 20)
    trainee = seat(offering, person())
    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    browser = log_in(coordinator)
    response = browser.get(results_url(offering))
    assert response.status_code == 200
    assert "once the offering has started" in visible_text(response)
    assert not page(response).all("fieldset")
    refused = browser.post(results_url(offering), data={f"result_{trainee.id}": "passed"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert trainee.status == EnrolmentStatus.CONFIRMED
    with pytest.raises(RecordsError, match="once the offering has started"):
        services.record_results(coordinator, offering.id, {trainee.id: Result.PASSED})
    db.session.rollback()

    # Started yesterday: results may be recorded (or a no-show noted) already.
    started = offering_between(-1, 20)
    early = seat(started, person())
    services.record_results(coordinator, started.id, {early.id: Result.NO_SHOW})
    db.session.commit()

    started.status = OfferingStatus.CANCELLED
    db.session.commit()
    with pytest.raises(RecordsConflict):
        services.record_results(coordinator, started.id, {early.id: Result.PASSED})
    db.session.rollback()


def test_only_coordinators_record_results_and_forged_fields_are_ignored(
    client, log_in, ended_class
):
    offering, instructor, (amina, *_rest), waiting = ended_class
    url = results_url(offering)
    data = {f"result_{amina.id}": "passed"}
    assert urlsplit(client.post(url, data=data).headers["Location"]).path == "/account/login"
    assert log_in(instructor).post(url, data=data).status_code == 403
    assert log_in(amina.user).post(url, data=data).status_code == 403
    assert log_in(amina.user).get(url).status_code == 403
    coordinator = log_in(person("Carla Coordinator", Role.COORDINATOR))
    assert coordinator.get("/manage/offerings/999999/results").status_code == 404

    response = coordinator.post(
        url,
        data={
            f"result_{amina.id}": "passed",
            f"result_{waiting.id}": "passed",
            "status": "completed",
            "actor_id": str(amina.user_id),
            "expires_on": "2099-01-01",
        },
    )
    assert redirected_to(response) == url
    db.session.expire_all()
    assert waiting.status == EnrolmentStatus.WAITLISTED
    assert certificate_of(waiting) is None
    assert events_of(amina)[0][1] != amina.user_id
    assert certificate_of(amina).expires_on.year == offering.ends_on.year + 4

    bad = coordinator.post(url, data={f"result_{amina.id}": "excellent"})
    assert bad.status_code == 422
    assert page(bad).text(f"result_{amina.id}-error") == "Choose one of the options."

    with pytest.raises(NotAllowed):
        services.record_results(instructor, offering.id, {amina.id: Result.FAILED})
    db.session.rollback()
    another = person("Another Coordinator", Role.COORDINATOR)
    with pytest.raises(RecordsError, match="not in this offering's class"):
        services.record_results(another, offering.id, {waiting.id: Result.PASSED})
    db.session.rollback()


def passed(offering, user, distinction=False):
    """A trainee with a recorded pass, through the service."""
    enrolment = seat(offering, user)
    coordinator = person("Recording Coordinator", Role.COORDINATOR)
    result = Result.DISTINCTION if distinction else Result.PASSED
    services.record_results(coordinator, offering.id, {enrolment.id: result})
    db.session.commit()
    return enrolment, certificate_of(enrolment)


def test_verify_genuine_expired_revoked_and_unknown(client):
    offering = offering_between(-40, -10, course=make_course(qualification_valid_years=4))
    holder = person("Grace Mwangi", email="grace.private@example.org")
    enrolment, certificate = passed(offering, holder, distinction=True)
    code = services.format_code(certificate.code)

    genuine = client.get(f"/verify/{code}")
    assert genuine.status_code == 200
    assert genuine.headers["X-Robots-Tag"] == "noindex, nofollow"
    doc = page(genuine)
    assert "genuine and valid until" in doc.text("verdict")
    assert doc.text("holder") == "Grace Mwangi"
    assert doc.text("result") == "Passed with distinction"
    assert "grace.private@example.org" not in text(genuine)
    assert "Kenya" not in visible_text(genuine), "no personal data beyond the name"
    assert_accessible_layout(genuine)
    typed = client.get(f"/verify/{certificate.code.lower()}")
    assert typed.status_code == 200, "case and dashes do not matter"

    certificate.expires_on = TODAY - timedelta(days=30)
    db.session.commit()
    expired = client.get(f"/verify/{code}")
    assert expired.status_code == 200
    day = f"{certificate.expires_on:%B} {certificate.expires_on.day}, {certificate.expires_on.year}"
    assert f"expired on {day}" in page(expired).text("verdict")
    assert_accessible_layout(expired)

    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    services.record_results(coordinator, offering.id, {enrolment.id: Result.NO_SHOW})
    db.session.commit()
    revoked = client.get(f"/verify/{code}")
    assert revoked.status_code == 200
    assert "revoked" in page(revoked).text("verdict")
    assert "result" not in page(revoked).text_by_id
    assert_accessible_layout(revoked)

    for unknown in ("ABCD-EFGH-JKLM-NPQR", "not-a-code", "A" * 500):
        response = client.get(f"/verify/{unknown}")
        assert response.status_code == 404, unknown
        assert "No such certificate" in visible_text(response)
    assert "ABCD-EFGH-JKLM-NPQR" in page(client.get("/verify/ABCD-EFGH-JKLM-NPQR")).text("verdict")
    spoof = client.get("/verify/Call +1 555 0100 to confirm")
    assert spoof.status_code == 404
    assert "555" not in page(spoof).text("verdict"), "arbitrary text from a link is not repeated"
    assert_accessible_layout(client.get("/verify/ABCD-EFGH-JKLM-NPQR"))


def test_certificate_page_is_printable_and_private(client, log_in):
    offering = offering_between(-40, -10, course=make_course("FMAC", title="Field Medical"))
    holder = person("Grace Mwangi")
    enrolment, certificate = passed(offering, holder)
    url = f"/certificates/{certificate.id}"

    browser = log_in(holder)
    mine = browser.get("/my/training")
    assert "/my/certificates" in [a.get("href") for a in page(mine).all("a")]
    listing = browser.get("/my/certificates")
    assert listing.status_code == 200
    assert "FMAC Field Medical" in visible_text(listing)
    assert url in [a.get("href") for a in page(listing).all("a")]
    assert_accessible_layout(listing)

    response = browser.get(url)
    assert response.status_code == 200
    doc = page(response)
    assert doc.text("certificate-code") == services.format_code(certificate.code)
    assert f"/verify/{services.format_code(certificate.code)}" in text(response)
    assert "Grace Mwangi" in visible_text(response)
    assert "Passed" in visible_text(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert_accessible_layout(response)
    [sheet] = [link["href"] for link in doc.all("link", rel="stylesheet")]
    assert sheet.startswith("/static/css/site.") and sheet.endswith(".css")
    css = client.get(sheet)
    assert "@media print" in text(css) and ".certificate" in text(css)
    css.close()

    assert urlsplit(client.get(url).headers["Location"]).path == "/account/login"
    assert log_in(person("Someone Else")).get(url).status_code == 404
    assert browser.get("/certificates/999999").status_code == 404
    assert log_in(person("Carla", Role.COORDINATOR)).get(url).status_code == 200

    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    services.record_results(coordinator, offering.id, {enrolment.id: Result.FAILED})
    db.session.commit()
    withdrawn = browser.get(url)
    assert withdrawn.status_code == 200
    assert "withdrawn" in visible_text(withdrawn)
    assert "certificate-code" not in page(withdrawn).text_by_id
    assert "FMAC" not in visible_text(browser.get("/my/certificates")), "no longer completed"


def test_codes_are_random_unique_and_easy_to_type():
    codes = {services.new_certificate_code() for _index in range(200)}
    assert len(codes) == 200
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert not set("01IO") & set(CODE_ALPHABET)
    code = next(iter(codes))
    assert services.normalise_code(services.format_code(code).lower()) == code
    assert services.normalise_code(f" {code[:8]} {code[8:]} ") == code
    assert services.normalise_code("O" * CODE_LENGTH) is None
    assert services.add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert services.add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)


# --- Trainers from the training of trainers -------------------------------------------------


def tot_graduate(name="Kamau Graduate", country="KE", ended_days_ago=100, status=None):
    """Someone who completed a training of trainers that ended ``ended_days_ago``."""
    tot = offering_between(
        -ended_days_ago - 90, -ended_days_ago, course=make_course(level=Level.TOT)
    )
    user = person(name, country=country)
    enrolment = seat(tot, user, status or EnrolmentStatus.COMPLETED)
    return user, enrolment


def trainers_url(offering) -> str:
    return f"/manage/offerings/{offering.id}/trainers"


def test_tot_graduate_is_recorded_as_co_trainer_of_a_later_offering(log_in):
    graduate, graduation = tot_graduate()
    still_training, _enrolment = tot_graduate("Still In ToT", status=EnrolmentStatus.CONFIRMED)
    basic_only = person("Basic Only")
    seat(offering_between(-200, -150), basic_only, EnrolmentStatus.COMPLETED)
    later = offering_between(30, 70)
    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    browser = log_in(coordinator)

    form = browser.get(trainers_url(later))
    assert form.status_code == 200
    options = {o["value"] for o in page(form).all("option")}
    assert str(graduate.id) in options
    assert str(still_training.id) not in options and str(basic_only.id) not in options
    assert_accessible_layout(form)

    response = browser.post(
        trainers_url(later), data={"person": str(graduate.id), "role": "co_trainer"}
    )
    assert redirected_to(response) == trainers_url(later)
    db.session.expire_all()
    assignment = db.session.get(TrainerAssignment, (later.id, graduate.id))
    assert assignment.role == TrainerRole.CO_TRAINER
    assert assignment.qualifying_enrolment_id == graduation.id
    assert "Co-trainer" in visible_text(browser.get(trainers_url(later)))

    # Recording the same person again changes their role; removing takes them off.
    browser.post(
        trainers_url(later), data={"person": str(graduate.id), "role": "assistant_trainer"}
    )
    db.session.expire_all()
    assert db.session.get(TrainerAssignment, (later.id, graduate.id)).role == (
        TrainerRole.ASSISTANT_TRAINER
    )
    assert count(TrainerAssignment) == 1
    removed = browser.post(f"{trainers_url(later)}/{graduate.id}/remove")
    assert redirected_to(removed) == trainers_url(later)
    assert count(TrainerAssignment) == 0
    assert browser.post(f"{trainers_url(later)}/{graduate.id}/remove").status_code == 404

    # Nobody outside the list, whatever the form says.
    refused = browser.post(
        trainers_url(later), data={"person": str(basic_only.id), "role": "co_trainer"}
    )
    assert refused.status_code == 422
    assert page(refused).text("person-error")
    assert_accessible_layout(refused)
    no_role = browser.post(trainers_url(later), data={"person": str(graduate.id), "role": "boss"})
    assert no_role.status_code == 422
    assert count(TrainerAssignment) == 0


def test_trainer_assignment_refused_for_non_graduates_and_earlier_offerings(log_in):
    graduate, _graduation = tot_graduate(ended_days_ago=100)
    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    non_graduate = person("Not A Graduate")
    later = offering_between(30, 70)
    with pytest.raises(InvalidValues, match="has not completed a training of trainers"):
        services.assign_trainer(coordinator, later.id, non_graduate.id, TrainerRole.CO_TRAINER)
    db.session.rollback()

    # This offering started before the ToT ended (100 days ago): not later.
    earlier = offering_between(-120, -90)
    with pytest.raises(InvalidValues, match="ended after this offering starts"):
        services.assign_trainer(coordinator, earlier.id, graduate.id, TrainerRole.CO_TRAINER)
    db.session.rollback()
    form = log_in(coordinator).get(trainers_url(earlier))
    assert str(graduate.id) not in {o["value"] for o in page(form).all("option")}
    assert "Nobody has completed a training of trainers" in visible_text(form)

    with pytest.raises(NotAllowed):
        services.assign_trainer(graduate, later.id, graduate.id, TrainerRole.CO_TRAINER)
    db.session.rollback()
    with pytest.raises(LookupError):
        services.assign_trainer(coordinator, 999999, graduate.id, TrainerRole.CO_TRAINER)
    db.session.rollback()
    assert count(TrainerAssignment) == 0

    browser = log_in(person("Trainee"))
    assert browser.get(trainers_url(later)).status_code == 403
    assert (
        browser.post(
            trainers_url(later), data={"person": str(graduate.id), "role": "co_trainer"}
        ).status_code
        == 403
    )
    assert log_in(coordinator).get("/manage/offerings/999999/trainers").status_code == 404


@pytest.fixture
def capacity():
    """A Kenyan graduate co-training a class of a Kenyan, a Ugandan and a no-show; a
    Ugandan graduate assisting in another offering."""
    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    kenyan, _enrolment = tot_graduate("Kamau Trainer", country="KE")
    ugandan, _enrolment = tot_graduate("Okello Trainer", country="UG")
    first = offering_between(-20, -5)
    second = offering_between(-10, -2)
    amina = seat(first, person("Amina Trainee", country="KE"))
    musa = seat(first, person("Musa Trainee", country="UG"))
    seat(first, person("Nora No-show", country="KE"), EnrolmentStatus.NO_SHOW)
    seat(first, person("Walter Waiting", country="KE"), EnrolmentStatus.WAITLISTED)
    rwandan = seat(second, person("Rosa Trainee", country="RW"), EnrolmentStatus.COMPLETED)
    services.assign_trainer(coordinator, first.id, kenyan.id, TrainerRole.CO_TRAINER)
    db.session.commit()
    services.assign_trainer(coordinator, second.id, ugandan.id, TrainerRole.ASSISTANT_TRAINER)
    db.session.commit()
    return coordinator, kenyan, ugandan, first, second, amina, musa, rwandan


def test_trained_by_lists_who_each_countrys_trainers_trained(capacity):
    _coordinator, kenyan, ugandan, first, second, amina, musa, rwandan = capacity
    kenya = services.trained_by("KE")
    assert [(e.trainer.id, e.role, e.offering.id) for e in kenya] == [
        (kenyan.id, TrainerRole.CO_TRAINER, first.id)
    ]
    assert [t.id for t in kenya[0].trainees] == [amina.id, musa.id], "no no-shows, no waiting"
    uganda = services.trained_by("UG")
    assert [(e.trainer.id, e.offering.id, [t.id for t in e.trainees]) for e in uganda] == [
        (ugandan.id, second.id, [rwandan.id])
    ]
    assert services.trained_by("GH") == []
    assert services.trainer_countries() == ["KE", "UG"]


def test_training_capacity_page_for_coordinators_and_own_country_focal_points(
    client, log_in, capacity
):
    coordinator, *_rest = capacity
    browser = log_in(coordinator)
    chooser = browser.get("/training-capacity")
    assert chooser.status_code == 200
    assert {o["value"] for o in page(chooser).all("option")} == {"", "KE", "UG"}
    assert_accessible_layout(chooser)

    kenya = browser.get("/training-capacity?country=ke")
    assert kenya.status_code == 200
    words = visible_text(kenya)
    assert "Kamau Trainer" in words and "Amina Trainee" in words and "Musa Trainee" in words
    assert "Nora No-show" not in words and "Okello Trainer" not in words
    assert "2 people trained" in words
    assert_accessible_layout(kenya)
    assert all(th.get("scope") for th in page(kenya).all("th"))
    assert browser.get("/training-capacity?country=ZZ").status_code == 404

    focal = log_in(person("Kenyan Focal Point", Role.FOCAL_POINT, country="KE"))
    own = focal.get("/training-capacity")
    words = visible_text(own)
    assert own.status_code == 200
    assert "Kamau Trainer" in words and "Amina Trainee" in words
    assert "Musa Trainee" not in words, "names of other countries' trainees stay hidden"
    assert "and 1 person from another country" in words
    assert_accessible_layout(own)
    assert focal.get("/training-capacity?country=KE").status_code == 200
    assert focal.get("/training-capacity?country=UG").status_code == 403

    assert log_in(person("Trainee")).get("/training-capacity").status_code == 403
    assert (
        log_in(person("Instructor", Role.INSTRUCTOR)).get("/training-capacity").status_code == 403
    )
    stateless = person("Stateless Focal", Role.FOCAL_POINT)
    stateless.country_code = None  # a profile edited since, say
    db.session.commit()
    nowhere = log_in(stateless)
    assert nowhere.get("/training-capacity").status_code == 403
    assert urlsplit(client.get("/training-capacity").headers["Location"]).path == "/account/login"


# --- Feedback -------------------------------------------------------------------------------


def feedback_url(offering) -> str:
    return f"/offerings/{offering.id}/feedback"


def test_feedback_is_open_for_14_days_after_the_end_and_editable(log_in, ended_class):
    offering, _instructor, (amina, *_rest), _waiting = ended_class
    browser = log_in(amina.user)
    assert feedback_url(offering) in [
        a.get("href") for a in page(browser.get("/my/training")).all("a")
    ]
    form = browser.get(feedback_url(offering))
    assert form.status_code == 200
    assert len(page(form).all("input", type="radio")) == 5
    assert_accessible_layout(form)

    response = browser.post(
        feedback_url(offering), data={"rating": "5", "comments": "Good drills."}
    )
    assert redirected_to(response) == feedback_url(offering)
    browser.post(
        feedback_url(offering), data={"rating": "4", "comments": "  Good drills; short breaks. "}
    )
    rows = list(db.session.scalars(select(Feedback)))
    assert [(f.enrolment_id, f.rating, f.comments) for f in rows] == [
        (amina.id, 4, "Good drills; short breaks.")
    ]
    shown = browser.get(feedback_url(offering))
    assert checked(shown, "rating") == "4"
    assert "You can change it until" in visible_text(shown)

    bad = browser.post(feedback_url(offering), data={"rating": "9"})
    assert bad.status_code == 422
    assert page(bad).text("rating-error")
    assert_accessible_layout(bad)
    assert browser.post(feedback_url(offering), data={"rating": "many"}).status_code == 422
    assert browser.post(feedback_url(offering), data={"comments": "no rating"}).status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(Feedback.rating)) == 4


def test_feedback_window_edges():
    offering = offering_between(-30, -3)
    trainee = person()
    seat(offering, trainee, EnrolmentStatus.COMPLETED)
    opens_at, closes_at = services.feedback_window(offering)
    assert opens_at == offering.local_midnight(offering.ends_on)
    assert closes_at - opens_at == timedelta(days=15), "the last day and 14 days after"
    with pytest.raises(RecordsError, match="opens on the last day"):
        services.submit_feedback(trainee, offering.id, 5, now=opens_at - timedelta(seconds=1))
    services.submit_feedback(trainee, offering.id, 5, now=opens_at)
    services.submit_feedback(trainee, offering.id, 3, now=closes_at - timedelta(seconds=1))
    db.session.commit()
    with pytest.raises(RecordsError, match="Feedback closed"):
        services.submit_feedback(trainee, offering.id, 1, now=closes_at)
    db.session.rollback()
    assert db.session.scalar(select(Feedback.rating)) == 3
    with pytest.raises(InvalidValues):
        services.submit_feedback(trainee, offering.id, 6, now=opens_at)
    db.session.rollback()


def test_feedback_is_closed_after_the_window_and_not_for_others(client, log_in):
    long_ago = offering_between(-60, -20)
    late = seat(long_ago, person("Late Trainee"))
    browser = log_in(late.user)
    closed = browser.get(feedback_url(long_ago))
    assert closed.status_code == 200
    assert "Feedback closed after" in visible_text(closed)
    assert not page(closed).all("input", type="radio")
    refused = browser.post(feedback_url(long_ago), data={"rating": "5"})
    assert refused.status_code == 422
    assert count(Feedback) == 0
    assert feedback_url(long_ago) not in text(browser.get("/my/training"))

    running = offering_between(-5, 5)
    early = seat(running, person("Early Trainee"))
    assert "Feedback opens on" in visible_text(log_in(early.user).get(feedback_url(running)))
    assert log_in(early.user).post(feedback_url(running), data={"rating": "5"}).status_code == 422

    offering = offering_between(-30, -3)
    waiting = seat(offering, person("Waiting Trainee"), EnrolmentStatus.WAITLISTED)
    no_show = seat(offering, person("No Show"), EnrolmentStatus.NO_SHOW)
    for user in (waiting.user, no_show.user, person("Stranger"), person("Ines", Role.INSTRUCTOR)):
        other = log_in(user)
        assert other.get(feedback_url(offering)).status_code == 403
        assert other.post(feedback_url(offering), data={"rating": "1"}).status_code == 403
    assert count(Feedback) == 0
    assert log_in(late.user).get("/offerings/999999/feedback").status_code == 404
    assert urlsplit(client.get(feedback_url(offering)).headers["Location"]).path == "/account/login"
    with pytest.raises(NotAllowed):
        services.submit_feedback(waiting.user, offering.id, 5)


def test_feedback_summary_is_aggregate_only(log_in, ended_class):
    offering, instructor, trainees, _waiting = ended_class
    for enrolment, rating, comments in zip(
        trainees, (5, 4, 4), ("Very practical.", "", "Amina's group was great"), strict=True
    ):
        services.submit_feedback(enrolment.user, offering.id, rating, comments)
    db.session.commit()

    summary = services.feedback_summary(offering.id)
    assert summary.count == 3
    assert summary.mean == pytest.approx(13 / 3)
    assert summary.distribution == {1: 0, 2: 0, 3: 0, 4: 2, 5: 1}
    assert summary.comments == ["Amina's group was great", "Very practical."]

    url = f"/manage/offerings/{offering.id}/feedback"
    response = log_in(instructor).get(url)
    assert response.status_code == 200
    doc = page(response)
    assert doc.text("feedback-count") == "3"
    assert doc.text("feedback-mean") == "4.3"
    assert "4 2" in doc.text("feedback-distribution") and "5 1" in doc.text("feedback-distribution")
    assert "Very practical." in doc.text("feedback-comments")
    words = visible_text(response)
    for enrolment in trainees:
        assert enrolment.user.name not in words, "no names"
    assert_accessible_layout(response)
    assert all(th.get("scope") for th in doc.all("th"))

    assert log_in(person("Carla", Role.COORDINATOR)).get(url).status_code == 200
    assert log_in(person("Other", Role.INSTRUCTOR)).get(url).status_code == 403
    assert log_in(trainees[0].user).get(url).status_code == 403
    assert log_in(instructor).get("/manage/offerings/999999/feedback").status_code == 404

    empty = offering_between(-10, -1)
    none_yet = log_in(person("Carla 2", Role.COORDINATOR)).get(
        f"/manage/offerings/{empty.id}/feedback"
    )
    assert "No feedback yet." in visible_text(none_yet)


# --- Layout, links and forms as browsers send them ------------------------------------------


def test_records_pages_are_accessible_and_linked(log_in, ended_class):
    offering, instructor, (amina, *_rest), _waiting = ended_class
    session = session_of(offering)
    coordinator = person("Carla Coordinator", Role.COORDINATOR)
    pages = {
        instructor: [
            attendance_url(offering, session),
            f"/manage/offerings/{offering.id}/feedback",
        ],
        coordinator: [
            attendance_url(offering, session),
            results_url(offering),
            trainers_url(offering),
            f"/manage/offerings/{offering.id}/feedback",
            "/training-capacity",
        ],
        amina.user: ["/my/certificates", feedback_url(offering)],
    }
    for user, urls in pages.items():
        browser = log_in(user)
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, url
            assert_accessible_layout(response)
            assert all(th.get("scope") for th in page(response).all("th")), url

    staff = log_in(coordinator)
    links = {a.get("href") for a in page(staff.get(f"/offerings/{offering.id}")).all("a")}
    assert {results_url(offering), trainers_url(offering)} <= links
    assert "/training-capacity" in {a.get("href") for a in page(staff.get("/")).all("a")}
    timetable = staff.get(f"/manage/offerings/{offering.id}/sessions")
    assert attendance_url(offering, session) in {a.get("href") for a in page(timetable).all("a")}
    teacher = log_in(instructor).get(f"/offerings/{offering.id}")
    assert f"/manage/offerings/{offering.id}/feedback" in {
        a.get("href") for a in page(teacher).all("a")
    }
    trainee = log_in(amina.user).get(f"/offerings/{offering.id}")
    assert feedback_url(offering) in {a.get("href") for a in page(trainee).all("a")}


def csrf_token_in(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(response))
    match = match or re.search(r'name="csrf_token" value="([^"]+)"', text(response))
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_the_class_forms_work_with_csrf_protection_on(app, log_in, ended_class, monkeypatch):
    offering, instructor, (amina, *_rest), _waiting = ended_class
    session = session_of(offering)
    browser = log_in(instructor)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    url = attendance_url(offering, session)
    assert browser.post(url, data={f"mark_{amina.id}": "present"}).status_code == 400
    assert count(Attendance) == 0
    token = csrf_token_in(browser.get(url))
    response = browser.post(url, data={f"mark_{amina.id}": "present", "csrf_token": token})
    assert redirected_to(response) == url
    assert count(Attendance) == 1


def test_certificate_expiry_uses_the_courses_validity():
    lasting = offering_between(-40, -10, course=make_course(qualification_valid_years=None))
    _enrolment, certificate = passed(lasting, person())
    assert certificate.expires_on is None
    assert services.verify(certificate.code).state == CertificateState.VALID
    assert services.verify(certificate.code, now=datetime(2200, 1, 1, tzinfo=UTC)).state == (
        CertificateState.VALID
    )
    lapsing = offering_between(-40, -10, course=make_course(qualification_valid_years=2))
    _enrolment, certificate = passed(lapsing, person())
    last_day = certificate.expires_on
    assert last_day == lapsing.ends_on.replace(year=lapsing.ends_on.year + 2)
    noon = datetime.combine(last_day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    assert services.verify(certificate.code, now=noon).state == CertificateState.VALID
    assert services.verify(certificate.code, now=noon + timedelta(days=1)).state == (
        CertificateState.EXPIRED
    )
