"""Enrolment as people meet it: trainees enrol and withdraw, focal points nominate
for their country, coordinators select, all through the real forms and pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from catalog.enrolment import services
from catalog.enrolment.locking import SeatLockTimeout
from catalog.enrolment.roster import roster_filename, safe_cell
from catalog.extensions import db
from catalog.models import (
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Gender,
    Invitation,
    Offering,
    OfferingQuota,
    OfferingStatus,
    Role,
    SeatAllocation,
)
from tests.factories import PASSWORD, make_course, make_offering, make_user
from tests.html import assert_accessible_layout, page

TODAY = date.today()


# --- Helpers --------------------------------------------------------------------------


def open_offering(capacity=2, allocation=SeatAllocation.NOMINATION, quotas=None, **fields):
    """A published offering whose enrolment window is open now."""
    offering = make_offering(
        capacity=capacity,
        seat_allocation=allocation,
        starts_on=fields.pop("starts_on", TODAY + timedelta(days=30)),
        enrolment_opens_on=fields.pop("enrolment_opens_on", TODAY - timedelta(days=5)),
        enrolment_closes_on=fields.pop("enrolment_closes_on", TODAY + timedelta(days=10)),
        **fields,
    )
    for code, seats in (quotas or {}).items():
        offering.quotas.append(OfferingQuota(country_code=code, seats=seats))
    db.session.commit()
    return offering


def person(email=None, *roles, country="KE", **fields):
    user = make_user(email, *roles, country=country, **fields)
    db.session.commit()
    return user


@pytest.fixture
def log_in(app):
    """A logged-in browser for a user: each person gets their own client."""

    def log_in(user):
        browser = app.test_client()
        response = browser.post("/account/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, "logged in"
        return browser

    return log_in


def text(response) -> str:
    return response.get_data(as_text=True)


def visible_text(response) -> str:
    """The page's words without tags, with whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def enrolment_of(user, offering) -> Enrolment | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.offering_id == offering.id)
        .order_by(Enrolment.id.desc())
    )


def enrol(browser, offering, **data):
    return browser.post(f"/offerings/{offering.id}/enrol", data=data)


def redirected_to(response) -> str:
    assert response.status_code == 302, text(response)
    return urlsplit(response.headers["Location"]).path


def history_rows(enrolment) -> list[tuple[str, int | None, str]]:
    db.session.expire_all()
    return [
        (event.action, event.actor_id, event.to_status.value)
        for event in db.session.scalars(
            select(EnrolmentEvent)
            .where(EnrolmentEvent.enrolment_id == enrolment.id)
            .order_by(EnrolmentEvent.id)
        )
    ]


# --- Trainees: first come, first served --------------------------------------------------


def test_first_come_trainee_is_confirmed_then_the_next_is_waitlisted(log_in):
    offering = open_offering(capacity=1, allocation=SeatAllocation.FIRST_COME)
    first, second = person(name="Amina Njoroge"), person(name="Brian Otieno")
    browser = log_in(first)

    page = browser.get(f"/offerings/{offering.id}")
    assert page.status_code == 200
    assert f'action="/offerings/{offering.id}/enrol"' in text(page)
    assert ">Enrol</button>" in text(page)

    assert redirected_to(enrol(browser, offering)) == f"/offerings/{offering.id}"
    assert enrolment_of(first, offering).status == EnrolmentStatus.CONFIRMED
    mine = visible_text(browser.get(f"/offerings/{offering.id}"))
    assert "Your enrolment: Confirmed" in mine
    assert ">Enrol</button>" not in text(browser.get(f"/offerings/{offering.id}"))

    other = log_in(second)
    enrol(other, offering)
    waiting = enrolment_of(second, offering)
    assert waiting.status == EnrolmentStatus.WAITLISTED
    training = visible_text(other.get("/my/training"))
    assert "Waiting list, position 1" in training
    assert "Your enrolment: Waiting list, position 1" in visible_text(
        other.get(f"/offerings/{offering.id}")
    )


def test_anonymous_visitor_is_asked_to_log_in(client):
    offering = open_offering()
    page = client.get(f"/offerings/{offering.id}")
    assert "Log in to enrol" in text(page)
    assert ">Enrol</button>" not in text(page)
    response = client.post(f"/offerings/{offering.id}/enrol")
    assert redirected_to(response) == "/account/login"
    assert count(Enrolment) == 0


# --- Nomination and selection ------------------------------------------------------------


