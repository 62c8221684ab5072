"""Languages: every marked string has a French translation, a French reader sees no
English on any page, dates and numbers follow the reader's locale, course content
comes in the reader's language (falling back to the original), and e-mails go out
in the recipient's language.

English stays the default: every other test reads English pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale
from sqlalchemy import select

from catalog.database import utcnow
from catalog.enrolment import services as enrolment
from catalog.extensions import db
from catalog.models import (
    Course,
    CourseStatus,
    CourseTranslation,
    Enrolment,
    EnrolmentStatus,
    Feedback,
    Level,
    Offering,
    OfferingPartner,
    OfferingQuota,
    Organisation,
    OrganisationKind,
    OutboxMessage,
    PartnerRole,
    Role,
    SeatAllocation,
    SessionStatus,
    TrainerRole,
    TrainingSession,
)
from catalog.records import services as records
from catalog.records.services import Result
from catalog.reports.views import Percent, page_text
from catalog.templating import date_range, percent
from catalog.transfer.plan import EXAMPLE_ROW
from tests.factories import PASSWORD, make_course, make_offering, make_user

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "catalog" / "translations"
FRENCH_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FRENCH_MO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.mo"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TODAY = date.today()


def french_catalog():
    with FRENCH_PO.open("rb") as file:
        return read_po(file, locale="fr")


def strings(message) -> tuple[str, ...]:
    """A message's msgid (and msgid_plural) or its translations, as a tuple."""
    return tuple(message) if isinstance(message, (list, tuple)) else (message,)


# --- (a) The catalogue is complete ------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every marked string of the code and templates, extracted as `make translations`
    extracts them (the same babel.cfg and keywords)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            str(ROOT),
        ]
    )
    with pot.open("rb") as file:
        return read_po(file)


