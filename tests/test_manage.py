"""Coordinators' pages: courses and offerings created, edited, published, cancelled,
and given instructors and partners, through the real forms and through the services."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from catalog.extensions import db
from catalog.manage import services
from catalog.manage.services import CourseValues, InvalidValues, OfferingValues, StatusError
from catalog.models import (
    Course,
    CourseStatus,
    DeliveryMode,
    Discipline,
    Level,
    Offering,
    OfferingPartner,
    OfferingQuota,
    OfferingStatus,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Role,
    SessionStatus,
    TrainingSession,
)
from tests.factories import PASSWORD, make_course, make_offering, make_user


def log_in_as(client, *roles: Role) -> int:
    user = make_user(None, *roles)
    db.session.commit()
    user_id = user.id
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, "logged in"
    return user_id


@pytest.fixture
def coordinator(client):
    log_in_as(client, Role.COORDINATOR)
    return client


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text_of(response) -> str:
    return response.get_data(as_text=True)


class _Ids(HTMLParser):
    """The text inside each element that has an id."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.text: dict[str, str] = {}
        self._open: list[tuple[str | None, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in {"input", "br", "meta", "link", "img", "hr"}:
            return
        self._open.append((dict(attrs).get("id"), []))

    def handle_endtag(self, tag):
        if tag in {"input", "br", "meta", "link", "img", "hr"} or not self._open:
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
    """The error text the field macro shows under ``field`` (empty when none)."""
    return _Ids(text_of(response)).text.get(f"{field}-error", "")


def flashes(response) -> str:
    return " ".join(re.findall(r'<p class="flash[^"]*">([^<]*)</p>', text_of(response)))


# --- Form data ----------------------------------------------------------------------------

START = date.today() + timedelta(days=90)


def course_form(**changes) -> dict:
    data = {
        "code": "TPP-MED-FMAC",
        "title": "UN Field Medical Assistants Course",
        "discipline": "medical",
        "level": "basic",
        "programme": "tpp",
        "summary": "Seven days of field medical care to UN standards.",
        "description": "## Topics\n\n- Buddy first aid\n- Casualty evacuation",
        "duration_days": "7",
    }
    data.update(changes)
    return data


def offering_form(course: Course, **changes) -> dict:
    data = {
        "course_id": str(course.id),
        "delivery_mode": "in_person",
        "venue": "IPSTC, Embakasi, Nairobi",
        "country": "KE",
        "timezone": "Africa/Nairobi",
        "language": "en",
        "interpretation": "",
        "starts_on": START.isoformat(),
        "ends_on": (START + timedelta(days=41)).isoformat(),
        "enrolment_opens_on": (START - timedelta(days=60)).isoformat(),
        "enrolment_closes_on": (START - timedelta(days=14)).isoformat(),
        "capacity": "20",
        "quotas": "KE:4;UG:4;RW:2",
        "health_requirements": "Medical fitness certificate.",
        "travel_requirements": "Passport valid for six months.",
    }
    data.update(changes)
    return data


def offering_values(course: Course, **changes) -> OfferingValues:
    values = {
        "course_id": course.id,
        "delivery_mode": DeliveryMode.IN_PERSON,
        "venue": "Entebbe",
        "country_code": "UG",
        "timezone": "Africa/Kampala",
        "starts_on": START,
        "ends_on": START + timedelta(days=13),
        "enrolment_opens_on": START - timedelta(days=60),
        "enrolment_closes_on": START - timedelta(days=14),
        "capacity": 10,
        "quotas": "",
    }
    values.update(changes)
    return OfferingValues(**values)


def add_session(offering: Offering, day: int = 0, **fields) -> TrainingSession:
    starts = datetime.combine(offering.starts_on + timedelta(days=day), datetime.min.time(), UTC)
    session = TrainingSession(
        offering=offering,
        title=fields.pop("title", f"Day {day + 1}"),
        starts_at=starts + timedelta(hours=6),
        ends_at=starts + timedelta(hours=14),
        timezone=offering.timezone,
        **fields,
    )
    db.session.add(session)
    db.session.flush()
    return session


# --- Access -------------------------------------------------------------------------------

PAGES = [
    "/manage",
    "/manage/courses/new",
    "/manage/courses/{course}/edit",
    "/manage/courses/{course}/cancel",
    "/manage/offerings/new",
    "/manage/offerings/{offering}/edit",
    "/manage/offerings/{offering}/people",
    "/manage/offerings/{offering}/cancel",
    "/manage/organisations/new",
]
ACTIONS = [
    "/manage/courses/{course}/publish",
    "/manage/courses/{course}/unpublish",
    "/manage/courses/{course}/cancel",
    "/manage/courses/{course}/reinstate",
    "/manage/offerings/{offering}/publish",
    "/manage/offerings/{offering}/unpublish",
    "/manage/offerings/{offering}/cancel",
    "/manage/offerings/{offering}/reinstate",
]


def _urls(templates: list[str]) -> list[str]:
    offering = make_offering(status=OfferingStatus.DRAFT)
    db.session.commit()
    return [t.format(course=offering.course_id, offering=offering.id) for t in templates]


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in _urls(PAGES):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/account/login" in response.headers["Location"], url
    for url in _urls(ACTIONS):
        response = client.post(url)
        assert response.status_code == 302, url
        assert "/account/login" in response.headers["Location"], url
    assert count(Offering) == 2 and db.session.scalar(select(Offering.status).limit(1)) == "draft"


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.INSTRUCTOR, Role.FOCAL_POINT])
def test_other_roles_are_refused(client, role):
    log_in_as(client, role)
    for url in _urls(PAGES):
        assert client.get(url).status_code == 403, url
    for url in _urls(ACTIONS):
        assert client.post(url).status_code == 403, url
    assert set(db.session.scalars(select(Offering.status))) == {OfferingStatus.DRAFT}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_see_every_page(client, role):
    log_in_as(client, role)
    for url in _urls(PAGES):
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(re.findall(r"<h1[ >]", text_of(response))) == 1, url