def test_application_nominated_by_own_focal_point_then_selected(log_in):
    offering = open_offering(capacity=2)
    trainee = person(name="Grace Wanjiru")
    focal = person("focal.ke@example.org", Role.FOCAL_POINT, name="Kenyan Focal Point")
    other_focal = person("focal.ug@example.org", Role.FOCAL_POINT, country="UG")
    coordinator = person("coord@example.org", Role.COORDINATOR, name="Course Director")

    trainee_browser = log_in(trainee)
    enrol(trainee_browser, offering)
    application = enrolment_of(trainee, offering)
    assert application.status == EnrolmentStatus.APPLIED
    assert "Applied" in visible_text(trainee_browser.get("/my/training"))

    # Uganda's focal point neither sees nor can act on a Kenyan application: to them
    # it does not exist (404, as for an unknown id, not a 403 that confirms it).
    stranger = log_in(other_focal)
    assert "Grace Wanjiru" not in text(stranger.get("/nominations"))
    assert "Grace Wanjiru" not in text(stranger.get(f"/nominations/{offering.id}"))
    assert stranger.post(f"/enrolments/{application.id}/nominate").status_code == 404
    assert stranger.post(f"/enrolments/{application.id}/decline").status_code == 404
    assert enrolment_of(trainee, offering).status == EnrolmentStatus.APPLIED

    # Kenya's focal point sees it and nominates.
    kenya = log_in(focal)
    listing = kenya.get("/nominations")
    assert listing.status_code == 200
    assert "Grace Wanjiru" in text(listing)
    assert f'action="/enrolments/{application.id}/nominate"' in text(listing)
    response = kenya.post(f"/enrolments/{application.id}/nominate", data={"next": "/nominations"})
    assert redirected_to(response) == "/nominations"
    assert enrolment_of(trainee, offering).status == EnrolmentStatus.NOMINATED
    assert f'action="/enrolments/{application.id}/nominate"' not in text(
        kenya.get("/nominations")
    ), "no longer waiting"
    # A second click finds nothing to nominate.
    assert kenya.post(f"/enrolments/{application.id}/nominate").status_code == 409

    # The coordinator selects.
    director = log_in(coordinator)
    manage = director.get(f"/offerings/{offering.id}/enrolments")
    assert manage.status_code == 200
    assert f'action="/enrolments/{application.id}/select"' in text(manage)
    director.post(f"/enrolments/{application.id}/select")
    assert enrolment_of(trainee, offering).status == EnrolmentStatus.CONFIRMED
    assert history_rows(application) == [
        ("applied", trainee.id, "applied"),
        ("nominated", focal.id, "nominated"),
        ("selected", coordinator.id, "confirmed"),
    ]
    history = visible_text(trainee_browser.get(f"/enrolments/{application.id}"))
    assert "Nominated by the national focal point" in history
    assert "Kenyan Focal Point" in history
    assert "Selected by the coordinator" in history
    assert "Course Director" in history


def test_selection_beyond_the_country_quota_waitlists(log_in):
    offering = open_offering(capacity=3, quotas={"KE": 1})
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    coordinator = person("coord@example.org", Role.COORDINATOR)
    applications = []
    for _index in range(2):
        trainee = person()
        enrol(log_in(trainee), offering)
        applications.append(enrolment_of(trainee, offering))
    kenya, director = log_in(focal), log_in(coordinator)
    for application in applications:
        kenya.post(f"/enrolments/{application.id}/nominate")
        director.post(f"/enrolments/{application.id}/select")
    db.session.expire_all()
    assert [db.session.get(Enrolment, a.id).status for a in applications] == [
        EnrolmentStatus.CONFIRMED,
        EnrolmentStatus.WAITLISTED,
    ]
    assert "Waiting list, position 1" in visible_text(
        director.get(f"/offerings/{offering.id}/enrolments")
    )


def test_focal_point_declines_with_a_reason(log_in):
    offering = open_offering()
    trainee = person(name="Joseph Kamau")
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    trainee_browser = log_in(trainee)
    enrol(trainee_browser, offering)
    application = enrolment_of(trainee, offering)

    kenya = log_in(focal)
    form = kenya.get(f"/enrolments/{application.id}/decline")
    assert form.status_code == 200
    assert 'name="note"' in text(form)
    response = kenya.post(
        f"/enrolments/{application.id}/decline",
        data={"note": "Not deployable this year", "next": "/nominations"},
    )
    assert redirected_to(response) == "/nominations"
    assert enrolment_of(trainee, offering).status == EnrolmentStatus.DECLINED
    assert "Declined" in visible_text(trainee_browser.get("/my/training"))
    assert "Not deployable this year" in text(trainee_browser.get(f"/enrolments/{application.id}"))


