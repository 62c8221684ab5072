"""Country names in the reader's language: CLDR's names (through Babel) on French pages,
the stored English names on English pages and in CSV downloads, and lists of countries
ordered the way each reader reads them."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import delete

from catalog.extensions import db
from catalog.forms import country_choices
from catalog.geo.services import country_name, country_names, name_sort_key
from catalog.models import (
    Country,
    Enrolment,
    EnrolmentStatus,
    OfferingQuota,
    Region,
    Role,
    User,
)
from tests.factories import PASSWORD, make_course, make_offering, make_user
from tests.test_i18n import VisibleText

# Names that differ in French: none of the English ones may reach a French reader.
FRENCH = {"UG": "Ouganda", "JP": "Japon", "EG": "Égypte", "KH": "Cambodge"}
ENGLISH = {"UG": "Uganda", "JP": "Japan", "EG": "Egypt", "KH": "Cambodia"}


def text_of(response) -> str:
    return VisibleText(response.get_data(as_text=True)).text


def assert_french_names(text: str, codes) -> None:
    for code in codes:
        assert FRENCH[code] in text, FRENCH[code]
        assert not re.search(rf"\b{ENGLISH[code]}\b", text), ENGLISH[code]


def french_browser(app, user: User | None = None):
    client = app.test_client()
    if user is None:
        client.post("/language", data={"language": "fr", "next": "/"})
    else:
        user.language = "fr"
        db.session.commit()
        client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    return client


@pytest.fixture
def unlisted_country():
    """A country CLDR has never heard of. Countries outlive each test: taken out again."""
    country = Country(code="XZ", name="Republic of Nowhere", region=Region.AFRICA)
    db.session.add(country)
    db.session.commit()
    yield country
    db.session.rollback()
    db.session.execute(delete(Enrolment).where(Enrolment.country_code == "XZ"))
    db.session.execute(delete(User).where(User.country_code == "XZ"))
    db.session.execute(delete(Country).where(Country.code == "XZ"))
    db.session.commit()


# --- The helper ---------------------------------------------------------------------------


def test_a_code_or_a_country_is_named_in_the_language_asked_for(app):
    uganda = db.session.get(Country, "UG")
    assert country_name("UG", "fr") == country_name(uganda, "fr") == "Ouganda"
    assert country_name("ug", "fr") == "Ouganda"
    # English keeps the stored (UN) names, not CLDR's "Vietnam".
    assert country_name("VN", "en") == "Viet Nam"
    assert country_name("VN", "fr") == "Viêt Nam"
    # The current locale by default.
    with app.test_request_context(), force_locale("fr"):
        assert country_name("JP") == "Japon"
    with app.test_request_context(), force_locale("en"):
        assert country_name("JP") == "Japan"


def test_a_code_cldr_lacks_falls_back_on_the_stored_name(unlisted_country):
    assert country_name("XZ", "fr") == "Republic of Nowhere"
    assert country_name(unlisted_country, "fr") == "Republic of Nowhere"
    assert country_name("XZ", "fr", default="Given") == "Given"
    # Not a country of ours at all: shown as given, not as CLDR's "région indéterminée".
    assert country_name("ZZ", "fr") == "ZZ"
    assert country_name(None, "fr") == "" and country_name("", "fr", default="—") == "—"


def test_country_names_localises_in_one_query(app):
    from tests.querycount import count_queries

    with count_queries() as queries:
        names = country_names(["UG", "JP", None, "ZZ", "UG"], "fr")
    assert names == {"UG": "Ouganda", "JP": "Japon"}
    assert queries.count == 1


def test_names_sort_without_regard_to_accents_or_case():
    names = ["Zimbabwe", "Égypte", "espagne", "Danemark", "Îles Salomon", "Irlande"]
    assert sorted(names, key=name_sort_key) == [
        "Danemark",
        "Égypte",
        "espagne",
        "Îles Salomon",
        "Irlande",
        "Zimbabwe",
    ]


# --- Forms ----------------------------------------------------------------------------------


def test_country_choices_are_named_and_sorted_in_french(app):
    with app.test_request_context(), force_locale("fr"):
        choices = country_choices(blank_label="Choisissez")
    labels = [choice.label for choice in choices[1:]]
    assert choices[0].value == ""
    assert labels == sorted(labels, key=name_sort_key)
    by_code = {choice.value: choice.label for choice in choices}
    assert by_code["EG"] == "Égypte" and by_code["DE"] == "Allemagne"
    # "Égypte" among the E's, before "Espagne"; not after "Zimbabwe" as a byte sort has it.
    assert labels.index("Égypte") < labels.index("Espagne") < labels.index("Zimbabwe")
    with app.test_request_context(), force_locale("en"):
        english = [choice.label for choice in country_choices()]
    assert "Egypt" in english and english.index("Egypt") < english.index("Germany")


def test_the_registration_form_lists_countries_in_french(app):
    client = french_browser(app)
    html = client.get("/account/register").get_data(as_text=True)
    options = re.findall(r'<option value="([A-Z]{2})"[^>]*>([^<]+)</option>', html)
    labels = [label for _code, label in options]
    assert dict(options)["UG"] == "Ouganda"
    assert labels == sorted(labels, key=name_sort_key)
    assert "Uganda" not in labels


# --- Pages ----------------------------------------------------------------------------------


@pytest.fixture
def hosted_in_uganda():
    course = make_course("CTY-001", title="Génie de campagne", content_language="fr")
    offering = make_offering(course, starts_in_days=30, venue="Kampala", country_code="UG")
    offering.quotas = [
        OfferingQuota(country_code="JP", seats=2),
        OfferingQuota(country_code="EG", seats=3),
    ]
    db.session.commit()
    return offering


def test_offering_catalogue_and_course_pages_name_countries_in_french(app, hosted_in_uganda):
    client = french_browser(app)
    offering_page = text_of(client.get(f"/offerings/{hosted_in_uganda.id}"))
    assert "Kampala, Ouganda" in offering_page
    # The quotas, with French punctuation between the country and its seats.
    assert "Japon\u00a0: 2 places" in offering_page
    assert_french_names(offering_page, ["UG", "JP", "EG"])
    assert_french_names(text_of(client.get("/courses/CTY-001")), ["UG"])
    catalogue = client.get("/catalogue?country=UG")
    assert ">Ouganda (1)</option>" in catalogue.get_data(as_text=True)  # the facet
    assert "Pays hôte = Ouganda" in text_of(catalogue)  # the active filter
    assert_french_names(text_of(catalogue), ["UG"])
    # And the same pages in English keep the stored names.
    english = text_of(app.test_client().get(f"/offerings/{hosted_in_uganda.id}"))
    assert "Kampala, Uganda" in english and "Japan: 2 seats" in english


def test_catalogue_country_facet_is_sorted_by_french_name(app):
    course = make_course("CTY-002")
    for code in ("DE", "EG", "ES", "ZW"):
        make_offering(course, country_code=code)
    db.session.commit()
    html = french_browser(app).get("/catalogue").get_data(as_text=True)
    select = html.split('name="country"', 1)[1].split("</select>", 1)[0]
    shown = re.findall(r'<option value="[A-Z]{2}"[^>]*>([^(<]+) \(', select)
    assert shown == ["Allemagne", "Égypte", "Espagne", "Zimbabwe"]


def test_coordinator_pages_name_countries_in_french(app, hosted_in_uganda):
    coordinator = make_user("coord.pays@example.org", Role.COORDINATOR)
    for code in ("JP", "EG"):
        trainee = make_user(None, country=code)
        db.session.add(
            Enrolment(
                user=trainee,
                offering=hosted_in_uganda,
                country_code=code,
                status=EnrolmentStatus.APPLIED,
            )
        )
    db.session.commit()
    client = french_browser(app, coordinator)
    enrolments = text_of(client.get(f"/offerings/{hosted_in_uganda.id}/enrolments"))
    assert_french_names(enrolments, ["JP", "EG"])
    assert_french_names(text_of(client.get("/manage")), ["UG"])


def test_a_focal_points_nomination_pages_name_the_country_in_french(app, hosted_in_uganda):
    focal = make_user("focal.pays@example.org", Role.FOCAL_POINT, country="JP")
    db.session.commit()
    client = french_browser(app, focal)
    # French puts an article before a country ("du Japon"): the sentences are worded
    # so that the name stands on its own.
    assert "Désignations\u00a0: Japon" in text_of(client.get("/nominations"))
    page = text_of(client.get(f"/nominations/{hosted_in_uganda.id}"))
    assert "Désignations\u00a0: Japon" in page
    assert "Places de votre pays (Japon)" in page
    assert_french_names(page, ["JP"])


# --- Reports --------------------------------------------------------------------------------


@pytest.fixture
def completed_in_cambodia():
    """Six trainees from Cambodia and six from Uganda completed an offering last year."""
    course = make_course("CTY-REP")
    ended = date.today() - timedelta(days=400)
    offering = make_offering(course, starts_on=ended - timedelta(days=5), ends_on=ended)
    for code in ("KH", "UG"):
        for _index in range(6):
            db.session.add(
                Enrolment(
                    user=make_user(None, country=code),
                    offering=offering,
                    country_code=code,
                    status=EnrolmentStatus.COMPLETED,
                )
            )
    db.session.commit()
    return offering


def test_reports_name_countries_in_french_but_csv_keeps_the_stored_names(
    app, completed_in_cambodia
):
    coordinator = make_user("coord.rapports@example.org", Role.COORDINATOR)
    db.session.commit()
    client = french_browser(app, coordinator)
    response = client.get("/reports")
    html = response.get_data(as_text=True)
    assert_french_names(text_of(response), ["KH", "UG"])
    # The charts too (their titles and labels are inside the SVG).
    charts = html.split("<svg", 1)[1]
    assert "Cambodge" in charts and "Cambodia" not in charts
    # The filter lists the countries by their French names, in French order.
    select = html.split('name="country"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([A-Z]{2})"', select) == ["KH", "UG"]
    assert ">Cambodge</option>" in select
    # Downloads keep machine-stable values: the stored English names.
    rows = list(csv.reader(io.StringIO(client.get("/reports/trained.csv").get_data(as_text=True))))
    names = [row[0] for row in rows[1:-1]]
    assert names == ["Cambodia", "Uganda"]


def test_unlisted_country_keeps_its_stored_name_on_a_french_report(app, unlisted_country):
    course = make_course("CTY-XZ")
    ended = date.today() - timedelta(days=400)
    offering = make_offering(course, starts_on=ended - timedelta(days=5), ends_on=ended)
    db.session.add(
        Enrolment(
            user=make_user(None, country="XZ"),
            offering=offering,
            country_code="XZ",
            status=EnrolmentStatus.COMPLETED,
        )
    )
    coordinator = make_user("coord.xz@example.org", Role.COORDINATOR)
    db.session.commit()
    text = text_of(french_browser(app, coordinator).get("/reports"))
    assert "Republic of Nowhere" in text