def test_unknown_ids_are_not_found(coordinator):
    for url in PAGES[2:4] + PAGES[5:8]:
        assert coordinator.get(url.format(course=999, offering=999)).status_code == 404, url
    for url in ACTIONS:
        assert coordinator.post(url.format(course=999, offering=999)).status_code == 404, url


def test_only_coordinators_see_the_nav_link_and_edit_links(client):
    offering = make_offering()
    db.session.commit()
    course_url, offering_url = f"/courses/{offering.course.code}", f"/offerings/{offering.id}"
    for url in ("/", course_url, offering_url):
        assert "/manage" not in text_of(client.get(url))

    log_in_as(client, Role.TRAINEE)
    assert "/manage" not in text_of(client.get(course_url))
    client.post("/account/logout")

    log_in_as(client, Role.COORDINATOR)
    assert 'href="/manage"' in text_of(client.get("/"))
    assert f'href="/manage/courses/{offering.course_id}/edit"' in text_of(client.get(course_url))
    assert f'href="/manage/offerings/{offering.id}/edit"' in text_of(client.get(offering_url))


# --- The list -----------------------------------------------------------------------------


def test_the_list_shows_courses_and_offerings_with_their_actions(coordinator):
    draft = make_offering(make_course("ENG-1", status=CourseStatus.DRAFT), status="draft")
    published = make_offering(make_course("MED-1"), starts_in_days=120)
    cancelled = make_offering(make_course("C4-1"), status=OfferingStatus.CANCELLED)
    db.session.commit()

    response = coordinator.get("/manage")

    body = text_of(response)
    assert response.status_code == 200
    assert body.count('<th scope="col">') >= 10
    for code in ("ENG-1", "MED-1", "C4-1"):
        assert code in body
    assert f'action="/manage/offerings/{draft.id}/publish"' in body
    assert f'action="/manage/offerings/{published.id}/unpublish"' in body
    assert f'action="/manage/offerings/{cancelled.id}/reinstate"' in body
    assert f'href="/manage/offerings/{published.id}/cancel"' in body
    assert f'action="/manage/courses/{draft.course_id}/publish"' in body
    assert 'name="csrf_token"' in body
    # Newest first.
    assert body.index(f"/offerings/{published.id}/edit") < body.index(f"/offerings/{draft.id}/edit")


def test_the_list_filters_by_status_and_pages(coordinator):
    course = make_course("PAGE-1")
    for day in range(27):
        make_offering(course, starts_in_days=30 + day)
    make_offering(make_course("DRAFT-1", status=CourseStatus.DRAFT), status="draft")
    db.session.commit()

    drafts = text_of(coordinator.get("/manage?status=draft"))
    assert "DRAFT-1" in drafts and "PAGE-1" not in drafts
    first = text_of(coordinator.get("/manage?status=published"))
    assert "Page 1 of 2" in first
    assert first.count("/people") == 25
    second = text_of(coordinator.get("/manage?status=published&page=2"))
    assert second.count("/people") == 2
    assert "Page 2 of 2" in second


# --- Courses ------------------------------------------------------------------------------