def test_focal_point_nominates_an_existing_user_directly(log_in):
    offering = open_offering()
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    kenyan = person("peter@example.org", name="Peter Mwangi")
    ugandan = person("sarah@example.org", name="Sarah Nakato", country="UG")

    kenya = log_in(focal)
    page = kenya.get(f"/nominations/{offering.id}")
    assert page.status_code == 200
    assert "Peter Mwangi" in text(page)
    assert "Sarah Nakato" not in text(page), "only the focal point's own country"

    # A forged id of another country's person fails the form: nothing is written.
    forged = kenya.post(f"/nominations/{offering.id}/nominate", data={"person": str(ugandan.id)})
    assert forged.status_code == 422
    assert count(Enrolment) == 0

    response = kenya.post(
        f"/nominations/{offering.id}/nominate",
        data={"person": str(kenyan.id), "note": "Trained plant operator"},
    )
    assert redirected_to(response) == f"/nominations/{offering.id}"
    enrolment = enrolment_of(kenyan, offering)
    assert enrolment.status == EnrolmentStatus.NOMINATED
    assert enrolment.country_code == "KE"
    assert history_rows(enrolment) == [("nominated", focal.id, "nominated")]
    after = text(kenya.get(f"/nominations/{offering.id}"))
    assert f'<option value="{kenyan.id}"' not in after, "no longer among the choices"
    assert "Peter Mwangi" in after, "listed among the people instead"

    again = kenya.post(f"/nominations/{offering.id}/nominate", data={"person": str(kenyan.id)})
    assert again.status_code == 422, "already enrolled: no longer among the choices"
    assert count(Enrolment) == 1


def test_invited_person_is_nominated_when_they_register(app, log_in):
    offering = open_offering()
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    kenya = log_in(focal)
    response = kenya.post(
        f"/nominations/{offering.id}/invite", data={"email": "New.Cadet@Example.org"}
    )
    assert redirected_to(response) == f"/nominations/{offering.id}"
    assert "new.cadet@example.org" in text(kenya.get(f"/nominations/{offering.id}"))
    duplicate = kenya.post(
        f"/nominations/{offering.id}/invite", data={"email": "new.cadet@example.org"}
    )
    assert duplicate.status_code == 409
    assert count(Invitation) == 1

    visitor = app.test_client()
    registered = visitor.post(
        "/account/register",
        data={
            "name": "New Cadet",
            "email": "new.cadet@example.org",
            "password": "blue river mountain",
            "confirm": "blue river mountain",
            "country": "KE",
            "timezone": "Africa/Nairobi",
            "language": "en",
        },
    )
    assert redirected_to(registered) == "/"
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment.status == EnrolmentStatus.NOMINATED
    assert enrolment.country_code == "KE"
    assert history_rows(enrolment) == [("nominated", focal.id, "nominated")]
    assert "Nominated" in visible_text(visitor.get("/my/training"))


# --- Withdrawal and the waiting list ----------------------------------------------------------


def test_withdrawal_promotes_the_first_waiting_candidate_who_fits(log_in):
    offering = open_offering(
        capacity=2, allocation=SeatAllocation.FIRST_COME, quotas={"KE": 1, "UG": 1}
    )
    kenyan, ugandan = person(country="KE"), person(country="UG")
    late_kenyan, late_ugandan = person(country="KE"), person(country="UG")
    browsers = {user.id: log_in(user) for user in (kenyan, ugandan, late_kenyan, late_ugandan)}
    for user in (kenyan, ugandan, late_kenyan, late_ugandan):
        enrol(browsers[user.id], offering)
    assert "Waiting list, position 2" in visible_text(browsers[late_ugandan.id].get("/my/training"))

    leaving = enrolment_of(ugandan, offering)
    confirm = browsers[ugandan.id].get(f"/enrolments/{leaving.id}/withdraw")
    assert confirm.status_code == 200
    assert "Withdraw from this offering?" in text(confirm)
    response = browsers[ugandan.id].post(f"/enrolments/{leaving.id}/withdraw")
    assert redirected_to(response) == "/my/training"

    # Uganda's seat is free: the first in line is Kenyan and over Kenya's quota,
    # so the waiting Ugandan gets it.
    assert enrolment_of(ugandan, offering).status == EnrolmentStatus.WITHDRAWN
    promoted = enrolment_of(late_ugandan, offering)
    assert promoted.status == EnrolmentStatus.CONFIRMED
    assert enrolment_of(late_kenyan, offering).status == EnrolmentStatus.WAITLISTED
    assert history_rows(leaving)[-1] == ("withdrew", ugandan.id, "withdrawn")
    assert history_rows(promoted)[-1] == ("promoted", None, "confirmed")
    history = visible_text(browsers[late_ugandan.id].get(f"/enrolments/{promoted.id}"))
    assert "Moved from the waiting list to a seat" in history
    assert "The site, by the rules" in history
    assert "Waiting list, position 1" in visible_text(browsers[late_kenyan.id].get("/my/training"))
    assert "Withdrawn" in visible_text(browsers[ugandan.id].get("/my/training"))


def test_another_trainee_cannot_withdraw_or_see_an_enrolment(log_in):
    offering = open_offering(allocation=SeatAllocation.FIRST_COME)
    owner, intruder = person(), person()
    enrol(log_in(owner), offering)
    enrolment = enrolment_of(owner, offering)
    other = log_in(intruder)
    assert other.get(f"/enrolments/{enrolment.id}/withdraw").status_code == 404
    assert other.post(f"/enrolments/{enrolment.id}/withdraw").status_code == 404
    assert enrolment_of(owner, offering).status == EnrolmentStatus.CONFIRMED


