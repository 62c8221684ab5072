"""The public catalogue: search, facets, course and offering pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from catalog.catalogue.search import CatalogueFilters, FilterError, facet_counts
from catalog.extensions import db
from catalog.models import (
    CourseStatus,
    DeliveryMode,
    Discipline,
    Enrolment,
    EnrolmentStatus,
    Level,
    OfferingPartner,
    OfferingQuota,
    OfferingStatus,
    Organisation,
    OrganisationKind,
    PartnerRole,
    Programme,
    Role,
    TrainingSession,
)
from tests.factories import PASSWORD, make_course, make_offering, make_user


def titles(response) -> list[str]:
    """Course codes of the offering cards on a page, in order."""
    return re.findall(r'<span class="course-code">([^<]+)</span>', response.get_data(as_text=True))


@pytest.fixture
def plan():
    """A small catalogue with one offering of each kind."""
    hee = make_course("ENG-HEE-B", title="Heavy Engineering Equipment Basic")
    fmac = make_course(
        "MED-FMAC",
        title="Field Medical Assistants Course",
        discipline=Discipline.MEDICAL,
        summary="Seven days of field medical care.",
    )
    c4 = make_course(
        "C4-SIG",
        title="Signals for Peace Operations",
        discipline=Discipline.C4ISR,
        level=Level.INTERMEDIATE,
        programme=Programme.OTHER,
    )
    genie = make_course("ENG-GC-FR", title="Génie civil en opérations de paix", summary="Cours")
    offerings = {
        "nairobi": make_offering(hee, starts_in_days=30),
        "entebbe": make_offering(
            fmac,
            starts_in_days=90,
            venue="Entebbe",
            country_code="UG",
            timezone="Africa/Kampala",
        ),
        "remote": make_offering(
            c4,
            starts_in_days=60,
            delivery_mode=DeliveryMode.REMOTE,
            timezone="Asia/Tokyo",
        ),
        "french": make_offering(
            genie,
            starts_in_days=120,
            language="fr",
            venue="Rabat",
            country_code="MA",
            timezone="Africa/Casablanca",
        ),
    }
    db.session.commit()
    return offerings


def test_catalogue_lists_published_offerings_soonest_first(client, plan):
    make_offering(make_course("DRAFT-1"), status=OfferingStatus.DRAFT)
    make_offering(make_course("CANC-1"), status=OfferingStatus.CANCELLED)
    make_offering(make_course("HIDDEN-1", status=CourseStatus.DRAFT))
    past = make_course("PAST-1")
    make_offering(
        past, starts_on=date.today() - timedelta(days=60), ends_on=date.today() - timedelta(days=20)
    )
    db.session.commit()

    page = client.get("/catalogue")
    assert page.status_code == 200
    assert titles(page) == ["ENG-HEE-B", "C4-SIG", "MED-FMAC", "ENG-GC-FR"]
    assert "4 offerings found" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("discipline=medical", ["MED-FMAC"]),
        ("level=intermediate", ["C4-SIG"]),
        ("programme=other", ["C4-SIG"]),
        ("mode=remote", ["C4-SIG"]),
        ("country=ug", ["MED-FMAC"]),
        ("region=Africa", ["ENG-HEE-B", "MED-FMAC", "ENG-GC-FR"]),
        ("language=fr", ["ENG-GC-FR"]),
        ("q=GENIE+CIVIL", ["ENG-GC-FR"]),
        ("q=génie", ["ENG-GC-FR"]),
        ("q=eng-hee", ["ENG-HEE-B"]),
        ("q=medical+seven", ["MED-FMAC"]),
        ("q=heavy+medical", []),
        ("discipline=engineering&language=en", ["ENG-HEE-B"]),
    ],
)
def test_each_filter_narrows_the_results(client, plan, query, expected):
    assert titles(client.get(f"/catalogue?{query}")) == expected


def test_date_range_filter(client, plan):
    today = date.today()
    start = (today + timedelta(days=50)).isoformat()
    end = (today + timedelta(days=100)).isoformat()
    # Offerings still running on or after `from` and starting on or before `to`.
    assert titles(client.get(f"/catalogue?from={start}&to={end}")) == [
        "ENG-HEE-B",
        "C4-SIG",
        "MED-FMAC",
    ]
    assert titles(client.get(f"/catalogue?from={(today + timedelta(days=75)).isoformat()}")) == [
        "C4-SIG",  # runs until day 101
        "MED-FMAC",
        "ENG-GC-FR",
    ]


def test_open_for_enrolment_now_uses_the_offerings_zone(client, plan):
    nairobi = plan["nairobi"]
    # Window: closes at the end of yesterday in Tokyo, which is still open nowhere.
    remote = plan["remote"]
    remote.enrolment_opens_on = date.today() - timedelta(days=10)
    remote.enrolment_closes_on = date.today() - timedelta(days=2)
    nairobi.enrolment_opens_on = date.today() - timedelta(days=1)
    nairobi.enrolment_closes_on = date.today() + timedelta(days=1)
    db.session.commit()
    assert titles(client.get("/catalogue?open=1")) == ["ENG-HEE-B"]


def test_facets_count_what_each_choice_would_give(plan):
    now = datetime.now(UTC)
    counts = facet_counts(CatalogueFilters(language="en"), now)
    assert dict(counts["discipline"]) == {"engineering": 1, "medical": 1, "c4isr": 1}
    # The language facet ignores the language filter itself, so other languages show.
    assert dict(counts["language"]) == {"en": 3, "fr": 1}
    assert dict(counts["mode"]) == {"in_person": 2, "remote": 1}
    assert dict(counts["country"]) == {"KE": 1, "UG": 1}


def test_facet_counts_show_on_the_page(client, plan):
    html = client.get("/catalogue?discipline=engineering").get_data(as_text=True)
    assert re.search(r'<option value="medical"\s*>Medical \(1\)</option>', html)
    assert re.search(r'<option value="engineering" selected>Engineering \(2\)</option>', html)
    assert 'href="/catalogue"' in html  # clear all filters


def test_filters_live_in_links_and_work_without_javascript(client, plan):
    html = client.get("/catalogue?discipline=engineering&language=fr").get_data(as_text=True)
    assert '<form method="get" action="/catalogue"' in html
    # A link removes just one filter and keeps the other.
    assert 'href="/catalogue?language=fr"' in html
    assert 'href="/catalogue?discipline=engineering"' in html


def test_empty_results_say_so_and_suggest_removing_a_filter(client, plan):
    html = client.get("/catalogue?discipline=medical&language=fr").get_data(as_text=True)
    assert "No offering matches all of these filters." in html
    assert "Try removing a filter" in html
    assert 'href="/catalogue?language=fr"' in html


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("discipline=cooking", "discipline"),
        ("from=2027-13-01", "from"),
        ("to=tomorrow", "to"),
        ("country=Kenya", "country"),
        ("language=de", "language"),
        ("open=maybe", "open"),
        ("from=2027-05-01&to=2027-04-01", "to"),
    ],
)
def test_bad_filters_get_a_clear_400(client, query, parameter):
    response = client.get(f"/catalogue?{query}")
    assert response.status_code == 400
    assert f"{parameter}:" in response.get_data(as_text=True)


def test_filter_parsing_names_the_parameter():
    with pytest.raises(FilterError) as caught:
        CatalogueFilters.from_args({"level": "expert"}, ("en", "fr"))
    assert caught.value.parameter == "level"


def test_pagination_twenty_a_page(client):
    course = make_course("PAGE-1")
    for day in range(25):
        make_offering(course, starts_in_days=10 + day)
    db.session.commit()
    first = client.get("/catalogue")
    assert len(titles(first)) == 20
    assert "Page 1 of 2" in first.get_data(as_text=True)
    second = client.get("/catalogue?page=2")
    assert len(titles(second)) == 5
    assert 'rel="prev"' in second.get_data(as_text=True)


def test_course_page_renders_sanitised_markdown_and_links_prerequisites(client):
    basic = make_course("HEE-B", title="HEE Basic")
    course = make_course(
        "HEE-I",
        title="HEE Intermediate",
        description=(
            "## Outcomes\n\n* Operate a **grader**\n\n"
            "<script>alert(1)</script>\n\n"
            "[click](javascript:alert(2)) <img src=x onerror=alert(3)> "
            "[UN](https://peacekeeping.un.org)"
        ),
    )
    course.prerequisites.append(basic)
    make_offering(course)
    db.session.commit()

    html = client.get("/courses/HEE-I").get_data(as_text=True)
    assert "<strong>grader</strong>" in html
    assert "<h3>Outcomes</h3>" in html
    assert "<script>alert(1)" not in html
    assert 'href="javascript:' not in html
    assert "<img" not in html and "onerror=alert" not in html.replace("onerror=alert(3)&gt;", "")
    assert 'href="https://peacekeeping.un.org"' in html
    assert 'href="/courses/HEE-B"' in html


def test_draft_course_is_hidden_from_the_public(client):
    make_course("SECRET-1", status=CourseStatus.DRAFT)
    db.session.commit()
    assert client.get("/courses/SECRET-1").status_code == 404
    assert client.get("/courses/NOPE").status_code == 404


def test_offering_page_shows_partners_seats_and_both_zones(client):
    offering = make_offering(capacity=10, timezone="Africa/Nairobi")
    offering.quotas.append(OfferingQuota(country_code="KE", seats=4))
    japan = Organisation(
        name="Government of Japan", kind=OrganisationKind.GOVERNMENT_AGENCY, country_code="JP"
    )
    offering.partners.append(OfferingPartner(organisation=japan, role=PartnerRole.FUNDER))
    start = datetime.combine(offering.starts_on, datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=6
    )
    offering.sessions.append(
        TrainingSession(
            title="Site survey",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            timezone="Africa/Nairobi",
        )
    )
    make_user("viewer@example.org", Role.TRAINEE, country="KE", timezone="Asia/Tokyo")
    for _ in range(3):
        trainee = make_user(country="KE")
        db.session.add(
            Enrolment(
                user=trainee, offering=offering, country_code="KE", status=EnrolmentStatus.CONFIRMED
            )
        )
    db.session.add(
        Enrolment(
            user=make_user(country="UG"),
            offering=offering,
            country_code="UG",
            status=EnrolmentStatus.WAITLISTED,
        )
    )
    db.session.commit()

    # Babel separates "AM" with a narrow no-break space; compare on plain spaces.
    anonymous = (
        client.get(f"/offerings/{offering.id}").get_data(as_text=True).replace("\u202f", " ")
    )
    assert "Government of Japan: Funder" in anonymous
    assert "7 of 10" in anonymous
    assert "9:00 AM – 11:00 AM (Africa/Nairobi)" in anonymous

    client.post("/account/login", data={"email": "viewer@example.org", "password": PASSWORD})
    html = client.get(f"/offerings/{offering.id}").get_data(as_text=True).replace("\u202f", " ")
    assert "For your country (KE): 1" in html
    assert "3:00 PM – 5:00 PM (Asia/Tokyo)" in html  # the viewer's zone beside the offering's


def test_cancelled_offering_page_says_so(client):
    offering = make_offering(status=OfferingStatus.CANCELLED)
    db.session.commit()
    html = client.get(f"/offerings/{offering.id}").get_data(as_text=True)
    assert "This offering is cancelled." in html


def test_draft_offering_is_404_for_the_public(client):
    offering = make_offering(status=OfferingStatus.DRAFT)
    db.session.commit()
    assert client.get(f"/offerings/{offering.id}").status_code == 404
    assert client.get("/offerings/999999").status_code == 404


def test_home_page_shows_the_soonest_offerings(client, plan):
    html = client.get("/").get_data(as_text=True)
    assert "See all 4 upcoming offerings" in html
    assert 'href="/catalogue?discipline=medical"' in html


@pytest.mark.parametrize("url", ["/catalogue?page=0", "/catalogue?page=99999999999999999999"])
def test_page_numbers_out_of_range_get_a_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "page:" in response.get_data(as_text=True)


def test_huge_offering_id_is_a_404(client):
    assert client.get("/offerings/99999999999999999999").status_code == 404


def test_catalogue_queries_do_not_grow_with_the_offerings(client):
    from tests.querycount import count_queries

    def queries_for_catalogue() -> int:
        with count_queries() as counted:
            assert client.get("/catalogue").status_code == 200
        return counted.count

    course = make_course("COUNT-1")
    for day in range(3):
        make_offering(course, starts_in_days=10 + day)
    db.session.commit()
    few = queries_for_catalogue()
    for day in range(40):
        offering = make_offering(make_course(), starts_in_days=20 + day)
        offering.quotas.append(OfferingQuota(country_code="KE", seats=2))
    db.session.commit()
    assert queries_for_catalogue() == few
    assert few <= 6  # five for the page, one for the page cache's data stamp