def test_a_coordinator_creates_a_course_as_a_draft(coordinator):
    basic = make_course("TPP-ENG-HEE-B")
    db.session.commit()

    response = coordinator.post(
        "/manage/courses/new",
        data=course_form(
            code=" tpp-eng-hee-i ",
            prerequisites=[str(basic.id)],
            qualification_valid_years="4",
        ),
    )

    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.code == "TPP-ENG-HEE-I"))
    assert response.headers["Location"] == f"/manage/courses/{course.id}/edit"
    assert course.status == CourseStatus.DRAFT
    assert course.title == "UN Field Medical Assistants Course"
    assert course.discipline == Discipline.MEDICAL and course.level == Level.BASIC
    assert course.duration_days == 7
    assert course.qualification_valid_years == 4
    assert [p.code for p in course.prerequisites] == ["TPP-ENG-HEE-B"]
    # A draft course is not public yet.
    coordinator.post("/account/logout")
    assert coordinator.get("/courses/TPP-ENG-HEE-I").status_code == 404


def test_a_taken_course_code_is_refused_at_its_field(coordinator):
    make_course("TPP-MED-FMAC", title="The original")
    db.session.commit()

    response = coordinator.post("/manage/courses/new", data=course_form(code="tpp-med-fmac"))

    assert response.status_code == 422
    assert "already has the code TPP-MED-FMAC" in field_error(response, "code")
    assert "Please correct the following" in text_of(response)
    assert count(Course) == 1


def test_course_form_problems_are_shown_at_their_fields(coordinator):
    response = coordinator.post(
        "/manage/courses/new", data=course_form(code="HEE/B", title="", duration_days="0")
    )

    assert response.status_code == 422
    assert "letters, digits" in field_error(response, "code")
    assert field_error(response, "title")
    assert count(Course) == 0

    response = coordinator.post("/manage/courses/new", data=course_form(duration_days="0"))
    assert response.status_code == 422
    assert "at least one day" in field_error(response, "duration_days")
    assert count(Course) == 0

    response = coordinator.post(
        "/manage/courses/new", data=course_form(qualification_valid_years="0")
    )
    assert response.status_code == 422
    assert "at least one year" in field_error(response, "qualification_valid_years")
    assert count(Course) == 0


def test_editing_a_course_changes_its_values_but_never_its_status(coordinator):
    basic = make_course("HEE-B")
    course = make_course("HEE-I", status=CourseStatus.DRAFT)
    db.session.commit()

    form_page = text_of(coordinator.get(f"/manage/courses/{course.id}/edit"))
    assert 'value="HEE-I"' in form_page
    assert f'value="{course.id}"' not in form_page, (
        "a course is not offered as its own prerequisite"
    )

    response = coordinator.post(
        f"/manage/courses/{course.id}/edit",
        data=course_form(
            code="HEE-I",
            title="HEE Intermediate",
            prerequisites=[str(basic.id)],
            status="published",
        ),
    )

    assert response.status_code == 302
    db.session.refresh(course)
    assert course.title == "HEE Intermediate"
    assert course.status == CourseStatus.DRAFT, "a forged status field is ignored"
    assert [p.code for p in course.prerequisites] == ["HEE-B"]


def test_a_course_cannot_require_itself_or_close_a_loop():
    basic = services.create_course(CourseValues("A-1", "Basic", Discipline.OTHER, Level.BASIC))
    middle = services.create_course(
        CourseValues(
            "A-2", "Middle", Discipline.OTHER, Level.INTERMEDIATE, prerequisite_ids=[basic.id]
        )
    )
    values = CourseValues("A-1", "Basic", Discipline.OTHER, Level.BASIC)

    values.prerequisite_ids = [basic.id]
    with pytest.raises(InvalidValues) as error:
        services.update_course(basic, values)
    assert [p.field for p in error.value.problems] == ["prerequisites"]

    values.prerequisite_ids = [middle.id]
    with pytest.raises(InvalidValues) as error:
        services.update_course(basic, values)
    assert "loop" in error.value.problems[0].message


def test_publishing_and_unpublishing_a_course(coordinator):
    course = make_course("PUB-1", status=CourseStatus.DRAFT)
    db.session.commit()

    response = coordinator.post(f"/manage/courses/{course.id}/publish", data={"next": "/manage"})
    assert response.headers["Location"] == "/manage"
    assert db.session.get(Course, course.id).status == CourseStatus.PUBLISHED

    response = coordinator.post(f"/manage/courses/{course.id}/publish", follow_redirects=True)
    assert "already published" in flashes(response)

    response = coordinator.post(f"/manage/courses/{course.id}/reinstate", follow_redirects=True)
    assert "Only a cancelled course can be reinstated." in flashes(response)
    assert db.session.get(Course, course.id).status == CourseStatus.PUBLISHED

    coordinator.post(f"/manage/courses/{course.id}/unpublish")
    assert db.session.get(Course, course.id).status == CourseStatus.DRAFT

    response = coordinator.post(f"/manage/courses/{course.id}/unpublish", follow_redirects=True)
    assert "Only a published course can be unpublished." in flashes(response)