def test_no_withdrawal_once_the_offering_has_started(log_in):
    offering = open_offering(allocation=SeatAllocation.FIRST_COME)
    trainee = person()
    browser = log_in(trainee)
    enrol(browser, offering)
    enrolment = enrolment_of(trainee, offering)
    offering = db.session.get(Offering, offering.id)
    offering.starts_on = TODAY - timedelta(days=1)
    offering.ends_on = TODAY + timedelta(days=20)
    offering.enrolment_opens_on = TODAY - timedelta(days=20)
    offering.enrolment_closes_on = TODAY - timedelta(days=2)
    db.session.commit()
    assert "Withdraw" not in text(browser.get("/my/training"))
    response = browser.post(f"/enrolments/{enrolment.id}/withdraw")
    assert response.status_code == 422
    assert "has started" in text(response)
    assert enrolment_of(trainee, offering).status == EnrolmentStatus.CONFIRMED


def test_my_training_lists_every_status_with_positions(log_in):
    trainee = person()
    others = [person() for _index in range(2)]
    done = make_course("HEE-B", title="HEE Basic")
    past = make_offering(
        done,
        starts_on=TODAY - timedelta(days=90),
        ends_on=TODAY - timedelta(days=60),
        enrolment_opens_on=TODAY - timedelta(days=150),
        enrolment_closes_on=TODAY - timedelta(days=100),
    )
    db.session.add(
        Enrolment(user=trainee, offering=past, country_code="KE", status=EnrolmentStatus.COMPLETED)
    )
    db.session.commit()
    full = open_offering(capacity=1, allocation=SeatAllocation.FIRST_COME)
    for other in others:
        services.apply(other, full.id)
        db.session.commit()
    services.apply(trainee, full.id)
    db.session.commit()
    nomination = open_offering()
    services.apply(trainee, nomination.id)
    db.session.commit()

    page = visible_text(log_in(trainee).get("/my/training"))
    assert "Completed" in page
    assert "Waiting list, position 2" in page
    assert "Applied" in page
    assert page.count("History") == 3


# --- The history page ---------------------------------------------------------------------


def test_history_page_access(client, log_in):
    offering = open_offering()
    owner = person(name="Owner Trainee")
    enrol(log_in(owner), offering)
    enrolment = enrolment_of(owner, offering)
    url = f"/enrolments/{enrolment.id}"

    assert log_in(owner).get(url).status_code == 200
    assert log_in(person()).get(url).status_code == 404
    assert redirected_to(client.get(url)) == "/account/login"
    assert log_in(person(None, Role.FOCAL_POINT, country="KE")).get(url).status_code == 200
    assert log_in(person(None, Role.FOCAL_POINT, country="UG")).get(url).status_code == 404
    assert log_in(person(None, Role.COORDINATOR)).get(url).status_code == 200
    assert log_in(owner).get("/enrolments/999999").status_code == 404


# --- Prerequisites ----------------------------------------------------------------------------


def prerequisite_offering(**fields):
    basic = make_course("HEE-B", title="HEE Basic")
    course = make_course("HEE-I", title="HEE Intermediate")
    course.prerequisites.append(basic)
    return open_offering(course=course, **fields)


def test_missing_prerequisite_is_named_and_nothing_is_written(log_in):
    offering = prerequisite_offering(allocation=SeatAllocation.FIRST_COME)
    trainee = person()
    browser = log_in(trainee)
    page = text(browser.get(f"/offerings/{offering.id}"))
    assert 'href="/courses/HEE-B"' in page, "the offering page says so before a click"

    response = enrol(browser, offering)
    assert response.status_code == 422
    assert "HEE-B HEE Basic" in text(response)
    assert 'href="/courses/HEE-B"' in text(response)
    assert count(Enrolment) == 0
    assert count(EnrolmentEvent) == 0


