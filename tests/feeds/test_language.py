"""The language of a feed's words: its owner's for a personal feed; for a public one
``?lang=``, else the calendar app's Accept-Language, else English. An English and a
French feed never share a cached body or an ETag."""

from __future__ import annotations

import icalendar
import pytest

from catalog.extensions import db
from catalog.feeds.services import issue_token, token_for
from catalog.models import User
from tests.feeds.support import build_scenario

ENGLISH_NAME = "Peacekeeping training"
FRENCH_NAME = "Formations au maintien de la paix"


@pytest.fixture
def scenario():
    return build_scenario()


def calendar_name(response) -> str:
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"])
    return str(calendar["X-WR-CALNAME"])


def description(response) -> str:
    return str(icalendar.Calendar.from_ical(response.data)["X-WR-CALDESC"])


def test_the_catalogue_feed_follows_the_lang_parameter(client, scenario):
    english = client.get("/feeds/catalogue.ics")
    french = client.get("/feeds/catalogue.ics?lang=fr")
    assert calendar_name(english) == ENGLISH_NAME
    assert calendar_name(french) == FRENCH_NAME
    assert "Séances" not in description(english) and "formations" in description(french)
    assert french.headers["ETag"] != english.headers["ETag"]
    # The French address is the one the calendar refreshes from.
    assert "SOURCE;VALUE=URI:http://localhost/feeds/catalogue.ics?lang=fr" in french.text
    # Each language's ETag is answered for its own address only.
    etag = {"If-None-Match": french.headers["ETag"]}
    assert client.get("/feeds/catalogue.ics?lang=fr", headers=etag).status_code == 304
    assert client.get("/feeds/catalogue.ics", headers=etag).status_code == 200
    # Asked again, each keeps its own body: the cache holds both.
    assert client.get("/feeds/catalogue.ics").data == english.data
    assert client.get("/feeds/catalogue.ics?lang=fr").data == french.data


def test_filters_and_lang_combine(client, scenario):
    response = client.get("/feeds/catalogue.ics?country=US&lang=fr&language=en")
    assert response.status_code == 200
    assert calendar_name(response) == FRENCH_NAME


def test_without_lang_the_calendar_apps_language_is_used_and_caches_are_told(client, scenario):
    french = client.get("/feeds/catalogue.ics", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert calendar_name(french) == FRENCH_NAME
    assert "Accept-Language" in french.headers["Vary"]
    other = client.get("/feeds/catalogue.ics", headers={"Accept-Language": "de, ja"})
    assert calendar_name(other) == ENGLISH_NAME
    assert other.headers["ETag"] != french.headers["ETag"]
    # A 304 repeats the Vary of its 200.
    again = client.get(
        "/feeds/catalogue.ics",
        headers={"Accept-Language": "fr", "If-None-Match": french.headers["ETag"]},
    )
    assert again.status_code == 304 and "Accept-Language" in again.headers["Vary"]
    # Named in the address, the language wins over the header.
    named = client.get("/feeds/catalogue.ics?lang=en", headers={"Accept-Language": "fr"})
    assert calendar_name(named) == ENGLISH_NAME
    assert "Accept-Language" not in named.headers.get("Vary", "")


def test_the_offering_feed_follows_the_lang_parameter(client, scenario):
    path = f"/feeds/offerings/{scenario.london}.ics"
    english, french = client.get(path), client.get(path + "?lang=fr")
    assert description(english).startswith("Sessions of ")
    assert description(french).startswith("Séances de ")
    assert english.headers["ETag"] != french.headers["ETag"]
    assert f"SOURCE;VALUE=URI:http://localhost{path}?lang=fr" in french.text


@pytest.mark.parametrize("value", ["de", "xx", "fr-FR,en"])
def test_an_unsupported_lang_is_a_400(client, scenario, value):
    for path in ("/feeds/catalogue.ics", f"/feeds/offerings/{scenario.london}.ics"):
        response = client.get(path, query_string={"lang": value})
        assert response.status_code == 400, path
        assert "lang" in response.text


def test_a_personal_feed_follows_its_owners_language(client, scenario):
    owner = db.session.get(User, scenario.trainee_id)
    owner.language = "fr"
    row = issue_token(owner)
    db.session.commit()
    path = f"/feeds/me/{token_for(row)}.ics"
    french = client.get(path, headers={"Accept-Language": "en"})
    assert calendar_name(french) == "Mes formations au maintien de la paix"
    owner.language = "en"
    db.session.commit()
    english = client.get(path)
    assert calendar_name(english) == "My peacekeeping training"
    assert english.headers["ETag"] != french.headers["ETag"]


def test_a_french_offering_page_links_to_the_french_feed(app, scenario):
    browser = app.test_client()
    browser.post("/language", data={"language": "fr", "next": "/"})
    html = browser.get(f"/offerings/{scenario.london}").get_data(as_text=True)
    assert f"/feeds/offerings/{scenario.london}.ics?lang=fr" in html
    english = app.test_client().get(f"/offerings/{scenario.london}").get_data(as_text=True)
    assert f"/feeds/offerings/{scenario.london}.ics?" not in english