def test_action_buttons_never_redirect_off_site(coordinator):
    course = make_course("PUB-2", status=CourseStatus.DRAFT)
    db.session.commit()

    response = coordinator.post(
        f"/manage/courses/{course.id}/publish", data={"next": "https://evil.example/"}
    )

    assert response.headers["Location"] == f"/manage/courses/{course.id}/edit"


def test_cancelling_a_course_cancels_its_offerings_that_have_not_started(coordinator):
    course = make_course("CXL-1")
    future = make_offering(course, starts_in_days=40)
    future_session = add_session(future)
    draft = make_offering(course, starts_in_days=80, status=OfferingStatus.DRAFT)
    running = make_offering(course, starts_in_days=-3)
    finished = make_offering(course, starts_in_days=-100)
    other = make_offering(make_course("OTHER-1"), starts_in_days=40)
    db.session.commit()

    confirm = text_of(coordinator.get(f"/manage/courses/{course.id}/cancel"))
    assert "cancelled with it" in confirm and "Cancel course" in confirm
    assert db.session.get(Course, course.id).status == CourseStatus.PUBLISHED, "GET changes nothing"

    response = coordinator.post(f"/manage/courses/{course.id}/cancel", follow_redirects=True)

    assert "2 offerings that had not started are cancelled with it." in flashes(response)
    status = dict(db.session.execute(select(Offering.id, Offering.status)).all())
    assert db.session.get(Course, course.id).status == CourseStatus.CANCELLED
    assert status[future.id] == status[draft.id] == OfferingStatus.CANCELLED
    assert status[running.id] == status[finished.id] == OfferingStatus.PUBLISHED
    assert status[other.id] == OfferingStatus.PUBLISHED
    session = db.session.get(TrainingSession, future_session.id)
    assert (session.status, session.revision) == (SessionStatus.CANCELLED, 1)
    # The cancelled course still has a public page that says so.
    assert "Cancelled" in text_of(coordinator.get("/courses/CXL-1"))


def test_a_cancelled_course_is_reinstated_as_a_draft_only():
    course = make_course("RE-1")
    offering = make_offering(course)
    services.set_course_status(course, CourseStatus.CANCELLED)

    with pytest.raises(StatusError):
        services.set_course_status(course, CourseStatus.PUBLISHED)
    with pytest.raises(StatusError):
        services.publish_offering(offering)
    with pytest.raises(StatusError):
        services.reinstate_offering(offering)

    services.reinstate_course(course)
    assert course.status == CourseStatus.DRAFT
    assert offering.status == OfferingStatus.CANCELLED, "its offerings stay cancelled"


# --- Offerings ----------------------------------------------------------------------------


def test_a_new_offering_is_a_draft_until_it_is_published(coordinator):
    course = make_course("TPP-ENG-HEE-B", title="Heavy Engineering Equipment Basic")
    db.session.commit()

    form_page = text_of(coordinator.get(f"/manage/offerings/new?course_id={course.id}"))
    assert f'<option selected value="{course.id}">' in form_page

    response = coordinator.post("/manage/offerings/new", data=offering_form(course))

    assert response.status_code == 302
    offering = db.session.scalar(select(Offering))
    assert response.headers["Location"] == f"/manage/offerings/{offering.id}/edit"
    assert offering.status == OfferingStatus.DRAFT
    assert (offering.venue, offering.country_code, offering.capacity) == (
        "IPSTC, Embakasi, Nairobi",
        "KE",
        20,
    )
    assert {q.country_code: q.seats for q in offering.quotas} == {"KE": 4, "UG": 4, "RW": 2}
    assert offering.enrolment_closes_at == datetime(
        *(START - timedelta(days=14)).timetuple()[:3], 21, tzinfo=UTC
    ), "open to the end of the closing day in Nairobi (UTC+3)"
    assert "Heavy Engineering Equipment Basic" not in text_of(coordinator.get("/catalogue"))

    response = coordinator.post(f"/manage/offerings/{offering.id}/publish", follow_redirects=True)

    assert "The offering is published." in flashes(response)
    assert db.session.get(Offering, offering.id).status == OfferingStatus.PUBLISHED
    coordinator.post("/account/logout")
    assert "Heavy Engineering Equipment Basic" in text_of(coordinator.get("/catalogue"))


def test_publishing_an_offering_of_a_draft_course_warns(coordinator):
    offering = make_offering(make_course(status=CourseStatus.DRAFT), status="draft")
    db.session.commit()

    response = coordinator.post(f"/manage/offerings/{offering.id}/publish", follow_redirects=True)

    assert "once the course is published" in flashes(response)
    assert db.session.get(Offering, offering.id).status == OfferingStatus.PUBLISHED