def test_coordinator_overrides_prerequisites_with_a_reason(log_in):
    offering = prerequisite_offering()
    trainee = person("trainee@example.org")
    coordinator = person("coord@example.org", Role.COORDINATOR)
    director = log_in(coordinator)
    url = f"/offerings/{offering.id}/prerequisite-override"

    no_reason = director.post(url, data={"email": "trainee@example.org", "reason": ""})
    assert no_reason.status_code == 422
    unknown = director.post(url, data={"email": "nobody@example.org", "reason": "Equivalent"})
    assert unknown.status_code == 422
    assert "There is no account with this e-mail address." in text(unknown)
    assert count(Enrolment) == 0

    response = director.post(
        url, data={"email": "trainee@example.org", "reason": "Equivalent national course"}
    )
    assert redirected_to(response) == f"/offerings/{offering.id}/enrolments"
    enrolment = enrolment_of(trainee, offering)
    assert enrolment.status == EnrolmentStatus.NOMINATED
    assert enrolment.prerequisite_override == "Equivalent national course"
    assert history_rows(enrolment) == [("prerequisite_override", coordinator.id, "nominated")]

    director.post(f"/enrolments/{enrolment.id}/select")
    assert enrolment_of(trainee, offering).status == EnrolmentStatus.CONFIRMED
    history = visible_text(log_in(trainee).get(f"/enrolments/{enrolment.id}"))
    assert "Admitted without the prerequisite courses" in history
    assert "Equivalent national course" in history

    twice = director.post(url, data={"email": "trainee@example.org", "reason": "Again"})
    assert twice.status_code == 409
    assert count(Enrolment) == 1


def test_only_coordinators_override(log_in):
    offering = prerequisite_offering()
    person("trainee@example.org")
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    response = log_in(focal).post(
        f"/offerings/{offering.id}/prerequisite-override",
        data={"email": "trainee@example.org", "reason": "Please"},
    )
    assert response.status_code == 403
    assert count(Enrolment) == 0


# --- Refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": OfferingStatus.CANCELLED}, "This offering is cancelled."),
        ({"status": OfferingStatus.DRAFT}, "This offering is not open for enrolment."),
        ({"enrolment_opens_on": TODAY + timedelta(days=2)}, "Enrolment has not opened yet."),
        (
            {
                "enrolment_opens_on": TODAY - timedelta(days=9),
                "enrolment_closes_on": TODAY - timedelta(days=2),
            },
            "Enrolment has closed.",
        ),
        (
            {
                "starts_on": TODAY - timedelta(days=1),
                "enrolment_opens_on": TODAY - timedelta(days=9),
                "enrolment_closes_on": TODAY - timedelta(days=2),
            },
            "This offering has already started.",
        ),
    ],
    ids=["cancelled", "draft", "not-yet-open", "closed", "started"],
)
def test_enrolment_outside_the_rules_gets_a_message_and_writes_nothing(log_in, change, message):
    offering = open_offering(allocation=SeatAllocation.FIRST_COME)
    for key, value in change.items():
        setattr(offering, key, value)
    db.session.commit()
    response = enrol(log_in(person()), offering)
    assert response.status_code == 422
    assert message in text(response)
    assert count(Enrolment) == 0
    assert count(EnrolmentEvent) == 0


def test_enrolling_in_an_unknown_offering_is_404(log_in):
    assert enrol(log_in(person()), Offering(id=424242)).status_code == 404


def test_double_submit_is_a_conflict_and_keeps_one_row(log_in):
    offering = open_offering(allocation=SeatAllocation.FIRST_COME)
    browser = log_in(person())
    assert enrol(browser, offering).status_code == 302
    again = enrol(browser, offering)
    assert again.status_code == 409
    assert "You already have an enrolment in this offering." in text(again)
    assert count(Enrolment) == 1


def test_a_double_submit_that_races_past_the_check_is_still_one_row(log_in, monkeypatch):
    """Two requests that both find no enrolment yet: the database's unique index
    stops the second, which gets 409 rather than an error page."""
    offering = open_offering(allocation=SeatAllocation.FIRST_COME)
    browser = log_in(person())
    monkeypatch.setattr(services, "live_enrolment", lambda user_id, offering_id: None)
    assert enrol(browser, offering).status_code == 302
    again = enrol(browser, offering)
    assert again.status_code == 409
    assert "You already have an enrolment in this offering." in text(again)
    assert count(Enrolment) == 1
    assert count(EnrolmentEvent) == 1


def test_forged_fields_are_ignored(log_in):
    offering = open_offering()
    trainee = person(country="KE")
    someone_else = person(country="UG")
    response = enrol(
        log_in(trainee),
        offering,
        status="confirmed",
        country_code="UG",
        user_id=str(someone_else.id),
        user=str(someone_else.id),
    )
    assert response.status_code == 302
    enrolment = db.session.scalar(select(Enrolment))
    assert (enrolment.user_id, enrolment.status, enrolment.country_code) == (
        trainee.id,
        EnrolmentStatus.APPLIED,
        "KE",
    )


def test_seat_lock_timeout_answers_503(log_in, monkeypatch):
    offering = open_offering(allocation=SeatAllocation.FIRST_COME)
    browser = log_in(person())

    def busy(offering_id):
        raise SeatLockTimeout("lock timeout")

    monkeypatch.setattr(services, "lock_offering", busy)
    response = enrol(browser, offering)
    assert response.status_code == 503
    assert "Try again" in text(response)
    assert count(Enrolment) == 0


