"""The authorisation matrix: every route, asked by every kind of person.

Each endpoint of the app (and each method it accepts: GET, and POST with an empty
form) is requested by nine people, from a visitor who is not logged in to an
administrator, with the ids of real objects: an offering with a session, an
enrolment and a certificate of trainee A, a calendar feed address of A's, and so
on. What each gets is compared with ``EXPECTED`` below, which is the matrix as a
reader checks it. A few extra rows ask about someone else's objects (B's
enrolment, another country's figures, a draft) to show the ownership rules.

A new route fails ``test_every_endpoint_has_a_rule_and_an_expectation`` until it
has a rule in ``catalog.security.policy.RULES`` and rows here.

Outcomes: a status code, ``login`` for a redirect to the login page and ``302``
for any other redirect. POSTs carry no data (CSRF is off in the tests), so an
allowed person sees the form's refusal (400, 409, 422) or, where an empty form is
a complete request (publish, log out, revoke), its success.
"""

# ruff: noqa: E501  (the matrix reads as a table, one row per line, wider than 100)

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Blueprint, session, url_for
from flask_login import AnonymousUserMixin, login_user

from catalog import create_app
from catalog.database import utcnow
from catalog.extensions import db
from catalog.feeds.services import issue_token, token_for
from catalog.models import (
    Certificate,
    Enrolment,
    EnrolmentStatus,
    JobState,
    OfferingStatus,
    Role,
    TrainerAssignment,
    TrainerRole,
    TrainingSession,
    User,
    UserRole,
)
from catalog.security import policy
from config import TestingConfig
from tests.factories import PASSWORD, make_course, make_offering, make_user

TODAY = date.today()

# Who asks. A is a Kenyan trainee with a completed enrolment and a certificate, B a
# Ugandan trainee who withdrew from the same offering; I+ teaches the offering and
# I- teaches none; FKE and FUG are the focal points of Kenya and Uganda.
PERSONAS = ("anon", "A", "B", "I+", "I-", "FKE", "FUG", "C", "Adm")
PEOPLE = {  # persona: (e-mail address, roles, country)
    "A": ("a@example.org", [Role.TRAINEE], "KE"),
    "B": ("b@example.org", [Role.TRAINEE], "UG"),
    "I+": ("teaches@example.org", [Role.INSTRUCTOR], "KE"),
    "I-": ("teaches.not@example.org", [Role.INSTRUCTOR], "KE"),
    "FKE": ("fp.ke@example.org", [Role.FOCAL_POINT], "KE"),
    "FUG": ("fp.ug@example.org", [Role.FOCAL_POINT], "UG"),
    "C": ("coordinator@example.org", [Role.COORDINATOR], "KE"),
    "Adm": ("admin@example.org", [Role.ADMIN], "KE"),  # holds every role
}