def test_unpublishing_takes_an_offering_out_of_the_catalogue(coordinator):
    offering = make_offering(make_course(title="Camp Security Technology"))
    db.session.commit()

    coordinator.post(f"/manage/offerings/{offering.id}/unpublish")

    assert db.session.get(Offering, offering.id).status == OfferingStatus.DRAFT
    coordinator.post("/account/logout")
    assert "Camp Security Technology" not in text_of(coordinator.get("/catalogue"))
    assert coordinator.get(f"/offerings/{offering.id}").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"ends_on": (START - timedelta(days=1)).isoformat()},
            "ends_on",
            "The end date must not be before the start date.",
        ),
        (
            {"enrolment_closes_on": START.isoformat()},
            "enrolment_closes_on",
            "Enrolment must close before the offering starts.",
        ),
        (
            {"enrolment_opens_on": (START - timedelta(days=10)).isoformat()},
            "enrolment_opens_on",
            "Enrolment must open before it closes.",
        ),
        ({"capacity": "0", "quotas": ""}, "capacity", "The capacity must be at least 1."),
        (
            {"capacity": "8", "quotas": "KE:4;UG:4;RW:1"},
            "quotas",
            "Country quotas add up to 9 seats, more than the capacity of 8.",
        ),
        ({"quotas": "KE:4;ZZ:2"}, "quotas", "Unknown country codes: ZZ."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list"),
        ({"country": "ZZ"}, "country", "Choose a country from the list."),
        ({"country": ""}, "country", "An in-person or blended offering needs a host country."),
        (
            {"delivery_mode": "remote", "country": "", "timezone": "", "quotas": ""},
            "timezone",
            "Choose a time zone: there is no host country to take it from.",
        ),
        ({"starts_on": "next week"}, "starts_on", "Not a valid date value."),
        ({"capacity": "many"}, "capacity", "Not a valid integer value."),
        ({"course_id": ""}, "course_id", "Choose a course."),
        ({"language": "xx"}, "language", "Not a valid choice."),
    ],
)
def test_each_offering_rule_is_shown_at_its_field_and_nothing_is_written(
    coordinator, changes, field, message
):
    course = make_course()
    db.session.commit()

    response = coordinator.post("/manage/offerings/new", data=offering_form(course, **changes))

    assert response.status_code == 422
    assert message in field_error(response, field)
    assert f'href="#{field}"' in text_of(response), "the error summary links to the field"
    assert count(Offering) == 0
    assert count(OfferingQuota) == 0


@pytest.mark.parametrize(
    ("quotas", "message"),
    [
        ("KE4", "write quotas as country code and seats, e.g. KE:4;UG:4"),
        ("KEN:4", "write quotas as country code and seats"),
        ("KE:four", "KE: the number of seats is not a whole number"),
        ("KE:0", "KE: a quota needs at least one seat"),
        ("KE:2;ke:1", "KE appears twice"),
    ],
)
def test_quotas_that_cannot_be_read_are_refused(coordinator, quotas, message):
    course = make_course()
    db.session.commit()

    response = coordinator.post("/manage/offerings/new", data=offering_form(course, quotas=quotas))

    assert response.status_code == 422
    assert message in field_error(response, "quotas")
    assert count(Offering) == 0


def test_several_problems_are_shown_together(coordinator):
    course = make_course()
    db.session.commit()

    response = coordinator.post(
        "/manage/offerings/new",
        data=offering_form(
            course,
            ends_on=(START - timedelta(days=1)).isoformat(),
            capacity="2",
            quotas="KE:x",
        ),
    )

    assert response.status_code == 422
    assert field_error(response, "ends_on")
    assert "not a whole number" in field_error(response, "quotas")
    assert count(Offering) == 0


def test_quotas_and_spacing_are_accepted_as_typed(coordinator):
    course = make_course()
    db.session.commit()

    response = coordinator.post(
        "/manage/offerings/new", data=offering_form(course, quotas=" ke : 3 , ug:2; ")
    )

    assert response.status_code == 302
    quotas = db.session.execute(select(OfferingQuota.country_code, OfferingQuota.seats)).all()
    assert sorted(quotas) == [("KE", 3), ("UG", 2)]


def test_the_time_zone_defaults_to_the_host_countrys(coordinator):
    course = make_course()
    db.session.commit()

    response = coordinator.post(
        "/manage/offerings/new", data=offering_form(course, country="UG", timezone="", quotas="")
    )

    assert response.status_code == 302
    assert db.session.scalar(select(Offering.timezone)) == "Africa/Kampala"