def test_trainee_cannot_use_focal_point_or_coordinator_actions(log_in):
    offering = open_offering()
    trainee = person()
    browser = log_in(trainee)
    enrol(browser, offering)
    enrolment = enrolment_of(trainee, offering)
    assert browser.post(f"/enrolments/{enrolment.id}/nominate").status_code == 403
    assert browser.post(f"/enrolments/{enrolment.id}/select").status_code == 403
    assert browser.get("/nominations").status_code == 403
    assert browser.get(f"/offerings/{offering.id}/enrolments").status_code == 403
    assert browser.get(f"/offerings/{offering.id}/roster.csv").status_code == 403
    assert enrolment_of(trainee, offering).status == EnrolmentStatus.APPLIED


# --- Coordinators -----------------------------------------------------------------------------


def test_coordinator_removes_with_a_reason_and_the_seat_moves_on(log_in):
    offering = open_offering(capacity=1, allocation=SeatAllocation.FIRST_COME)
    confirmed, waiting = person(), person()
    coordinator = person("coord@example.org", Role.COORDINATOR)
    enrol(log_in(confirmed), offering)
    enrol(log_in(waiting), offering)
    enrolment = enrolment_of(confirmed, offering)
    director = log_in(coordinator)

    assert director.get(f"/enrolments/{enrolment.id}/remove").status_code == 200
    no_reason = director.post(f"/enrolments/{enrolment.id}/remove", data={"note": ""})
    assert no_reason.status_code == 422
    assert enrolment_of(confirmed, offering).status == EnrolmentStatus.CONFIRMED

    response = director.post(
        f"/enrolments/{enrolment.id}/remove", data={"note": "Failed the medical check"}
    )
    assert redirected_to(response) == f"/offerings/{offering.id}/enrolments"
    assert enrolment_of(confirmed, offering).status == EnrolmentStatus.WITHDRAWN
    assert enrolment_of(waiting, offering).status == EnrolmentStatus.CONFIRMED
    assert history_rows(enrolment)[-1] == ("removed", coordinator.id, "withdrawn")