def test_every_marked_string_has_a_french_translation(extracted):
    french = french_catalog()
    problems = []
    for message in extracted:
        if not message.id:
            continue
        translated = french.get(message.id)
        if translated is None:
            problems.append(f"not in fr/messages.po: {message.id!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(strings(translated.string)):
            problems.append(f"not translated: {message.id!r}")
        elif isinstance(message.id, tuple) != isinstance(translated.id, tuple):
            problems.append(f"singular and plural mixed up: {message.id!r}")
    assert not problems, (
        "Run `make translations` and translate the new strings in "
        "catalog/translations/fr/LC_MESSAGES/messages.po:\n" + "\n".join(problems)
    )


def test_the_committed_template_and_compiled_catalogue_are_current(extracted):
    with (TRANSLATIONS / "messages.pot").open("rb") as file:
        committed = {message.id for message in read_po(file) if message.id}
    assert committed == {message.id for message in extracted if message.id}, (
        "catalog/translations/messages.pot is out of date: run `make translations`"
    )
    with FRENCH_MO.open("rb") as file:
        compiled = {strings(m.id): strings(m.string) for m in read_mo(file) if m.id}
    written = {strings(m.id): strings(m.string) for m in french_catalog() if m.id and not m.fuzzy}
    assert compiled == written, "messages.mo differs from messages.po: run `make translations`"


def test_the_french_catalogue_uses_the_french_plural_rule():
    french = french_catalog()
    assert (french.num_plurals, french.plural_expr) == (2, "(n > 1)")
    for message in french:
        if isinstance(message.id, tuple):
            assert len(message.string) == 2, message.id


# --- (b) Placeholders -------------------------------------------------------------------


def test_translations_keep_the_placeholders_of_their_message():
    problems = []
    for message in french_catalog():
        if not message.id:
            continue
        ids, translations = strings(message.id), strings(message.string)
        known = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        for text in translations:
            stray = set(PLACEHOLDER.findall(text)) - known
            if stray:
                problems.append(f"{message.id!r}: unknown {sorted(stray)}")
        if len(ids) == 1:
            if set(PLACEHOLDER.findall(translations[0])) != known:
                problems.append(f"{message.id!r}: placeholders differ")
        elif set(PLACEHOLDER.findall(ids[-1])) - set(PLACEHOLDER.findall(translations[-1])):
            # The plural form must say everything the English plural says; the
            # singular may leave the number out ("Sa séance" for one session).
            problems.append(f"{message.id!r}: the plural form drops a placeholder")
    assert not problems, "\n".join(problems)


# French typography: a no-break space (U+00A0) before a colon, a narrow one (U+202F)
# before ";", "?" and "!", as the catalogue has always written them. A country code
# list ("KE:4;UG:4") and an address ("https://") are not sentences.
FRENCH_SPACE_BEFORE = {":": "\u00a0", ";": "\u202f", "?": "\u202f", "!": "\u202f"}
NOT_PUNCTUATION = re.compile(r"[A-Z]{2}:\d+(?:;[A-Z]{2}:\d+)*;?|https?://")


def test_french_punctuation_has_its_no_break_space():
    problems = []
    for message in french_catalog():
        if not message.id:
            continue
        for text in strings(message.string):
            for match in re.finditer(r"(.)([:;?!])", NOT_PUNCTUATION.sub("", text)):
                before, mark = match.groups()
                if before != FRENCH_SPACE_BEFORE[mark]:
                    problems.append(f"{message.id!r}: {before!r} before {mark!r} in {text!r}")
    assert not problems, "\n".join(problems)


def test_the_catalogue_passes_babels_own_checks():
    assert [(m.id, str(error)) for m, errors in french_catalog().check() for error in errors] == []


# --- (c) Every page in French -----------------------------------------------------------

# From the issue: strings whose appearance on a French page means something was missed.
# ("Catalogue" is left out: it is the same word in French.)
KNOWN_ENGLISH = [
    "Upcoming training",
    "Log in",
    "Log out",
    "Register",
    "Enrol",
    "Waiting list",
    "Please correct the following",
    "Seats left",
    "Training catalogue",
    "Skip to main content",
    "Times are shown in",
    # WTForms' own messages come from its French catalogue.
    "This field is required",
    "Not a valid",
    "Invalid",
    # Stored English country names that French spells differently (CLDR's names are
    # shown instead: "Ouganda", "Japon", "Égypte", "Cambodge").
    "Uganda",
    "Japan",
    "Egypt",
    "Cambodia",
    "Germany",
    "United States of America",
]


def english_fragments() -> list[str]:
    """Every piece of English text in the catalogue that a French page must not show:
    the text between placeholders of each msgid, less words that French uses too
    ("Session", "Description", "Code") and pieces too short to tell apart."""
    french = french_catalog()
    french_text = "\n".join(text for m in french if m.id for text in strings(m.string))
    fragments = set(KNOWN_ENGLISH)
    for message in french:
        for text in strings(message.id) if message.id else ():
            for piece in PLACEHOLDER.split(text):
                piece = piece.strip(" \n.,:;()?!“”\"'…–-")
                if len(piece) < 4 or not re.search(r"[A-Za-z]", piece):
                    continue
                if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", french_text):
                    continue
                fragments.add(piece)
    return sorted(fragments, key=len, reverse=True)


class VisibleText(HTMLParser):
    """What a reader can see or hear: text, button values and accessible names, but not
    time zone option lists (IANA zone identifiers). Country lists are read: they are
    in the reader's language."""

    SPOKEN = ("aria-label", "title", "alt", "placeholder", "data-copy", "data-copied")
    SILENT = {"script", "style"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []
        self.lang = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang") or ""
        if tag in self.SILENT or (tag == "select" and "timezone" in (attributes.get("name") or "")):
            self.skipping.append(tag)
        self.parts += [attributes[name] or "" for name in self.SPOKEN if name in attributes]
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    @property
    def text(self) -> str:
        # Collapse ASCII white space only: no-break spaces are part of French text.
        text = re.sub(r"[ \t\r\n]+", " ", " ".join(self.parts)).strip()
        # IANA zones are identifiers ("Africa/Nairobi", shown "Africa/Nairobi").
        return re.sub(r"\b[A-Z][a-z]+/", "", text)


# Words of any English sentence and of no French one: they catch a sentence that was
# never marked for translation, which the catalogue cannot know about.
ENGLISH_WORDS = [
    "the", "The", "and", "of", "to", "is", "are", "was", "were", "be", "has", "have",
    "you", "You", "your", "Your", "with", "for", "this", "This", "not", "will",
]  # fmt: skip


@pytest.fixture(scope="module")
def english_pattern():
    fragments = english_fragments() + ENGLISH_WORDS
    return re.compile("(?<!\\w)(?:" + "|".join(map(re.escape, fragments)) + ")(?!\\w)")


def assert_french(response, english_pattern, allowed: tuple[str, ...] = ()):
    page = VisibleText(response.get_data(as_text=True))
    assert page.lang == "fr", f'{response.request.path}: <html lang="{page.lang}">'
    text = page.text
    for data in allowed:
        text = text.replace(data, " ")
    found = sorted(set(english_pattern.findall(text)))
    assert not found, f"{response.request.path}: English on a French page: {found}"
    return text


@dataclass
class World:
    """A catalogue with something on every page, everyone reading in French."""

    anonymous: object
    trainee: object
    focal: object
    instructor: object
    coordinator: object
    admin: object
    course: Course
    prerequisite: Course
    open_offering: Offering
    ended_offering: Offering
    session: TrainingSession
    ended_session: TrainingSession
    applied: Enrolment
    colleague_applied: Enrolment
    confirmed: Enrolment
    certificate_id: int
    certificate_code: str


def french_person(name, *roles, country="KE", **fields):
    return make_user(None, *roles, country=country, name=name, language="fr", **fields)


def seat(offering, user, status):
    enrolment = Enrolment(
        user=user, offering=offering, country_code=user.country_code, status=status
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def session_of(offering, starts_at, title):
    session = TrainingSession(
        offering=offering,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        timezone=offering.timezone,
        location="Salle B",
    )
    db.session.add(session)
    db.session.flush()
    return session


@pytest.fixture
def world(app) -> World:
    trainee = french_person("Amina Stagiaire")
    colleague = french_person("Brigitte Candidate")
    focal = french_person("Fatou Pointfocal", Role.FOCAL_POINT)
    instructor = french_person("Ibrahim Instructeur", Role.INSTRUCTOR)
    coordinator = french_person("Claire Coordonnatrice", Role.COORDINATOR)
    admin = french_person("Aline Administratrice", Role.ADMIN)
    graduate = french_person("Kamau Diplômé")

    prerequisite = make_course(
        "SAN-001",
        title="Secourisme de base",
        summary="Premiers secours au sein de l'unité.",
        content_language="fr",
        qualification_valid_years=4,
    )
    course = make_course(
        "GEN-001",
        title="Génie de campagne",
        summary="Terrassement, routes et drainage en mission.",
        description="## Contenu\n\nTerrassement et routes.",
        content_language="fr",
        duration_days=42,
        prerequisites=[prerequisite],
    )
    tot = make_course("GEN-FDF", title="Génie : formation des formateurs", level=Level.TOT)
    tot.content_language = "fr"
    draft = make_course("GEN-BRO", title="Génie : brouillon", status=CourseStatus.DRAFT)
    draft.content_language = "fr"

    centre = Organisation(
        name="Centre régional de formation", kind=OrganisationKind.TRAINING_CENTRE
    )
    open_offering = make_offering(course, starts_in_days=30, venue="Camp d'Embakasi")
    # Countries whose English and French names differ: pages must use the French ones.
    open_offering.quotas = [
        OfferingQuota(country_code="KE", seats=2),
        OfferingQuota(country_code="UG", seats=1),
    ]
    open_offering.partners = [OfferingPartner(organisation=centre, role=PartnerRole.HOST)]
    open_offering.instructors.append(instructor)
    ended_offering = make_offering(
        prerequisite,
        starts_on=TODAY - timedelta(days=10),
        ends_on=TODAY - timedelta(days=3),
        venue="Le Caire",
        country_code="EG",
    )
    ended_offering.instructors.append(instructor)
    tot_offering = make_offering(
        tot, starts_on=TODAY - timedelta(days=200), ends_on=TODAY - timedelta(days=100)
    )
    session = session_of(open_offering, utcnow() + timedelta(days=31), "Journée 1 : sécurité")
    cancelled = session_of(open_offering, utcnow() + timedelta(days=32), "Journée 2 : routes")
    cancelled.status = SessionStatus.CANCELLED
    ended_session = session_of(ended_offering, utcnow() - timedelta(days=5), "Exercice final")

    applied = seat(open_offering, trainee, EnrolmentStatus.APPLIED)
    colleague_applied = seat(open_offering, colleague, EnrolmentStatus.APPLIED)
    seat(open_offering, french_person("Chantal Désignée"), EnrolmentStatus.NOMINATED)
    confirmed = seat(open_offering, french_person("Denise Confirmée"), EnrolmentStatus.CONFIRMED)
    seat(open_offering, french_person("Émile Attente", country="JP"), EnrolmentStatus.WAITLISTED)
    passed = seat(ended_offering, trainee, EnrolmentStatus.CONFIRMED)
    seat(ended_offering, french_person("Farida Promotion"), EnrolmentStatus.CONFIRMED)
    seat(tot_offering, graduate, EnrolmentStatus.COMPLETED)
    db.session.commit()

    # Each service locks its offering first: one transaction each.
    records.record_results(coordinator, ended_offering.id, {passed.id: Result.PASSED})
    db.session.commit()
    records.assign_trainer(coordinator, open_offering.id, graduate.id, TrainerRole.CO_TRAINER)
    db.session.add(Feedback(enrolment_id=passed.id, rating=4, comments="Très utile."))
    db.session.commit()
    certificate = records.completions(trainee.id)[0][1]

    def browser(user=None):
        client = app.test_client()
        if user is None:
            client.post("/language", data={"language": "fr", "next": "/"})
        else:
            response = client.post(
                "/account/login", data={"email": user.email, "password": PASSWORD}
            )
            assert response.status_code == 302, "logged in"
        return client

    return World(
        anonymous=browser(),
        trainee=browser(trainee),
        focal=browser(focal),
        instructor=browser(instructor),
        coordinator=browser(coordinator),
        admin=browser(admin),
        course=course,
        prerequisite=prerequisite,
        open_offering=open_offering,
        ended_offering=ended_offering,
        session=session,
        ended_session=ended_session,
        applied=applied,
        colleague_applied=colleague_applied,
        confirmed=confirmed,
        certificate_id=certificate.id,
        certificate_code=records.format_code(certificate.code),
    )


def pages(w: World) -> list[tuple[str, str, int]]:
    """(who, address, status) for every kind of page."""
    course, open_id, ended_id = w.course, w.open_offering.id, w.ended_offering.id
    timetable = f"/manage/offerings/{open_id}/sessions"
    return [
        ("anonymous", "/", 200),
        ("anonymous", "/catalogue", 200),
        ("anonymous", "/catalogue?discipline=engineering&level=basic&open=1&q=genie", 200),
        ("anonymous", "/catalogue?language=fr&from=2000-01-01&mode=in_person&region=Africa", 200),
        ("anonymous", "/catalogue?q=introuvable", 200),
        ("anonymous", f"/courses/{course.code}", 200),
        ("anonymous", f"/offerings/{open_id}", 200),
        ("anonymous", "/account/login", 200),
        ("anonymous", "/account/register", 200),
        ("anonymous", f"/verify/{w.certificate_code}", 200),
        ("anonymous", "/verify/ABCD-EFGH-JKLM-NPQR", 404),
        ("anonymous", "/nowhere", 404),
        ("anonymous", "/catalogue?from=yesterday", 400),
        ("trainee", "/", 200),
        ("trainee", f"/offerings/{open_id}", 200),
        ("trainee", f"/offerings/{ended_id}", 200),
        ("trainee", f"/courses/{course.code}", 200),
        ("trainee", "/my/training", 200),
        ("trainee", "/my/certificates", 200),
        ("trainee", f"/certificates/{w.certificate_id}", 200),
        ("trainee", f"/offerings/{ended_id}/feedback", 200),
        ("trainee", "/account/profile", 200),
        ("trainee", f"/enrolments/{w.applied.id}", 200),
        ("trainee", f"/enrolments/{w.applied.id}/withdraw", 200),
        ("trainee", "/manage", 403),
        ("focal", "/nominations", 200),
        ("focal", f"/nominations/{open_id}", 200),
        ("focal", f"/offerings/{open_id}", 200),
        ("focal", f"/enrolments/{w.colleague_applied.id}/decline", 200),
        ("focal", "/reports", 200),
        ("focal", "/training-capacity", 200),
        ("instructor", f"/offerings/{open_id}", 200),
        ("instructor", timetable, 200),
        (
            "instructor",
            f"/manage/offerings/{ended_id}/sessions/{w.ended_session.id}/attendance",
            200,
        ),
        ("instructor", f"/manage/offerings/{ended_id}/feedback", 200),
        ("coordinator", "/manage", 200),
        ("coordinator", "/manage?status=draft", 200),
        ("coordinator", "/manage/courses/new", 200),
        ("coordinator", f"/manage/courses/{course.id}/edit", 200),
        ("coordinator", f"/manage/courses/{course.id}/cancel", 200),
        ("coordinator", "/manage/offerings/new", 200),
        ("coordinator", f"/manage/offerings/{open_id}/edit", 200),
        ("coordinator", f"/manage/offerings/{open_id}/cancel", 200),
        ("coordinator", f"/manage/offerings/{open_id}/people", 200),
        ("coordinator", "/manage/organisations/new", 200),
        ("coordinator", timetable, 200),
        ("coordinator", f"{timetable}/new", 200),
        ("coordinator", f"{timetable}/series", 200),
        ("coordinator", f"{timetable}/{w.session.id}/edit", 200),
        ("coordinator", f"/manage/offerings/{ended_id}/results", 200),
        ("coordinator", f"/manage/offerings/{open_id}/trainers", 200),
        ("coordinator", f"/manage/offerings/{ended_id}/feedback", 200),
        ("coordinator", "/enrolments", 200),
        ("coordinator", f"/offerings/{open_id}/enrolments", 200),
        ("coordinator", f"/offerings/{open_id}", 200),
        ("coordinator", f"/enrolments/{w.confirmed.id}/remove", 200),
        ("coordinator", "/manage/import", 200),
        ("coordinator", "/reports", 200),
        ("coordinator", "/training-capacity", 200),
        ("admin", "/reports", 200),
        ("admin", "/manage", 200),
    ]


def test_every_page_is_in_french_for_a_french_reader(world, english_pattern):
    # The import page shows the CSV contract's example row, which stays in English.
    example = tuple(sorted(EXAMPLE_ROW.values(), key=len, reverse=True))
    for who, address, status in pages(world):
        response = getattr(world, who).get(address)
        assert response.status_code == status, (who, address, response.status_code)
        assert_french(response, english_pattern, example if "import" in address else ())


def test_countries_are_named_in_french(world, english_pattern):
    open_id, ended_id = world.open_offering.id, world.ended_offering.id
    offering = assert_french(world.anonymous.get(f"/offerings/{open_id}"), english_pattern)
    assert "Ouganda\u00a0: 1 place" in offering
    ended = assert_french(world.trainee.get(f"/offerings/{ended_id}"), english_pattern)
    assert "Le Caire, Égypte" in ended
    roster = world.coordinator.get(f"/offerings/{open_id}/enrolments")
    text = assert_french(roster, english_pattern)
    assert "Ouganda" in text and "Japon" in text


def test_forms_with_errors_are_in_french(world, english_pattern):
    login = world.anonymous.post("/account/login", data={"email": "x@example.org", "password": "x"})
    register = world.anonymous.post("/account/register", data={"email": "pas-une-adresse"})
    course = world.coordinator.post("/manage/courses/new", data={"code": "??"})
    session = world.coordinator.post(
        f"/manage/offerings/{world.open_offering.id}/sessions/new", data={"title": ""}
    )
    for response in (login, register, course, session):
        assert response.status_code == 422, response.request.path
        text = assert_french(response, english_pattern)
        assert "Veuillez corriger les points suivants" in text
    assert (
        "L'adresse électronique ou le mot de passe est incorrect."
        in VisibleText(login.get_data(as_text=True)).text
    )
    assert "Ce champ est requis." in VisibleText(register.get_data(as_text=True)).text


def test_flash_messages_and_the_roster_are_in_french(world, english_pattern):
    response = world.trainee.post(f"/offerings/{world.open_offering.id}/watch", data={"stop": "1"})
    page = world.trainee.get(response.headers["Location"])
    assert (
        "Vous ne serez pas averti de l'ouverture des inscriptions."
        in VisibleText(page.get_data(as_text=True)).text
    )
    assert_french(page, english_pattern)

    # The roster is a report for people: its headers are in the reader's language.
    roster = world.coordinator.get(f"/offerings/{world.open_offering.id}/roster.csv")
    header = roster.get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    assert header.startswith("Nom,Pays,Statut,Position sur la liste d'attente")
    assert "Confirmé" in roster.get_data(as_text=True)


def test_the_catalogue_export_keeps_its_english_columns_for_a_french_reader(world):
    """The CSV columns of the training plan are a public contract, in any language."""
    export = world.coordinator.get("/manage/export.csv")
    assert export.status_code == 200
    assert export.get_data(as_text=True).lstrip("\ufeff").startswith("course_code,")


def test_labels_translated_once_per_page_follow_each_readers_language(app):
    """The card labels are translated once per page; an English page first must not
    fix them in English for the French pages after it (nor the other way round)."""
    make_offering(make_course("CAR-001", title="Cours de cartes"))
    db.session.commit()
    english, french = app.test_client(), app.test_client()
    french.post("/language", data={"language": "fr", "next": "/"})
    for _round in range(2):
        for path in ("/", "/catalogue"):
            assert "Seats left" in english.get(path).get_data(as_text=True)
            assert "Places restantes" in french.get(path).get_data(as_text=True)


def test_logging_in_is_asked_for_in_french(app):
    client = app.test_client()
    client.post("/language", data={"language": "fr", "next": "/"})
    response = client.get("/my/training", follow_redirects=True)
    assert "Veuillez vous connecter pour consulter cette page." in response.get_data(as_text=True)


# --- The language switch ----------------------------------------------------------------


def test_the_browsers_language_is_used_until_a_choice_is_made(app):
    client = app.test_client()
    french_browser = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    home = client.get("/", headers=french_browser)
    assert VisibleText(home.get_data(as_text=True)).lang == "fr"
    assert "Formations à venir" in home.get_data(as_text=True)

    client.post("/language", data={"language": "en", "next": "/"}, headers=french_browser)
    again = client.get("/", headers=french_browser)
    assert VisibleText(again.get_data(as_text=True)).lang == "en"
    assert "Upcoming training" in again.get_data(as_text=True)


def test_a_profiles_language_wins_over_the_browsers(app):
    make_user("lecteur@example.org", language="fr")
    db.session.commit()
    client = app.test_client()
    client.post("/account/login", data={"email": "lecteur@example.org", "password": PASSWORD})
    response = client.get("/my/training", headers={"Accept-Language": "en"})
    assert VisibleText(response.get_data(as_text=True)).lang == "fr"
    assert "Mes formations" in response.get_data(as_text=True)


# --- (d) Dates and numbers ----------------------------------------------------------------


def test_dates_are_written_the_french_way(client):
    course = make_course("DAT-001", title="Cours d'hiver")
    make_offering(course, starts_on=date(2031, 1, 6), ends_on=date(2031, 2, 14))
    db.session.commit()
    client.post("/language", data={"language": "fr", "next": "/"})

    text = VisibleText(client.get("/catalogue").get_data(as_text=True)).text

    assert "6 janv. 2031 – 14 févr. 2031" in text
    with force_locale("en"):
        assert date_range(date(2031, 1, 6), date(2031, 2, 14)) == "Jan 6, 2031 – Feb 14, 2031"


def test_numbers_and_percentages_follow_the_locale(app):
    with app.test_request_context(), force_locale("fr"):
        # A no-break space before the sign, a comma for decimals, a narrow no-break
        # space between thousands (CLDR's French).
        assert percent(0.25, ".#") == "25\u00a0%"
        assert page_text(Percent(value=33.3)) == "33,3\u00a0%"
        assert page_text(12345) == "12\u202f345"
    with app.test_request_context(), force_locale("en"):
        assert percent(0.25, ".#") == "25%"
        assert page_text(Percent(value=33.3)) == "33.3%"
        assert page_text(12345) == "12,345"


def test_the_gender_target_reads_as_a_french_percentage(world):
    text = VisibleText(
        world.coordinator.get(f"/offerings/{world.open_offering.id}").get_data(as_text=True)
    ).text
    assert "l'objectif est de 15\u00a0%" in text


# --- (e) Course content in the reader's language ------------------------------------------


def bilingual_course() -> Course:
    """Written in English, with a French title only: French readers get the English
    summary as the fallback."""
    course = make_course(
        "MED-101",
        title="Field first aid",
        summary="Stopping bleeding and keeping the airway open.",
        description="Hands-on first aid.",
        content_language="en",
    )
    course.translations.append(CourseTranslation(language="fr", title="Secourisme de terrain"))
    make_offering(course, starts_in_days=30)  # open for enrolment
    db.session.commit()
    return course


def test_course_text_comes_in_the_readers_language_with_the_original_as_fallback(client):
    course = bilingual_course()
    english = client.get(f"/courses/{course.code}").get_data(as_text=True)
    assert "Field first aid" in english and "Secourisme de terrain" not in english

    client.post("/language", data={"language": "fr", "next": "/"})
    french = client.get(f"/courses/{course.code}").get_data(as_text=True)
    assert "<span>Secourisme de terrain</span>" in french
    assert "Field first aid" not in french
    # The summary has no French version: the English one, marked as English.
    assert '<p class="lead" lang="en">Stopping bleeding and keeping the airway open.</p>' in french
    card = client.get("/catalogue").get_data(as_text=True)
    assert "Secourisme de terrain" in card
    assert '<p lang="en">Stopping bleeding' in card
    offering = client.get(f"/offerings/{course.offerings[0].id}").get_data(as_text=True)
    assert "Secourisme de terrain" in offering


def test_a_french_course_without_translation_is_shown_and_marked_as_french(client):
    make_offering(make_course("GEN-777", title="Génie civil", content_language="fr"))
    db.session.commit()
    page = client.get("/courses/GEN-777").get_data(as_text=True)
    assert '<span lang="fr">Génie civil</span>' in page


def test_the_api_gives_titles_in_the_language_asked_for(client):
    course = bilingual_course()
    offering_id = course.offerings[0].id

    def titles(query=""):
        return [
            item["title"] for item in client.get(f"/api/v1/offerings{query}").get_json()["items"]
        ]

    assert titles() == ["Field first aid"]
    assert titles("?lang=fr") == ["Secourisme de terrain"]
    assert titles("?lang=en") == ["Field first aid"]
    detail = client.get(f"/api/v1/offerings/{offering_id}?lang=fr").get_json()
    assert detail["title"] == "Secourisme de terrain"
    bad = client.get("/api/v1/offerings?lang=de")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["parameter"] == "lang"


def course_form(**fields) -> dict:
    return {
        "code": "MED-202",
        "content_language": "en",
        "title": "Casualty evacuation",
        "discipline": "medical",
        "level": "basic",
        "programme": "tpp",
        "summary": "Moving casualties safely.",
        "description": "",
        **fields,
    }


def test_coordinators_enter_the_translation_on_the_course_form(app, log_in_coordinator):
    client = log_in_coordinator
    form = client.get("/manage/courses/new").get_data(as_text=True)
    assert "Title in French" in form and "Language of the title, summary and description" in form

    response = client.post(
        "/manage/courses/new",
        data=course_form(
            translated_title="Évacuation des blessés",
            translated_summary="Déplacer les blessés en sécurité.",
        ),
    )
    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.code == "MED-202"))
    assert course.content_language == "en"
    assert [(t.language, t.title, t.summary) for t in course.translations] == [
        ("fr", "Évacuation des blessés", "Déplacer les blessés en sécurité.")
    ]
    edit = client.get(f"/manage/courses/{course.id}/edit").get_data(as_text=True)
    assert 'value="Évacuation des blessés"' in edit

    # Search finds the course by its French words, without their accents.
    course.status = CourseStatus.PUBLISHED
    make_offering(course)
    db.session.commit()
    found = app.test_client().get("/api/v1/offerings?q=evacuation blesses").get_json()
    assert [item["course_code"] for item in found["items"]] == ["MED-202"]

    # Written in French after all: the fields below now hold the English version.
    client.post(
        f"/manage/courses/{course.id}/edit",
        data=course_form(
            content_language="fr",
            title="Évacuation des blessés",
            translated_title="Casualty evacuation",
        ),
    )
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert course.content_language == "fr"
    assert [(t.language, t.title) for t in course.translations] == [("en", "Casualty evacuation")]
    edit = client.get(f"/manage/courses/{course.id}/edit").get_data(as_text=True)
    assert "Title in English" in edit

    # Emptied, the translation goes.
    client.post(f"/manage/courses/{course.id}/edit", data=course_form(content_language="fr"))
    db.session.expire_all()
    assert db.session.get(Course, course.id).translations == []


@pytest.fixture
def log_in_coordinator(app):
    make_user("coordinator@example.org", Role.COORDINATOR)
    db.session.commit()
    client = app.test_client()
    client.post("/account/login", data={"email": "coordinator@example.org", "password": PASSWORD})
    return client


def test_demo_data_has_french_courses():
    from catalog.demo.services import load_demo

    load_demo(today=date(2026, 11, 3))
    course = db.session.scalar(select(Course).where(Course.code == "TPP-ENG-HEE-B"))
    with force_locale("fr"):
        assert course.text_in("fr")[0] == "Engins lourds du génie : niveau de base"
    assert "## Ce que vous apprendrez" in course.text_in("fr")[2]
    assert course.text_in("en")[0] == "Heavy Engineering Equipment: Basic"


# --- (f) E-mails in the recipient's language ----------------------------------------------


def test_an_enrolment_confirmation_goes_out_in_french(app):
    course = bilingual_course()
    offering = course.offerings[0]
    offering.seat_allocation = SeatAllocation.FIRST_COME
    amelie = make_user("amelie@example.org", language="fr", timezone="Europe/Paris")
    db.session.commit()

    with app.test_request_context():
        enrolment.apply(amelie, offering.id)
        db.session.commit()

    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient_id == amelie.id)
    )
    # A subject is one line of plain spaces (the no-break space before the colon too).
    assert message.subject.startswith("Votre place est confirmée : MED-101 Secourisme de terrain (")
    with force_locale("fr"):
        from flask_babel import format_date

        assert format_date(offering.starts_on) in message.subject
    assert "Vous avez une place confirmée dans MED-101 Secourisme de terrain" in message.body
    assert "Mes formations" in message.body
    assert '<html lang="fr">' in message.html_body
    assert "Catalogue des formations au maintien de la paix." in message.html_body
    assert "Your place" not in message.body + message.html_body