# "METHOD endpoint" or "METHOD endpoint [variant]" -> one outcome per persona.
# fmt: off
EXPECTED = {
    #                                                   anon  A     B     I+    I-    FKE   FUG   C     Adm
    # --- Home and accounts
    "GET main.index":                                  "200   200   200   200   200   200   200   200   200",
    "POST main.set_language":                          "400   400   400   400   400   400   400   400   400",
    # Public, for monitors and load balancers.
    "GET health.healthz":                              "200   200   200   200   200   200   200   200   200",
    "GET auth.register":                               "200   302   302   302   302   302   302   302   302",
    "POST auth.register":                              "422   302   302   302   302   302   302   302   302",
    "GET auth.login":                                  "200   302   302   302   302   302   302   302   302",
    "POST auth.login":                                 "422   302   302   302   302   302   302   302   302",
    "POST auth.logout":                                "302   302   302   302   302   302   302   302   302",
    "GET auth.forgot_password":                        "200   200   200   200   200   200   200   200   200",
    "POST auth.forgot_password":                       "422   422   422   422   422   422   422   422   422",
    "GET auth.reset_password":                         "404   404   404   404   404   404   404   404   404",
    "POST auth.reset_password":                        "404   404   404   404   404   404   404   404   404",
    "GET auth.profile":                                "login 200   200   200   200   200   200   200   200",
    "POST auth.profile":                               "login 200   200   200   200   200   200   200   200",
    "POST auth.change_password":                       "login 422   422   422   422   422   422   422   422",
    # --- The public catalogue, the API and calendars
    "GET catalogue.index":                             "200   200   200   200   200   200   200   200   200",
    "GET catalogue.course":                            "200   200   200   200   200   200   200   200   200",
    "GET catalogue.offering":                          "200   200   200   200   200   200   200   200   200",
    "GET catalogue.offering [draft]":                  "404   404   404   404   404   404   404   200   200",
    "GET api.offerings":                               "200   200   200   200   200   200   200   200   200",
    "GET api.offering":                                "200   200   200   200   200   200   200   200   200",
    "GET api.offering [draft]":                        "404   404   404   404   404   404   404   404   404",
    "GET feeds.catalogue_feed_view":                   "200   200   200   200   200   200   200   200   200",
    "GET feeds.offering_feed_view":                    "200   200   200   200   200   200   200   200   200",
    "GET feeds.session_file":                          "200   200   200   200   200   200   200   200   200",
    "GET feeds.personal_feed_view":                    "200   200   200   200   200   200   200   200   200",
    "GET feeds.personal_feed_view [unknown token]":    "404   404   404   404   404   404   404   404   404",
    "POST feeds.create_token":                         "login 302   302   302   302   302   302   302   302",
    "POST feeds.revoke":                               "login 302   404   404   404   404   404   404   404",
    "GET records.verify":                              "200   200   200   200   200   200   200   200   200",
    # --- A trainee's own enrolments, certificates and feedback
    "POST enrolment.apply":                            "login 422   422   422   422   422   422   422   422",
    "POST enrolment.watch":                            "login 409   409   409   409   409   409   409   409",
    "GET enrolment.my_training":                       "login 200   200   200   200   200   200   200   200",
    "POST enrolment.accept":                           "login 409   404   404   404   404   404   404   404",
    "GET enrolment.withdraw":                          "login 200   404   404   404   404   404   404   404",
    "POST enrolment.withdraw":                         "login 409   404   404   404   404   404   404   404",
    "GET enrolment.history":                           "login 200   404   404   404   200   404   200   200",
    "GET enrolment.history [B's enrolment, UG]":       "login 404   200   404   404   404   200   200   200",
    "GET records.my_certificates":                     "login 200   200   200   200   200   200   200   200",
    "GET records.certificate":                         "login 200   404   404   404   404   404   200   200",
    "GET records.feedback":                            "login 200   403   403   403   403   403   403   403",
    "POST records.feedback":                           "login 422   403   403   403   403   403   403   403",
    # --- Focal points, for their own country
    "GET enrolment.nominations":                       "login 403   403   403   403   200   200   403   200",
    "GET enrolment.country_offering":                  "login 403   403   403   403   200   200   403   200",
    "POST enrolment.nominate_person":                  "login 403   403   403   403   422   422   403   422",
    "POST enrolment.invite":                           "login 403   403   403   403   422   422   403   422",
    "POST enrolment.nominate":                         "login 403   403   403   403   409   404   403   409",
    "POST enrolment.nominate [B's enrolment, UG]":     "login 403   403   403   403   404   409   403   409",
    "GET enrolment.decline":                           "login 403   403   403   403   200   404   200   200",
    "POST enrolment.decline":                          "login 403   403   403   403   409   404   409   409",
    "GET enrolment.roster":                            "login 403   403   403   403   200   200   200   200",
    "GET records.trained_by":                          "login 403   403   403   403   200   200   200   200",
    "GET records.trained_by [?country=UG]":            "login 403   403   403   403   403   200   200   200",
    "GET reports.dashboard":                           "login 403   403   403   403   200   200   200   200",
    "GET reports.dashboard [?country=UG]":             "login 403   403   403   403   403   200   200   200",
    "GET reports.download":                            "login 403   403   403   403   200   200   200   200",
    # --- Instructors, for the offerings they teach
    "GET sessions.index":                              "login 403   403   200   403   403   403   200   200",
    "GET sessions.new":                                "login 403   403   200   403   403   403   200   200",
    "POST sessions.new":                               "login 403   403   422   403   403   403   422   422",
    "GET sessions.edit":                               "login 403   403   200   403   403   403   200   200",
    "POST sessions.edit":                              "login 403   403   422   403   403   403   422   422",
    "GET sessions.new_series":                         "login 403   403   200   403   403   403   200   200",
    "POST sessions.new_series":                        "login 403   403   422   403   403   403   422   422",
    "POST sessions.cancel":                            "login 403   403   302   403   403   403   302   302",
    "POST sessions.restore":                           "login 403   403   302   403   403   403   302   302",
    "GET records.attendance":                          "login 403   403   200   403   403   403   200   200",
    "POST records.attendance":                         "login 403   403   302   403   403   403   302   302",
    "GET records.feedback_summary":                    "login 403   403   200   403   403   403   200   200",
    # --- Coordinators
    "GET manage.index":                                "login 403   403   403   403   403   403   200   200",
    "GET manage.new_course":                           "login 403   403   403   403   403   403   200   200",
    "POST manage.new_course":                          "login 403   403   403   403   403   403   422   422",
    "GET manage.edit_course":                          "login 403   403   403   403   403   403   200   200",
    "POST manage.edit_course":                         "login 403   403   403   403   403   403   422   422",
    "POST manage.publish_course":                      "login 403   403   403   403   403   403   302   302",
    "POST manage.unpublish_course":                    "login 403   403   403   403   403   403   302   302",
    "POST manage.reinstate_course":                    "login 403   403   403   403   403   403   302   302",
    "GET manage.cancel_course":                        "login 403   403   403   403   403   403   200   200",
    "POST manage.cancel_course":                       "login 403   403   403   403   403   403   302   302",
    "GET manage.new_offering":                         "login 403   403   403   403   403   403   200   200",
    "POST manage.new_offering":                        "login 403   403   403   403   403   403   422   422",
    "GET manage.edit_offering":                        "login 403   403   403   403   403   403   200   200",
    "POST manage.edit_offering":                       "login 403   403   403   403   403   403   422   422",
    "POST manage.publish_offering":                    "login 403   403   403   403   403   403   302   302",
    "POST manage.unpublish_offering":                  "login 403   403   403   403   403   403   302   302",
    "POST manage.reinstate_offering":                  "login 403   403   403   403   403   403   302   302",
    "GET manage.cancel_offering":                      "login 403   403   403   403   403   403   200   200",
    "POST manage.cancel_offering":                     "login 403   403   403   403   403   403   302   302",
    "GET manage.offering_people":                      "login 403   403   403   403   403   403   200   200",
    "POST manage.offering_people":                     "login 403   403   403   403   403   403   302   302",
    "GET manage.new_organisation":                     "login 403   403   403   403   403   403   200   200",
    "POST manage.new_organisation":                    "login 403   403   403   403   403   403   422   422",
    "GET transfer.import_plan":                        "login 403   403   403   403   403   403   200   200",
    "POST transfer.import_plan":                       "login 403   403   403   403   403   403   422   422",
    "GET transfer.export_plan":                        "login 403   403   403   403   403   403   200   200",
    "GET enrolment.offerings":                         "login 403   403   403   403   403   403   200   200",
    "GET enrolment.offering":                          "login 403   403   403   403   403   403   200   200",
    "POST enrolment.select_candidate":                 "login 403   403   403   403   403   403   409   409",
    "GET enrolment.remove":                            "login 403   403   403   403   403   403   200   200",
    "POST enrolment.remove":                           "login 403   403   403   403   403   403   422   422",
    "POST enrolment.allocation":                       "login 403   403   403   403   403   403   422   422",
    "POST enrolment.override":                         "login 403   403   403   403   403   403   422   422",
    "POST enrolment.release_quotas":                   "login 403   403   403   403   403   403   302   409",
    "GET records.results":                             "login 403   403   403   403   403   403   200   200",
    "POST records.results":                            "login 403   403   403   403   403   403   302   302",
    "GET records.trainers":                            "login 403   403   403   403   403   403   200   200",
    "POST records.trainers":                           "login 403   403   403   403   403   403   422   422",
    "POST records.remove_trainer":                     "login 403   403   403   403   403   403   302   404",
    # --- Administrators
    "GET admin.audit_log":                             "login 403   403   403   403   403   403   403   200",
    "GET admin.user_roles":                            "login 403   403   403   403   403   403   403   200",
    "POST admin.user_roles":                           "login 403   403   403   403   403   403   403   422",
}
# fmt: on