def test_coordinator_switches_the_allocation_mode(log_in):
    offering = open_offering(allocation=SeatAllocation.NOMINATION)
    coordinator = person("coord@example.org", Role.COORDINATOR)
    director = log_in(coordinator)
    page = director.get(f"/offerings/{offering.id}/enrolments")
    assert "Nomination and selection" in text(page)

    url = f"/offerings/{offering.id}/allocation"
    assert director.post(url, data={"allocation": "lottery"}).status_code == 422
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    assert log_in(focal).post(url, data={"allocation": "first_come"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Offering, offering.id).seat_allocation == SeatAllocation.NOMINATION

    assert redirected_to(director.post(url, data={"allocation": "first_come"})) == (
        f"/offerings/{offering.id}/enrolments"
    )
    db.session.expire_all()
    assert db.session.get(Offering, offering.id).seat_allocation == SeatAllocation.FIRST_COME
    trainee = person()
    enrol(log_in(trainee), offering)
    assert enrolment_of(trainee, offering).status == EnrolmentStatus.CONFIRMED


def test_quota_release_promotes_waiting_candidates_over_their_quota(log_in):
    offering = open_offering(capacity=3, allocation=SeatAllocation.FIRST_COME, quotas={"KE": 1})
    first, second = person(country="KE"), person(country="KE")
    enrol(log_in(first), offering)
    enrol(log_in(second), offering)
    waiting = enrolment_of(second, offering)
    assert waiting.status == EnrolmentStatus.WAITLISTED, "over Kenya's quota"

    coordinator = person("coord@example.org", Role.COORDINATOR)
    director = log_in(coordinator)
    early = director.post(f"/offerings/{offering.id}/release-quotas")
    assert early.status_code == 422, "quotas bind until their release date"

    offering = db.session.get(Offering, offering.id)
    after = offering.quota_release_at + timedelta(minutes=1)
    promoted = services.release_quotas(offering.id, now=after)
    db.session.commit()
    assert [e.id for e in promoted] == [waiting.id]
    assert enrolment_of(second, offering).status == EnrolmentStatus.CONFIRMED
    assert history_rows(waiting)[-1] == ("promoted", None, "confirmed")
    page = visible_text(director.get(f"/offerings/{offering.id}/enrolments"))
    assert "unused seats are open to every country" in page
    again = director.post(f"/offerings/{offering.id}/release-quotas")
    assert again.status_code == 409


# --- Rosters ------------------------------------------------------------------------------------


def test_roster_csv_for_coordinators_and_focal_points(log_in):
    offering = open_offering(capacity=5, allocation=SeatAllocation.FIRST_COME)
    offering.course.code = "TPP-ENG-HEE-B"
    db.session.commit()
    for name, country in (("=HYPERLINK(1)", "KE"), ("Alice Achieng", "KE"), ("Moses Okello", "UG")):
        services.apply(person(name=name, country=country), offering.id)
        db.session.commit()
    coordinator = person("coord@example.org", Role.COORDINATOR)

    response = log_in(coordinator).get(f"/offerings/{offering.id}/roster.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    expected = f"tpp-eng-hee-b-{offering.starts_on.isoformat()}-roster.csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{expected}"'
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == [
        "Name",
        "Country",
        "Status",
        "Waiting list position",
        "Applied on",
        "Decided on",
    ]
    assert sorted(row[0] for row in rows[1:]) == ["'=HYPERLINK(1)", "Alice Achieng", "Moses Okello"]
    assert {row[1] for row in rows[1:]} == {"Kenya", "Uganda"}
    assert {row[2] for row in rows[1:]} == {"Confirmed"}
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[4]) for row in rows[1:])

    focal = person("focal.ug@example.org", Role.FOCAL_POINT, country="UG")
    part = log_in(focal).get(f"/offerings/{offering.id}/roster.csv")
    assert part.status_code == 200
    assert part.headers["Content-Disposition"].endswith(
        f'tpp-eng-hee-b-{offering.starts_on.isoformat()}-ug-roster.csv"'
    )
    rows = list(csv.reader(io.StringIO(part.get_data().decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["Moses Okello"]


def test_roster_cells_and_file_names_are_safe():
    for risky in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(risky) == "'" + risky
    assert safe_cell("Amina") == "Amina"
    assert safe_cell(None) == ""
    name = roster_filename('HEE "B"\r\nX-Injected: 1', date(2027, 3, 1), "KE")
    assert name == "hee-b-x-injected-1-2027-03-01-ke-roster.csv"


# --- Gender balance ---------------------------------------------------------------------------


def test_gender_share_is_shown_against_the_target(log_in):
    offering = open_offering(capacity=5, allocation=SeatAllocation.FIRST_COME)
    genders = [Gender.FEMALE, Gender.MALE, Gender.MALE, Gender.MALE, Gender.MALE]
    for gender in genders:
        services.apply(person(gender=gender), offering.id)
        db.session.commit()
    coordinator = person("coord@example.org", Role.COORDINATOR)
    director = log_in(coordinator)
    page = visible_text(director.get(f"/offerings/{offering.id}/enrolments"))
    assert "1 of 5 confirmed trainees are women (20%)" in page
    assert "target met" in page
    assert "the target is 15%" in page
    assert "Female" not in page and "Woman" not in page, "aggregates only"
    public_page = visible_text(director.get(f"/offerings/{offering.id}"))
    assert "1 of 5 confirmed trainees are women (20%)" in public_page

    trainee_view = visible_text(log_in(person()).get(f"/offerings/{offering.id}"))
    assert "confirmed trainees are women" not in trainee_view


def test_small_groups_hide_the_share_of_women_except_from_admins(log_in):
    offering = open_offering(capacity=4, allocation=SeatAllocation.FIRST_COME)
    for gender in (Gender.FEMALE, Gender.MALE, Gender.MALE):
        services.apply(person(gender=gender), offering.id)
        db.session.commit()
    coordinator = log_in(person("coord@example.org", Role.COORDINATOR))
    page = visible_text(coordinator.get(f"/offerings/{offering.id}/enrolments"))
    assert "Fewer than 5 confirmed trainees: the share is not shown." in page
    assert "1 of 3" not in page
    admin = log_in(person("admin@example.org", Role.ADMIN))
    page = visible_text(admin.get(f"/offerings/{offering.id}/enrolments"))
    assert "1 of 3 confirmed trainees are women (33%)" in page


def test_focal_point_is_warned_when_their_nominees_are_all_men(log_in):
    offering = open_offering(capacity=4)
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    men = [person(gender=Gender.MALE) for _index in range(2)]
    kenya = log_in(focal)
    for man in men:
        kenya.post(f"/nominations/{offering.id}/nominate", data={"person": str(man.id)})
    page = visible_text(kenya.get(f"/nominations/{offering.id}"))
    assert "Everyone Kenya has put forward for this offering is a man." in page

    woman = person(gender=Gender.FEMALE)
    kenya.post(f"/nominations/{offering.id}/nominate", data={"person": str(woman.id)})
    page = visible_text(kenya.get(f"/nominations/{offering.id}"))
    assert "is a man" not in page


# --- Layout and forms as browsers send them ----------------------------------------------


def test_enrolment_pages_are_accessible(log_in):
    offering = prerequisite_offering(capacity=1, allocation=SeatAllocation.FIRST_COME)
    trainee, waiting = person(), person()
    coordinator = person("coord@example.org", Role.COORDINATOR)
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    for user in (trainee, waiting):
        services.override_prerequisites(coordinator, user.id, offering.id, "Equivalent course")
        db.session.commit()
    mine, other = enrolment_of(trainee, offering), enrolment_of(waiting, offering)
    pages = {
        trainee: ["/my/training", f"/enrolments/{mine.id}", f"/enrolments/{mine.id}/withdraw"],
        focal: [
            "/nominations",
            f"/nominations/{offering.id}",
            f"/enrolments/{other.id}/decline",
            f"/offerings/{offering.id}",
        ],
        coordinator: [
            "/enrolments",
            f"/offerings/{offering.id}/enrolments",
            f"/enrolments/{mine.id}/remove",
            f"/offerings/{offering.id}",
        ],
    }
    for user, urls in pages.items():
        browser = log_in(user)
        for url in urls:
            response = browser.get(url)
            assert response.status_code == 200, url
            assert_accessible_layout(response)
            assert all(th.get("scope") for th in page(response).all("th")), url
    refused = enrol(log_in(person()), offering)
    assert refused.status_code == 422
    assert_accessible_layout(refused)
    invalid = log_in(coordinator).post(
        f"/offerings/{offering.id}/prerequisite-override", data={"email": "", "reason": ""}
    )
    assert invalid.status_code == 422
    assert_accessible_layout(invalid)


def csrf_token_in(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', text(response))
    assert match, "the form carries a CSRF token"
    return match.group(1)


def test_the_forms_work_with_csrf_protection_on(app, log_in, monkeypatch):
    offering = open_offering(allocation=SeatAllocation.FIRST_COME)
    focal = person("focal.ke@example.org", Role.FOCAL_POINT)
    candidate = person()
    browser, kenya = log_in(person()), log_in(focal)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert enrol(browser, offering).status_code == 400, "no token, no enrolment"
    token = csrf_token_in(browser.get(f"/offerings/{offering.id}"))
    assert enrol(browser, offering, csrf_token=token).status_code == 302
    assert count(Enrolment) == 1

    token = csrf_token_in(kenya.get(f"/nominations/{offering.id}"))
    response = kenya.post(
        f"/nominations/{offering.id}/nominate",
        data={"person": str(candidate.id), "csrf_token": token},
    )
    assert redirected_to(response) == f"/nominations/{offering.id}"
    assert enrolment_of(candidate, offering).status == EnrolmentStatus.NOMINATED


# --- Waiting-list offers and enrolment-opening notices ----------------------------------


def test_a_place_from_the_waiting_list_is_accepted_on_my_training(log_in):
    offering = open_offering(capacity=1, allocation=SeatAllocation.FIRST_COME)
    first, second, stranger = person(), person(), person()
    browsers = {user.id: log_in(user) for user in (first, second, stranger)}
    enrol(browsers[first.id], offering)
    enrol(browsers[second.id], offering)
    leaving = enrolment_of(first, offering)
    browsers[first.id].post(f"/enrolments/{leaving.id}/withdraw")

    promoted = enrolment_of(second, offering)
    assert promoted.status == EnrolmentStatus.CONFIRMED
    assert promoted.offer_expires_at is not None
    my_page = visible_text(browsers[second.id].get("/my/training"))
    assert "Accept this place" in my_page

    assert browsers[stranger.id].post(f"/enrolments/{promoted.id}/accept").status_code == 404
    response = browsers[second.id].post(f"/enrolments/{promoted.id}/accept")
    assert redirected_to(response) == "/my/training"
    accepted = enrolment_of(second, offering)
    assert accepted.offer_expires_at is None
    assert history_rows(accepted)[-1] == ("accepted", second.id, "confirmed")
    assert "Accept this place" not in visible_text(browsers[second.id].get("/my/training"))
    again = browsers[second.id].post(f"/enrolments/{promoted.id}/accept")
    assert again.status_code == 409


def test_a_trainee_asks_to_be_told_when_enrolment_opens(log_in):
    from catalog.models import EnrolmentWatch

    offering = open_offering(
        enrolment_opens_on=TODAY + timedelta(days=3),
        enrolment_closes_on=TODAY + timedelta(days=10),
    )
    trainee = person()
    browser = log_in(trainee)
    assert "Tell me when enrolment opens" in text(browser.get(f"/offerings/{offering.id}"))

    for _ in range(2):  # a double click is not an error
        response = browser.post(f"/offerings/{offering.id}/watch")
        assert redirected_to(response) == f"/offerings/{offering.id}"
    assert count(EnrolmentWatch) == 1
    page_text = visible_text(browser.get(f"/offerings/{offering.id}"))
    assert "We will e-mail you when enrolment opens." in page_text
    assert "Stop telling me" in page_text

    browser.post(f"/offerings/{offering.id}/watch", data={"stop": "1"})
    assert count(EnrolmentWatch) == 0


def test_no_watching_once_enrolment_is_open(log_in):
    offering = open_offering()
    browser = log_in(person())
    assert "Tell me when enrolment opens" not in text(browser.get(f"/offerings/{offering.id}"))
    assert browser.post(f"/offerings/{offering.id}/watch").status_code == 409