def test_a_remote_offering_needs_no_country(coordinator):
    course = make_course()
    db.session.commit()

    response = coordinator.post(
        "/manage/offerings/new",
        data=offering_form(
            course,
            delivery_mode="remote",
            venue="",
            country="",
            timezone="America/New_York",
            language="fr",
            interpretation="en",
        ),
    )

    assert response.status_code == 302
    offering = db.session.scalar(select(Offering))
    assert offering.country_code is None and offering.is_online
    assert (offering.language, offering.interpretation) == ("fr", "en")


def test_service_rules_reject_an_unknown_zone_or_country():
    course = make_course()

    with pytest.raises(InvalidValues) as error:
        services.create_offering(offering_values(course, timezone="Mars/Olympus"))
    assert error.value.problems[0].field == "timezone"
    assert "is not an IANA time zone" in error.value.problems[0].message

    with pytest.raises(InvalidValues) as error:
        services.create_offering(offering_values(course, country_code="zz"))
    assert [(p.field, p.message) for p in error.value.problems] == [
        ("country", "ZZ is not a known country code.")
    ]
    assert count(Offering) == 0


def test_no_offering_for_a_cancelled_course(coordinator):
    course = make_course(status=CourseStatus.CANCELLED)
    db.session.commit()

    form_page = text_of(coordinator.get("/manage/offerings/new"))
    assert f'value="{course.id}"' not in form_page
    with pytest.raises(InvalidValues) as error:
        services.create_offering(offering_values(course))
    assert error.value.problems[0].field == "course_id"