# The rows that ask about objects other than the usual ones, or add a query.
VARIANTS = {
    "GET catalogue.offering [draft]": {"offering_id": "draft_offering_id"},
    "GET api.offering [draft]": {"offering_id": "draft_offering_id"},
    "GET feeds.personal_feed_view [unknown token]": {"token": "unknown_token"},
    "GET enrolment.history [B's enrolment, UG]": {"enrolment_id": "b_enrolment_id"},
    "POST enrolment.nominate [B's enrolment, UG]": {"enrolment_id": "b_enrolment_id"},
    "GET records.trained_by [?country=UG]": {"?country": "UG"},
    "GET reports.dashboard [?country=UG]": {"?country": "UG"},
}

# Which of the world's values an address's variable takes, when the name alone
# does not say (``code`` is a course's code in one place, a certificate's in another).
SPECIAL_VALUES = {
    ("records.verify", "code"): "certificate_code",
    ("auth.reset_password", "token"): "unknown_token",
    ("admin.user_roles", "user_id"): "a_id",
}
VALUES_BY_ARGUMENT = {
    "offering_id": "offering_id",
    "session_id": "session_id",
    "enrolment_id": "enrolment_id",
    "certificate_id": "certificate_id",
    "course_id": "course_id",
    "code": "course_code",
    "token": "feed_token",
    "token_id": "feed_token_id",
    "user_id": "trainer_id",
    "name": "report_name",
}

