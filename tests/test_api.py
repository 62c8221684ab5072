"""The public JSON API under /api/v1, as a client sees it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from catalog.extensions import db
from catalog.models import (
    CourseStatus,
    DeliveryMode,
    Discipline,
    Enrolment,
    EnrolmentStatus,
    Level,
    Offering,
    OfferingQuota,
    OfferingStatus,
    Programme,
    SessionStatus,
    TrainingSession,
)
from tests.factories import make_course, make_offering, make_user
from tests.querycount import count_queries

TODAY = date.today()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def get_json(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def enrol(offering: Offering, status: EnrolmentStatus) -> Enrolment:
    trainee = make_user()
    enrolment = Enrolment(
        user=trainee, offering=offering, status=status, country_code=trainee.country_code
    )
    db.session.add(enrolment)
    return enrolment


def add_session(offering: Offering, start: datetime, hours: int = 3, **fields) -> TrainingSession:
    session = TrainingSession(
        offering=offering,
        title=fields.pop("title", "Session"),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        timezone=fields.pop("timezone", str(start.tzinfo)),
        **fields,
    )
    db.session.add(session)
    return session


# --- the list ---------------------------------------------------------------------------


def test_list_shows_published_offerings_soonest_first_with_every_field(client):
    course = make_course("ENG-101", title="Field Engineering")
    later = make_offering(course, starts_in_days=90)
    sooner = make_offering(
        course,
        starts_in_days=30,
        delivery_mode=DeliveryMode.REMOTE,
        timezone="UTC",
        language="fr",
        capacity=12,
    )
    # None of these is public, or it has already ended.
    make_offering(course, status=OfferingStatus.DRAFT)
    make_offering(course, status=OfferingStatus.CANCELLED)
    make_offering(make_course(status=CourseStatus.DRAFT))
    make_offering(make_course(status=CourseStatus.CANCELLED))
    make_offering(course, starts_on=days(-60), ends_on=days(-1))
    for status in (EnrolmentStatus.CONFIRMED,) * 3 + (
        EnrolmentStatus.APPLIED,
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.WITHDRAWN,
    ):
        enrol(sooner, status)
    db.session.commit()

    response = client.get("/api/v1/offerings")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["total"] == 2
    assert body["page"] == 1
    assert body["per_page"] == 20
    assert body["pages"] == 1
    assert [item["id"] for item in body["items"]] == [sooner.id, later.id]
    assert body["items"][0] == {
        "id": sooner.id,
        "status": "published",
        "course_code": "ENG-101",
        "title": "Field Engineering",
        "discipline": "engineering",
        "level": "basic",
        "mode": "remote",
        "country": None,
        "timezone": "UTC",
        "language": "fr",
        "starts_on": days(30).isoformat(),
        "ends_on": days(71).isoformat(),
        "capacity": 12,
        "seats_left": 9,  # three confirmed; applications and waiting lists hold no seat
        # The factory opens enrolment 50 days before the start, closes it 14 days before.
        "enrolment_open": True,
        "url": f"http://localhost/offerings/{sooner.id}",
        "feed_url": f"http://localhost/feeds/offerings/{sooner.id}.ics",
    }
    second = body["items"][1]
    assert (second["mode"], second["country"], second["timezone"]) == (
        "in_person",
        "KE",
        "Africa/Nairobi",
    )
    assert second["seats_left"] == second["capacity"] == 20
    assert second["enrolment_open"] is False  # opens in 40 days


def test_offering_url_leads_to_its_page(client):
    offering = make_offering()
    db.session.commit()

    item = get_json(client, "/api/v1/offerings")["items"][0]

    assert client.get(urlsplit(item["url"]).path).status_code == 200
    assert item["url"] == get_json(client, f"/api/v1/offerings/{offering.id}")["url"]


def test_absolute_urls_start_from_base_url_when_set(client, app, monkeypatch):
    offering = make_offering()
    db.session.commit()
    monkeypatch.setitem(app.config, "BASE_URL", "https://training.example.org/")

    item = get_json(client, "/api/v1/offerings")["items"][0]

    assert item["url"] == f"https://training.example.org/offerings/{offering.id}"
    assert item["feed_url"] == f"https://training.example.org/feeds/offerings/{offering.id}.ics"


@pytest.fixture
def catalogue():
    """Four offerings that differ in every filterable way; the catalogue code of each
    course says what it is."""
    make_offering(
        make_course("ENG-KE", discipline=Discipline.ENGINEERING, level=Level.BASIC),
        starts_in_days=30,
        # The only one open for enrolment today.
        enrolment_opens_on=days(-5),
        enrolment_closes_on=days(5),
    )
    make_offering(
        make_course(
            "MED-BR",
            title="Field Medicine",
            discipline=Discipline.MEDICAL,
            level=Level.ADVANCED,
            programme=Programme.OTHER,
        ),
        starts_in_days=40,
        country_code="BR",
        venue="Rio de Janeiro",
        timezone="America/Sao_Paulo",
        language="fr",
        # Closed two days ago.
        enrolment_opens_on=days(-30),
        enrolment_closes_on=days(-2),
    )
    make_offering(
        make_course("C4-ONLINE", discipline=Discipline.C4ISR, level=Level.INTERMEDIATE),
        starts_in_days=50,
        delivery_mode=DeliveryMode.REMOTE,
        timezone="UTC",
        enrolment_opens_on=days(5),
        enrolment_closes_on=days(20),
    )
    make_offering(
        make_course(
            "GEN-CIV",
            title="Génie civil",
            summary="Routes et ponts.",
            discipline=Discipline.ENGINEERING,
            level=Level.TOT,
        ),
        starts_in_days=100,
        delivery_mode=DeliveryMode.BLENDED,
        language="fr",
        enrolment_opens_on=days(10),
        enrolment_closes_on=days(60),
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["ENG-KE", "MED-BR", "C4-ONLINE", "GEN-CIV"]),
        ("discipline=engineering", ["ENG-KE", "GEN-CIV"]),
        ("level=advanced", ["MED-BR"]),
        ("programme=other", ["MED-BR"]),
        ("mode=remote", ["C4-ONLINE"]),
        ("mode=blended", ["GEN-CIV"]),
        ("country=BR", ["MED-BR"]),
        ("country=ke", ["ENG-KE", "GEN-CIV"]),
        ("region=Africa", ["ENG-KE", "GEN-CIV"]),
        ("language=fr", ["MED-BR", "GEN-CIV"]),
        ("q=GENIE", ["GEN-CIV"]),
        ("q=g%C3%A9nie+CIVIL", ["GEN-CIV"]),
        ("q=medicine", ["MED-BR"]),
        ("q=nothing-like-this", []),
        ("open=true", ["ENG-KE"]),
        ("open=false", ["ENG-KE", "MED-BR", "C4-ONLINE", "GEN-CIV"]),
        ("discipline=engineering&language=fr", ["GEN-CIV"]),
    ],
)
def test_each_filter_narrows_the_list(client, catalogue, query, expected):
    body = get_json(client, f"/api/v1/offerings?{query}&per_page=100")

    assert [item["course_code"] for item in body["items"]] == expected
    assert body["total"] == len(expected)


def test_dates_select_offerings_that_overlap_them(client, catalogue):
    # Each runs 41 days: ENG-KE days 30-71, MED-BR 40-81, C4-ONLINE 50-91, GEN-CIV 100-141.
    def codes(query: str) -> list[str]:
        return [
            item["course_code"] for item in get_json(client, f"/api/v1/offerings?{query}")["items"]
        ]

    assert codes(f"from={days(85)}") == ["C4-ONLINE", "GEN-CIV"]
    assert codes(f"to={days(45)}") == ["ENG-KE", "MED-BR"]
    assert codes(f"from={days(75)}&to={days(95)}") == ["MED-BR", "C4-ONLINE"]


def test_enrolment_open_in_items_agrees_with_the_open_filter(client, catalogue):
    items = get_json(client, "/api/v1/offerings")["items"]
    open_items = get_json(client, "/api/v1/offerings?open=1")["items"]

    assert [i["course_code"] for i in items if i["enrolment_open"]] == ["ENG-KE"]
    assert [i["course_code"] for i in open_items] == ["ENG-KE"]


def test_pagination(client):
    course = make_course()
    ids = [make_offering(course, starts_in_days=10 + n).id for n in range(25)]
    db.session.commit()

    pages = [get_json(client, f"/api/v1/offerings?per_page=10&page={n}") for n in (1, 2, 3)]

    assert [len(page["items"]) for page in pages] == [10, 10, 5]
    assert {(page["total"], page["per_page"], page["pages"]) for page in pages} == {(25, 10, 3)}
    assert [page["page"] for page in pages] == [1, 2, 3]
    assert [item["id"] for page in pages for item in page["items"]] == ids
    assert len(get_json(client, "/api/v1/offerings")["items"]) == 20  # the default
    beyond = get_json(client, "/api/v1/offerings?per_page=10&page=4")
    assert (beyond["items"], beyond["total"], beyond["page"]) == ([], 25, 4)
    assert len(get_json(client, "/api/v1/offerings?per_page=100")["items"]) == 25


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("discipline=plumbing", "discipline"),
        ("level=expert", "level"),
        ("programme=nope", "programme"),
        ("mode=pigeon", "mode"),
        ("country=KEN", "country"),
        ("region=Atlantis", "region"),
        ("language=xx", "language"),
        ("from=2027-02-30", "from"),
        ("to=tomorrow", "to"),
        ("from=2027-03-01&to=2027-02-01", "to"),
        ("open=maybe", "open"),
        ("q=" + "x" * 201, "q"),
        ("per_page=1000", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=ten", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=1_0", "page"),
        ("page=99999999999999999999", "page"),
    ],
)
def test_bad_parameters_get_a_400_naming_them(client, query, parameter):
    response = client.get(f"/api/v1/offerings?{query}")

    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["parameter"] == parameter
    assert isinstance(error["message"], str) and error["message"]


def test_per_page_error_says_what_is_allowed(client):
    error = get_json(client, "/api/v1/offerings?per_page=1000", status=400)["error"]

    assert error == {"parameter": "per_page", "message": "must be a whole number between 1 and 100"}


# --- one offering ---------------------------------------------------------------------


def test_detail_gives_sessions_in_their_own_zone(client):
    nairobi = ZoneInfo("Africa/Nairobi")
    new_york = ZoneInfo("America/New_York")
    offering = make_offering(starts_on=date(2027, 1, 11), ends_on=date(2027, 7, 30))
    add_session(
        offering, datetime(2027, 3, 2, 9, tzinfo=nairobi), title="Opening", location="Hall A"
    )
    add_session(
        offering, datetime(2027, 1, 12, 9, tzinfo=new_york), title="Winter", location="UNHQ"
    )
    add_session(
        offering,
        datetime(2027, 7, 13, 9, tzinfo=new_york),
        title="Summer",
        online_url="https://meet.example.org/summer",
        status=SessionStatus.CANCELLED,
    )
    enrol(offering, EnrolmentStatus.CONFIRMED)
    db.session.commit()

    body = get_json(client, f"/api/v1/offerings/{offering.id}")

    listed = get_json(client, "/api/v1/offerings")["items"][0]
    assert {key: value for key, value in body.items() if key != "sessions"} == listed
    assert body["seats_left"] == 19
    assert [{k: v for k, v in s.items() if k != "id"} for s in body["sessions"]] == [
        {
            "title": "Winter",
            "starts_at": "2027-01-12T09:00:00-05:00",
            "ends_at": "2027-01-12T12:00:00-05:00",
            "timezone": "America/New_York",
            "status": "scheduled",
            "location": "UNHQ",
        },
        {
            "title": "Opening",
            "starts_at": "2027-03-02T09:00:00+03:00",
            "ends_at": "2027-03-02T12:00:00+03:00",
            "timezone": "Africa/Nairobi",
            "status": "scheduled",
            "location": "Hall A",
        },
        {
            "title": "Summer",
            "starts_at": "2027-07-13T09:00:00-04:00",
            "ends_at": "2027-07-13T12:00:00-04:00",
            "timezone": "America/New_York",
            "status": "cancelled",
            "location": "https://meet.example.org/summer",
        },
    ]
    assert all(isinstance(s["id"], int) for s in body["sessions"])
    assert body["url"] == f"http://localhost/offerings/{offering.id}"


def test_cancelled_offering_is_told_but_not_listed(client):
    offering = make_offering(status=OfferingStatus.CANCELLED)
    db.session.commit()

    body = get_json(client, f"/api/v1/offerings/{offering.id}")

    assert (body["status"], body["enrolment_open"], body["sessions"]) == ("cancelled", False, [])
    assert get_json(client, "/api/v1/offerings")["items"] == []


@pytest.mark.parametrize(
    "hidden",
    [
        lambda: make_offering(status=OfferingStatus.DRAFT),
        lambda: make_offering(make_course(status=CourseStatus.DRAFT)),
    ],
    ids=["draft offering", "offering of a draft course"],
)
def test_drafts_are_404_json(client, hidden):
    offering = hidden()
    db.session.commit()

    error = get_json(client, f"/api/v1/offerings/{offering.id}", status=404)["error"]

    assert isinstance(error["message"], str) and error["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/offerings/424242",
        "/api/v1/offerings/99999999999999999999",
        "/api/v1/offerings/abc",
        "/api/v1/no-such-thing",
    ],
)
def test_unknown_addresses_are_404_json(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["message"]
    assert "Cache-Control" not in response.headers


def test_unknown_offering_says_which(client):
    error = get_json(client, "/api/v1/offerings/424242", status=404)["error"]

    assert "424242" in error["message"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_writing_is_405_json(client, method):
    offering = make_offering()
    db.session.commit()

    for path in ("/api/v1/offerings", f"/api/v1/offerings/{offering.id}"):
        response = getattr(client, method)(path)
        assert response.status_code == 405
        assert response.mimetype == "application/json"
        assert response.get_json()["error"]["message"]
        assert "GET" in response.headers["Allow"]


def test_server_errors_are_json_too(client, app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("catalog.api.views.search_offerings", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    error = get_json(client, "/api/v1/offerings", status=500)["error"]

    assert error["message"] and "database gone" not in error["message"]


def test_pages_outside_the_api_keep_html_errors(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- speed -----------------------------------------------------------------------------


def add_offerings(count: int, sessions: int = 3) -> list[int]:
    """Offerings with sessions, two country quotas and confirmed trainees each."""
    ids = []
    for n in range(count):
        offering = make_offering(starts_in_days=20 + n)
        first = datetime(2027, 1, 4, 9, tzinfo=ZoneInfo("Africa/Nairobi"))
        for day in range(sessions):
            add_session(offering, first + timedelta(days=day))
        offering.quotas = [
            OfferingQuota(country_code="KE", seats=2),
            OfferingQuota(country_code="GH", seats=2),
        ]
        enrol(offering, EnrolmentStatus.CONFIRMED)
        enrol(offering, EnrolmentStatus.APPLIED)
        ids.append(offering.id)
    db.session.commit()
    return ids


def queries_for(client, path: str) -> int:
    with count_queries() as queries:
        response = client.get(path)
    assert response.status_code == 200
    return queries.count


def test_query_counts_do_not_grow_with_the_data(client):
    few = add_offerings(3)
    list_few = queries_for(client, "/api/v1/offerings?per_page=100")
    detail_few = queries_for(client, f"/api/v1/offerings/{few[0]}")

    many = add_offerings(27, sessions=30)
    assert get_json(client, "/api/v1/offerings?per_page=100")["total"] == 30
    list_many = queries_for(client, "/api/v1/offerings?per_page=100")
    detail_many = queries_for(client, f"/api/v1/offerings/{many[-1]}")

    # count, the page, the courses' translations (for ?lang=), seats
    assert list_few == list_many <= 4
    # offering with course, its translations, sessions, seats
    assert detail_few == detail_many <= 4