def test_editing_an_offering_moves_its_dates_and_keeps_its_quotas(coordinator):
    offering = make_offering(capacity=12)
    offering.quotas = [
        OfferingQuota(country_code="KE", seats=4),
        OfferingQuota(country_code="UG", seats=4),
    ]
    add_session(offering, day=1)
    db.session.commit()
    page = text_of(coordinator.get(f"/manage/offerings/{offering.id}/edit"))
    assert 'value="KE:4;UG:4"' in page

    moved = START + timedelta(days=30)
    response = coordinator.post(
        f"/manage/offerings/{offering.id}/edit",
        data=offering_form(
            offering.course,
            starts_on=moved.isoformat(),
            ends_on=(moved + timedelta(days=6)).isoformat(),
            enrolment_opens_on=(moved - timedelta(days=40)).isoformat(),
            enrolment_closes_on=(moved - timedelta(days=10)).isoformat(),
            capacity="12",
            quotas="KE:4;UG:4",
            venue="Humanitarian Peace Support School",
            status="cancelled",
        ),
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "The offering is saved." in flashes(response)
    assert "1 scheduled session falls outside the new dates" in flashes(response)
    offering = db.session.get(Offering, offering.id)
    assert (offering.starts_on, offering.ends_on) == (moved, moved + timedelta(days=6))
    assert offering.venue == "Humanitarian Peace Support School"
    assert offering.status == OfferingStatus.PUBLISHED, "a forged status field is ignored"
    assert {q.country_code: q.seats for q in offering.quotas} == {"KE": 4, "UG": 4}
    assert offering.enrolment_closes_at.date() == moved - timedelta(days=10)


def test_editing_quotas_changes_only_what_differs():
    offering = make_offering(capacity=12)
    offering.quotas = [
        OfferingQuota(country_code="KE", seats=4),
        OfferingQuota(country_code="UG", seats=4),
    ]
    db.session.flush()
    values = offering_values(
        offering.course,
        country_code="KE",
        timezone="Africa/Nairobi",
        capacity=12,
        quotas="KE:5;RW:2",
    )

    services.update_offering(offering, values)
    db.session.commit()

    rows = db.session.execute(select(OfferingQuota.country_code, OfferingQuota.seats)).all()
    assert sorted(rows) == [("KE", 5), ("RW", 2)]


def test_an_edit_that_breaks_a_rule_changes_nothing(coordinator):
    offering = make_offering(capacity=12)
    offering.quotas = [
        OfferingQuota(country_code="KE", seats=6),
        OfferingQuota(country_code="UG", seats=6),
    ]
    db.session.commit()

    response = coordinator.post(
        f"/manage/offerings/{offering.id}/edit",
        data=offering_form(offering.course, capacity="10", quotas="KE:6;UG:6", venue="Elsewhere"),
    )

    assert response.status_code == 422
    assert "more than the capacity of 10" in field_error(response, "quotas")
    offering = db.session.get(Offering, offering.id)
    assert (offering.capacity, offering.venue) == (12, "Nairobi")


def test_a_forged_status_on_a_new_offering_or_course_is_ignored(coordinator):
    course = make_course()
    db.session.commit()

    coordinator.post("/manage/offerings/new", data=offering_form(course, status="published"))
    coordinator.post("/manage/courses/new", data=course_form(status="published"))

    assert db.session.scalar(select(Offering.status)) == OfferingStatus.DRAFT
    assert db.session.scalar(select(Course.status).where(Course.code == "TPP-MED-FMAC")) == "draft"


# --- Cancelling ---------------------------------------------------------------------------


def test_cancelling_an_offering_keeps_its_data_and_cancels_its_sessions(coordinator):
    offering = make_offering(make_course(title="Field Medical Assistants"), capacity=16)
    offering.quotas = [OfferingQuota(country_code="KE", seats=4)]
    first, second = add_session(offering, 0), add_session(offering, 1, revision=2)
    earlier = add_session(offering, 2, status=SessionStatus.CANCELLED, revision=5)
    db.session.commit()

    confirm = coordinator.get(f"/manage/offerings/{offering.id}/cancel")
    assert "Its 2 scheduled sessions are marked cancelled" in text_of(confirm)
    assert db.session.get(Offering, offering.id).status == OfferingStatus.PUBLISHED

    response = coordinator.post(f"/manage/offerings/{offering.id}/cancel", follow_redirects=True)

    assert "The offering is cancelled" in flashes(response)
    offering = db.session.get(Offering, offering.id)
    assert offering.status == OfferingStatus.CANCELLED
    assert (offering.capacity, [q.country_code for q in offering.quotas]) == (16, ["KE"])
    revisions = {s.id: (s.status, s.revision) for s in offering.sessions}
    assert revisions[first.id] == (SessionStatus.CANCELLED, 1)
    assert revisions[second.id] == (SessionStatus.CANCELLED, 3)
    assert revisions[earlier.id] == (SessionStatus.CANCELLED, 5), "nothing changed for it"

    coordinator.post("/account/logout")
    public = coordinator.get(f"/offerings/{offering.id}")
    assert public.status_code == 200
    assert "This offering is cancelled." in text_of(public)
    assert "Field Medical Assistants" not in text_of(coordinator.get("/catalogue"))


def test_a_cancelled_offering_is_reinstated_before_it_is_published(coordinator):
    offering = make_offering(status=OfferingStatus.DRAFT)
    session = add_session(offering)
    services.cancel_offering(offering)
    db.session.commit()

    response = coordinator.post(f"/manage/offerings/{offering.id}/publish", follow_redirects=True)
    assert "must be reinstated" in flashes(response)
    assert db.session.get(Offering, offering.id).status == OfferingStatus.CANCELLED

    response = coordinator.post(f"/manage/offerings/{offering.id}/cancel", follow_redirects=True)
    assert "already cancelled" in flashes(response)
    assert db.session.get(TrainingSession, session.id).revision == 1, "not cancelled twice"

    coordinator.post(f"/manage/offerings/{offering.id}/reinstate")
    assert db.session.get(Offering, offering.id).status == OfferingStatus.DRAFT
    assert db.session.get(TrainingSession, session.id).status == SessionStatus.CANCELLED

    coordinator.post(f"/manage/offerings/{offering.id}/publish")
    assert db.session.get(Offering, offering.id).status == OfferingStatus.PUBLISHED


def test_status_changes_that_make_no_sense_are_refused():
    offering = make_offering(status=OfferingStatus.DRAFT)
    with pytest.raises(StatusError):
        services.unpublish_offering(offering)
    with pytest.raises(StatusError):
        services.reinstate_offering(offering)
    services.publish_offering(offering)
    with pytest.raises(StatusError):
        services.publish_offering(offering)


# --- Instructors and partners ---------------------------------------------------------------


def test_a_coordinator_assigns_instructors_and_partners(coordinator):
    offering = make_offering()
    instructor = make_user("instructor@example.org", Role.INSTRUCTOR, name="Wanjiru Kamau")
    other = make_user("other@example.org", Role.INSTRUCTOR, name="Takeshi Sato")
    trainee = make_user("trainee@example.org", Role.TRAINEE, name="Not An Instructor")
    ipstc = Organisation(
        name="International Peace Support Training Centre",
        kind="training_centre",
        country_code="KE",
    )
    japan = Organisation(name="Government of Japan", kind="government_agency", country_code="JP")
    db.session.add_all([ipstc, japan])
    db.session.commit()

    page = text_of(coordinator.get(f"/manage/offerings/{offering.id}/people"))
    assert "Wanjiru Kamau" in page and "Takeshi Sato" in page
    assert "Not An Instructor" not in page

    response = coordinator.post(
        f"/manage/offerings/{offering.id}/people",
        data={
            "instructors": [str(instructor.id), str(other.id)],
            "host": [str(ipstc.id)],
            "trainer_provider": [str(ipstc.id), str(japan.id)],
            "funder": [str(japan.id)],
        },
    )

    assert response.status_code == 302
    offering = db.session.get(Offering, offering.id)
    assert {u.name for u in offering.instructors} == {"Wanjiru Kamau", "Takeshi Sato"}
    assert sorted((p.organisation.name, p.role.value) for p in offering.partners) == [
        ("Government of Japan", "funder"),
        ("Government of Japan", "trainer_provider"),
        ("International Peace Support Training Centre", "host"),
        ("International Peace Support Training Centre", "trainer_provider"),
    ]

    # Unticking removes; the public page lists who is left.
    response = coordinator.post(
        f"/manage/offerings/{offering.id}/people",
        data={"instructors": [str(other.id)], "host": [str(ipstc.id)]},
    )
    assert response.status_code == 302
    public = text_of(coordinator.get(f"/offerings/{offering.id}"))
    assert "Takeshi Sato" in public and "Wanjiru Kamau" not in public
    assert "International Peace Support Training Centre: Host" in public
    assert count(OfferingPartner) == 1

    # Someone who is not an instructor cannot be slipped in.
    response = coordinator.post(
        f"/manage/offerings/{offering.id}/people", data={"instructors": [str(trainee.id)]}
    )
    assert response.status_code == 422
    assert field_error(response, "instructors")
    assert [u.name for u in db.session.get(Offering, offering.id).instructors] == ["Takeshi Sato"]


def test_instructor_and_partner_services_check_their_input():
    offering = make_offering()
    trainee = make_user(None, Role.TRAINEE)
    with pytest.raises(InvalidValues):
        services.set_instructors(offering, [trainee.id])
    with pytest.raises(InvalidValues):
        services.set_partners(offering, [(9999, PartnerRole.HOST)])
    assert offering.instructors == [] and offering.partners == []


def test_a_coordinator_adds_an_organisation_and_comes_back(coordinator):
    offering = make_offering()
    db.session.commit()
    back = f"/manage/offerings/{offering.id}/people"
    page = text_of(coordinator.get(f"/manage/organisations/new?next={back}"))
    assert f'value="{back}"' in page

    response = coordinator.post(
        "/manage/organisations/new",
        data={
            "name": "African Union Commission",
            "short_name": "AU",
            "kind": "regional_organisation",
            "country": "",
            "next": back,
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == back
    organisation = db.session.scalar(select(Organisation))
    assert (organisation.short_name, organisation.kind, organisation.country_code) == (
        "AU",
        OrganisationKind.REGIONAL_ORGANISATION,
        None,
    )
    assert "African Union Commission" in text_of(coordinator.get(back))

    response = coordinator.post(
        "/manage/organisations/new",
        data={"name": "african union commission", "kind": "other", "country": "ET"},
    )
    assert response.status_code == 422
    assert "already exists" in field_error(response, "name")
    assert count(Organisation) == 1


# --- Markup ---------------------------------------------------------------------------------


def test_form_pages_label_every_field_and_have_unique_ids(coordinator):
    offering = make_offering()
    make_user(None, Role.INSTRUCTOR)
    db.session.add(Organisation(name="UNCAP", kind="training_centre", country_code="UG"))
    db.session.commit()
    urls = [
        "/manage",
        "/manage/courses/new",
        f"/manage/courses/{offering.course_id}/edit",
        "/manage/offerings/new",
        f"/manage/offerings/{offering.id}/edit",
        f"/manage/offerings/{offering.id}/people",
        f"/manage/offerings/{offering.id}/cancel",
        "/manage/organisations/new",
    ]
    for url in urls:
        html = text_of(coordinator.get(url))
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), url
        labelled = set(re.findall(r'<label for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if re.search(r'type="(hidden|submit)"', tag):
                continue
            field_id = re.search(r'\sid="([^"]+)"', tag)
            assert field_id and field_id.group(1) in labelled, (url, tag)


def test_every_form_carries_a_csrf_token_and_needs_it(app, coordinator, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    offering = make_offering(status=OfferingStatus.DRAFT)
    db.session.commit()
    publish = f"/manage/offerings/{offering.id}/publish"

    assert coordinator.post(publish).status_code == 400
    assert coordinator.post("/manage/courses/new", data=course_form()).status_code == 400
    assert db.session.get(Offering, offering.id).status == OfferingStatus.DRAFT
    assert count(Course) == 1

    listing = text_of(coordinator.get("/manage"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)
    for url in ("/manage/courses/new", f"/manage/offerings/{offering.id}/edit"):
        assert 'name="csrf_token"' in text_of(coordinator.get(url)), url
    response = coordinator.post(publish, data={"csrf_token": token})

    assert response.status_code == 302
    assert db.session.get(Offering, offering.id).status == OfferingStatus.PUBLISHED