METHODS = ("GET", "POST")
REFUSALS = {"login", "401", "403", "404"}


# --- The world everyone asks about ----------------------------------------------------


@dataclass
class World:
    people: dict[str, User]
    values: dict[str, object]


def build_world() -> World:
    """An offering that ended two days ago (results and feedback open), taught by I+,
    with a session; A completed it and holds a certificate and a feed address; B
    withdrew; a graduate of an earlier training of trainers helped teach it."""
    people = {
        persona: make_user(email, *roles, country=country, name=persona)
        for persona, (email, roles, country) in PEOPLE.items()
    }
    course = make_course("AUTHZ-1")
    offering = make_offering(
        course,
        starts_on=TODAY - timedelta(days=12),
        ends_on=TODAY - timedelta(days=2),
        enrolment_opens_on=TODAY - timedelta(days=60),
        enrolment_closes_on=TODAY - timedelta(days=20),
    )
    offering.instructors.append(people["I+"])
    starts_at = utcnow() - timedelta(days=5)
    session = TrainingSession(
        offering=offering,
        title="Day 8: route clearance",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        timezone=offering.timezone,
    )
    db.session.add(session)
    draft = make_offering(make_course("AUTHZ-2"), status=OfferingStatus.DRAFT)
    a_enrolment = enrol(people["A"], offering, EnrolmentStatus.COMPLETED)
    b_enrolment = enrol(people["B"], offering, EnrolmentStatus.WITHDRAWN)
    certificate = Certificate(enrolment=a_enrolment, code="AUTHZ2345CDE6789")
    token = issue_token(people["A"], "phone")

    earlier = make_offering(
        make_course("AUTHZ-TOT"),
        starts_on=TODAY - timedelta(days=200),
        ends_on=TODAY - timedelta(days=190),
    )
    graduate = make_user("graduate@example.org", Role.TRAINEE, country="KE", name="Grace G")
    assignment = TrainerAssignment(
        offering=offering,
        user=graduate,
        role=TrainerRole.CO_TRAINER,
        qualifying_enrolment=enrol(graduate, earlier, EnrolmentStatus.COMPLETED),
    )
    db.session.add_all([certificate, assignment])
    # A scheduler that is running, so /healthz answers 200.
    db.session.add(JobState(job_id="deliver_outbox", last_finished_at=utcnow(), last_ok=True))
    db.session.commit()
    return World(
        people=people,
        values={
            "offering_id": offering.id,
            "draft_offering_id": draft.id,
            "session_id": session.id,
            "enrolment_id": a_enrolment.id,
            "b_enrolment_id": b_enrolment.id,
            "certificate_id": certificate.id,
            "certificate_code": certificate.code,
            "course_id": course.id,
            "course_code": course.code,
            "feed_token": token_for(token),
            "feed_token_id": token.id,
            "unknown_token": "no-such-token",
            "trainer_id": graduate.id,
            "a_id": people["A"].id,
            "report_name": "trained",
        },
    )


def enrol(user: User, offering, status: EnrolmentStatus) -> Enrolment:
    enrolment = Enrolment(
        user=user, offering=offering, country_code=user.country_code, status=status
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


# --- Asking ----------------------------------------------------------------------------


def parse_case(case: str) -> tuple[str, str]:
    method, endpoint = case.split(" ")[:2]
    return method, endpoint


def address(app, case: str, world: World) -> str:
    _method, endpoint = parse_case(case)
    (rule,) = app.url_map.iter_rules(endpoint)
    variant = VARIANTS.get(case, {})
    values = {}
    for argument in rule.arguments:
        key = variant.get(argument) or SPECIAL_VALUES.get((endpoint, argument))
        values[argument] = world.values[key or VALUES_BY_ARGUMENT[argument]]
    query = {name[1:]: value for name, value in variant.items() if name.startswith("?")}
    with app.test_request_context():
        return url_for(endpoint, **values, **query)


def log_in(app, browser, user: User) -> None:
    """Give ``browser`` the session the login page would: Flask-Login's own
    ``login_user``, run for this browser's address and user agent. (The login form
    itself costs ten times a page; it is tested in test_auth and used below.)"""
    with app.test_request_context(environ_base=browser.environ_base):
        login_user(user)
        values = dict(session)
    with browser.session_transaction() as browser_session:
        browser_session.update(values)


def outcome(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        target = urlsplit(response.headers["Location"]).path
        return "login" if target == "/account/login" else "302"
    return str(response.status_code)


def ask(app, case: str, world: World) -> list[str]:
    """What each persona gets, in the order of PERSONAS; each has their own browser."""
    method, _endpoint = parse_case(case)
    url = address(app, case, world)
    row = []
    for persona in PERSONAS:
        browser = app.test_client()
        if persona != "anon":
            log_in(app, browser, world.people[persona])
        response = browser.open(url, method=method, data={} if method == "POST" else None)
        row.append(outcome(response))
    return row


def answers(app, case: str, world: World) -> str:
    """What ``ask`` finds, as a row for EXPECTED, or the exception a view raised."""
    try:
        return " ".join(ask(app, case, world))
    except Exception as error:  # a hint for the author: the failure is reported anyway
        db.session.rollback()
        return f"raised {error!r}"


def cases_of(app) -> set[str]:
    """ "METHOD endpoint" for each endpoint and method the app serves, and VARIANTS."""
    cases = set(VARIANTS)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in policy.UNGUARDED:
            continue
        cases.update(f"{method} {rule.endpoint}" for method in METHODS if method in rule.methods)
    return cases


def expected(case: str) -> list[str]:
    row = EXPECTED[case].split()
    assert len(row) == len(PERSONAS), f"{case}: one outcome per persona"
    return row


# --- The tests -------------------------------------------------------------------------


def test_every_endpoint_has_a_rule_and_an_expectation(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - policy.UNGUARDED
    without_rule = sorted(endpoints - set(policy.RULES))
    assert not without_rule, "\n".join(
        f"add a rule and an expectation for {endpoint} (RULES in catalog/security/policy.py)"
        for endpoint in without_rule
    )
    stale = sorted(set(policy.RULES) - endpoints)
    assert not stale, f"rules for endpoints that do not exist: {stale}"

    cases = cases_of(app)
    missing = sorted(cases - set(EXPECTED))
    if missing:
        world = build_world()
        hints = [f"    {case!r}: {answers(app, case, world)!r}," for case in missing]
        pytest.fail(
            "add a rule and an expectation for "
            + ", ".join(missing)
            + " (EXPECTED in tests/test_authorisation_matrix.py); they answer now:\n"
            + "\n".join(hints)
        )
    assert not set(EXPECTED) - cases, f"rows for routes that do not exist: {set(EXPECTED) - cases}"


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_persona_gets_what_the_matrix_says(app, case):
    world = build_world()

    got = ask(app, case, world)

    assert not [status for status in got if status.startswith("5")], f"{case}: {got}"
    assert dict(zip(PERSONAS, got, strict=True)) == dict(
        zip(PERSONAS, expected(case), strict=True)
    ), f"{case}\n  expected {' '.join(expected(case))}\n  got      {' '.join(got)}"


def test_the_matrix_agrees_with_the_rules():
    """Whoever a rule turns away by role is refused in the table too (never a page or
    a success), and nobody it lets in is sent to log in."""
    disagreements = []
    for case in sorted(EXPECTED):
        _method, endpoint = parse_case(case)
        for persona, status in zip(PERSONAS, expected(case), strict=True):
            decision = policy.authorize(endpoint, stand_in(persona))
            if decision is policy.Decision.ALLOW and status == "login":
                disagreements.append(f"{case}: the rule lets {persona} in")
            elif decision is not policy.Decision.ALLOW and status not in REFUSALS:
                disagreements.append(f"{case}: {persona} must be refused, not {status}")
    assert not disagreements, "\n".join(disagreements)


def stand_in(persona: str):
    """Someone with the persona's roles, for the policy's decision alone."""
    if persona == "anon":
        return AnonymousUserMixin()
    return User(active=True, role_rows=[UserRole(role=role) for role in PEOPLE[persona][1]])


# --- The central check itself ----------------------------------------------------------


@pytest.fixture
def app_with_unruled_route(app):
    """A separate app with one route nobody wrote a rule for."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]

    other = create_app(Config)
    extra = Blueprint("forgotten", __name__)

    @extra.route("/forgotten")
    def page():
        return "should not be seen"

    other.register_blueprint(extra)
    yield other
    with other.app_context():
        db.engine.dispose()


def test_a_route_without_a_rule_is_refused_and_logged(app_with_unruled_route, caplog):
    make_user("coordinator@example.org", Role.ADMIN)
    db.session.commit()
    browser = app_with_unruled_route.test_client()

    with caplog.at_level(logging.ERROR):
        assert browser.get("/forgotten").status_code == 403
        browser.post(
            "/account/login", data={"email": "coordinator@example.org", "password": PASSWORD}
        )
        assert browser.get("/forgotten").status_code == 403, "not even for an administrator"

    assert "No access rule for endpoint forgotten.page" in caplog.text


def test_unknown_addresses_and_wrong_methods_are_left_to_routing(client):
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/account/logout").status_code == 405
    assert client.options("/manage").status_code == 200, "Flask answers OPTIONS itself"


def test_focal_points_act_for_their_own_country_and_administrators_for_all():
    kenya = make_user(None, Role.FOCAL_POINT, country="KE")
    stateless = make_user(None, Role.FOCAL_POINT)
    stateless.country_code = None  # the profile page refuses this; older data may have it
    admin = make_user(None, Role.ADMIN, country=None)
    trainee = make_user(None, Role.TRAINEE, country="KE")

    assert policy.acts_for_country(kenya, "KE")
    assert not policy.acts_for_country(kenya, "UG")
    assert not policy.acts_for_country(kenya, None)
    assert not policy.acts_for_country(stateless, None), "no country is not a country"
    assert policy.acts_for_country(admin, "UG")
    assert not policy.acts_for_country(trainee, "KE")
