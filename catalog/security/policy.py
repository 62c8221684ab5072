"""Who may do what: the authorisation matrix of every endpoint, in one place.

Each endpoint has a ``Rule``: who may call it at all (everyone, anyone logged in,
or holders of some roles; administrators hold every role) and which ownership
check the view makes once it has loaded the object the address names. A
``before_request`` hook (``init_policy``) applies the first part to every request:

- an endpoint without a rule is refused (403) and logged, so a new route cannot be
  reached before someone decides who may use it (``tests/test_authorisation_matrix.py``
  fails too, naming it);
- a visitor who is not logged in is sent to the login page (the API answers 401 and
  calendar addresses 404, since neither can show a login form);
- a logged-in person without a required role gets 403.

The second part needs the object, so the view checks it where it loads it, with
the helpers below (``can_see_enrolment``, ``acts_for_country``, ``manages_offering``
...), never with role tests of its own. Where an object's existence is private
(enrolments, certificates, personal feeds, feed addresses), a person who may not
see it gets the 404 an unknown id gets, not a 403 that would confirm it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from flask import Flask, abort, current_app, request
from flask_login import current_user

from catalog.extensions import login_manager
from catalog.models import Role


class Audience(Enum):
    PUBLIC = "everyone"
    LOGGED_IN = "anyone logged in"


PUBLIC = Audience.PUBLIC
LOGGED_IN = Audience.LOGGED_IN


class Ownership(Enum):
    """The check a view makes on the object it loads, after the role check."""

    # The role decides alone.
    NONE = "none"
    # Drafts (courses, offerings and what hangs off them) are 404 except to staff.
    LISTED = "listed, or staff"
    # Only the logged-in person's own things: queries are narrowed to them, and an
    # id of someone else's (a feed address) is 404.
    OWN_ACCOUNT = "own account"
    # An enrolment, or what hangs off one (its certificate, its feedback): the
    # person it belongs to; the focal point of its country and the coordinators
    # where the view's helper says so (``can_see_enrolment``, ``holds``,
    # ``can_see_certificate``). Anyone else gets 404.
    OWN_ENROLMENT = "own enrolment"
    # A focal point acts for their own country only, administrators for every
    # country (``acts_for_country``); coordinators, where the rule lets them in,
    # for every country (``sees_every_country``). Another country's enrolments
    # are 404; asking for another country's figures is 403.
    OWN_COUNTRY = "own country"
    # The offering's own instructors, and coordinators for every offering
    # (``manages_offering``); other instructors get 403 (offerings are public).
    TEACHES_OFFERING = "teaches the offering"
    # The secret in the address is the credential (personal calendar feeds,
    # password-reset links): an unknown, used or revoked one is 404, whoever asks.
    SECRET_TOKEN = "secret token"


@dataclass(frozen=True)
class Rule:
    who: Audience | frozenset[Role]
    ownership: Ownership = Ownership.NONE

    def __post_init__(self) -> None:
        if not isinstance(self.who, Audience):
            object.__setattr__(self, "who", frozenset(self.who))


# Role sets the rules share. Administrators pass every one of them.
COORDINATORS = frozenset({Role.COORDINATOR})
FOCAL_POINTS = frozenset({Role.FOCAL_POINT})
FOCAL_POINTS_AND_COORDINATORS = frozenset({Role.FOCAL_POINT, Role.COORDINATOR})
TEACHING_STAFF = frozenset({Role.INSTRUCTOR, Role.COORDINATOR})
ADMINS = frozenset({Role.ADMIN})

LISTED = Ownership.LISTED
OWN_ACCOUNT = Ownership.OWN_ACCOUNT
OWN_ENROLMENT = Ownership.OWN_ENROLMENT
OWN_COUNTRY = Ownership.OWN_COUNTRY
TEACHES_OFFERING = Ownership.TEACHES_OFFERING
SECRET_TOKEN = Ownership.SECRET_TOKEN

RULES: dict[str, Rule] = {
    # --- Home, language, accounts
    "main.index": Rule(PUBLIC),
    "main.set_language": Rule(PUBLIC),
    "health.healthz": Rule(PUBLIC),
    "auth.register": Rule(PUBLIC),
    "auth.login": Rule(PUBLIC),
    "auth.logout": Rule(PUBLIC),
    "auth.profile": Rule(LOGGED_IN, OWN_ACCOUNT),
    "auth.change_password": Rule(LOGGED_IN, OWN_ACCOUNT),
    "auth.forgot_password": Rule(PUBLIC),
    # The secret in the address is the credential, as for personal feeds.
    "auth.reset_password": Rule(PUBLIC, SECRET_TOKEN),
    # --- The public catalogue, its API and calendars
    "catalogue.index": Rule(PUBLIC),
    "catalogue.course": Rule(PUBLIC, LISTED),
    "catalogue.offering": Rule(PUBLIC, LISTED),
    "api.offerings": Rule(PUBLIC),
    "api.offering": Rule(PUBLIC, LISTED),
    "feeds.catalogue_feed_view": Rule(PUBLIC),
    "feeds.offering_feed_view": Rule(PUBLIC, LISTED),
    "feeds.session_file": Rule(PUBLIC, LISTED),
    "feeds.personal_feed_view": Rule(PUBLIC, SECRET_TOKEN),
    "feeds.create_token": Rule(LOGGED_IN, OWN_ACCOUNT),
    "feeds.revoke": Rule(LOGGED_IN, OWN_ACCOUNT),
    "records.verify": Rule(PUBLIC),
    # --- Trainees: their own enrolments, certificates and feedback
    "enrolment.apply": Rule(LOGGED_IN, OWN_ACCOUNT),
    "enrolment.watch": Rule(LOGGED_IN, OWN_ACCOUNT),
    "enrolment.my_training": Rule(LOGGED_IN, OWN_ACCOUNT),
    "enrolment.accept": Rule(LOGGED_IN, OWN_ENROLMENT),
    "enrolment.withdraw": Rule(LOGGED_IN, OWN_ENROLMENT),
    "enrolment.history": Rule(LOGGED_IN, OWN_ENROLMENT),
    "records.my_certificates": Rule(LOGGED_IN, OWN_ACCOUNT),
    "records.certificate": Rule(LOGGED_IN, OWN_ENROLMENT),
    "records.feedback": Rule(LOGGED_IN, OWN_ENROLMENT),
    # --- National focal points: their own country
    "enrolment.nominations": Rule(FOCAL_POINTS, OWN_COUNTRY),
    "enrolment.country_offering": Rule(FOCAL_POINTS, OWN_COUNTRY),
    "enrolment.nominate_person": Rule(FOCAL_POINTS, OWN_COUNTRY),
    "enrolment.invite": Rule(FOCAL_POINTS, OWN_COUNTRY),
    "enrolment.nominate": Rule(FOCAL_POINTS, OWN_COUNTRY),
    "enrolment.decline": Rule(FOCAL_POINTS_AND_COORDINATORS, OWN_COUNTRY),
    "enrolment.roster": Rule(FOCAL_POINTS_AND_COORDINATORS, OWN_COUNTRY),
    "records.trained_by": Rule(FOCAL_POINTS_AND_COORDINATORS, OWN_COUNTRY),
    "reports.dashboard": Rule(FOCAL_POINTS_AND_COORDINATORS, OWN_COUNTRY),
    "reports.download": Rule(FOCAL_POINTS_AND_COORDINATORS, OWN_COUNTRY),
    # --- Instructors: the offerings they teach
    "sessions.index": Rule(TEACHING_STAFF, TEACHES_OFFERING),
    "sessions.new": Rule(TEACHING_STAFF, TEACHES_OFFERING),
    "sessions.edit": Rule(TEACHING_STAFF, TEACHES_OFFERING),
    "sessions.new_series": Rule(TEACHING_STAFF, TEACHES_OFFERING),
    "sessions.cancel": Rule(TEACHING_STAFF, TEACHES_OFFERING),
    "sessions.restore": Rule(TEACHING_STAFF, TEACHES_OFFERING),
    "records.attendance": Rule(TEACHING_STAFF, TEACHES_OFFERING),
    "records.feedback_summary": Rule(TEACHING_STAFF, TEACHES_OFFERING),
    # --- Coordinators: the catalogue, seats, results, imports
    "manage.index": Rule(COORDINATORS),
    "manage.new_course": Rule(COORDINATORS),
    "manage.edit_course": Rule(COORDINATORS),
    "manage.publish_course": Rule(COORDINATORS),
    "manage.unpublish_course": Rule(COORDINATORS),
    "manage.reinstate_course": Rule(COORDINATORS),
    "manage.cancel_course": Rule(COORDINATORS),
    "manage.new_offering": Rule(COORDINATORS),
    "manage.edit_offering": Rule(COORDINATORS),
    "manage.publish_offering": Rule(COORDINATORS),
    "manage.unpublish_offering": Rule(COORDINATORS),
    "manage.reinstate_offering": Rule(COORDINATORS),
    "manage.cancel_offering": Rule(COORDINATORS),
    "manage.offering_people": Rule(COORDINATORS),
    "manage.new_organisation": Rule(COORDINATORS),
    "transfer.import_plan": Rule(COORDINATORS),
    "transfer.export_plan": Rule(COORDINATORS),
    "enrolment.offerings": Rule(COORDINATORS),
    "enrolment.offering": Rule(COORDINATORS),
    "enrolment.select_candidate": Rule(COORDINATORS),
    "enrolment.remove": Rule(COORDINATORS),
    "enrolment.allocation": Rule(COORDINATORS),
    "enrolment.override": Rule(COORDINATORS),
    "enrolment.release_quotas": Rule(COORDINATORS),
    "records.results": Rule(COORDINATORS),
    "records.trainers": Rule(COORDINATORS),
    "records.remove_trainer": Rule(COORDINATORS),
    # --- Administrators: the audit log and people's roles
    "admin.audit_log": Rule(ADMINS),
    "admin.user_roles": Rule(ADMINS),
}

# Served by Flask itself; public files.
UNGUARDED = frozenset({"static"})


# --- The central decision -------------------------------------------------------------


class Decision(Enum):
    ALLOW = "allow"
    LOG_IN = "log in first"
    FORBIDDEN = "forbidden"
    NO_RULE = "no rule"


def authorize(endpoint: str, user) -> Decision:
    """The role-level decision for ``user`` (``current_user``, possibly anonymous)
    calling ``endpoint``; ownership is the view's to check."""
    rule = RULES.get(endpoint)
    if rule is None:
        return Decision.NO_RULE
    return decide(rule, user)


def decide(rule: Rule, user) -> Decision:
    if rule.who is PUBLIC:
        return Decision.ALLOW
    if not user.is_authenticated:
        return Decision.LOG_IN
    if rule.who is LOGGED_IN or user.has_role(*rule.who):
        return Decision.ALLOW
    return Decision.FORBIDDEN


def enforce_policy():
    """``before_request``: apply ``authorize`` to this request."""
    endpoint = request.endpoint
    # No endpoint: the address matched no route, and Flask answers 404 or 405 next.
    if endpoint is None or endpoint in UNGUARDED:
        return None
    if request.method == "OPTIONS" and request.url_rule.provide_automatic_options:
        return None  # answered by Flask with the allowed methods; no view runs
    decision = authorize(endpoint, current_user)
    if decision is Decision.NO_RULE:
        current_app.logger.error(
            "No access rule for endpoint %s: refused. Add one to RULES in %s.",
            endpoint,
            __name__,
        )
    return respond(decision)


def respond(decision: Decision):
    """Nothing when the request may go on; else the login page (a response to
    return) or a 403 (raised)."""
    if decision is Decision.ALLOW:
        return None
    if decision is Decision.LOG_IN:
        return _ask_to_log_in()
    abort(403)


def _ask_to_log_in():
    from catalog.api.errors import is_api_request

    if is_api_request():
        abort(401)
    if request.path.endswith(".ics"):
        abort(404)  # a calendar app cannot log in: as if nothing were there
    return login_manager.unauthorized()


def init_policy(app: Flask) -> None:
    """Check every request against ``RULES``. Register after the blueprints, so the
    endpoints without a rule can be reported at start-up."""
    app.before_request(enforce_policy)
    missing = endpoints_without_rules(app)
    if missing:
        app.logger.error("No access rule for: %s (refused).", ", ".join(missing))


def endpoints_without_rules(app: Flask) -> list[str]:
    return sorted(
        endpoint
        for endpoint in app.view_functions
        if endpoint not in RULES and endpoint not in UNGUARDED
    )


# --- Ownership helpers: the checks views make on the objects they load ----------------


def is_staff(user) -> bool:
    """Coordinators and administrators, who manage the catalogue and see drafts."""
    return user.is_authenticated and user.has_role(Role.COORDINATOR)


def sees_every_country(user) -> bool:
    """Coordinators and administrators read the figures and people of every country."""
    return is_staff(user)


def sees_small_groups(user) -> bool:
    """Administrators see report figures of groups too small to publish; everyone
    else sees them withheld."""
    return user.is_authenticated and Role.ADMIN in user.roles


def acts_for_every_country(user) -> bool:
    """Administrators act as focal point for every country."""
    return user.is_authenticated and Role.ADMIN in user.roles


def acts_for_country(user, country_code: str | None) -> bool:
    """Whether ``user`` acts as national focal point for ``country_code``: the focal
    point whose profile names that country, or an administrator."""
    if not user.is_authenticated or not user.has_role(Role.FOCAL_POINT):
        return False
    if acts_for_every_country(user):
        return True
    return bool(country_code) and user.country_code == country_code


def holds(user, enrolment) -> bool:
    """Whether the enrolment is ``user``'s own."""
    return user.is_authenticated and enrolment.user_id == user.id


def can_see_enrolment(user, enrolment) -> bool:
    """The person enrolled, the focal point of the enrolment's country and the
    coordinators; to anyone else an enrolment does not exist."""
    return (
        holds(user, enrolment) or is_staff(user) or acts_for_country(user, enrolment.country_code)
    )


def can_see_certificate(user, certificate) -> bool:
    """The holder and the coordinators (anyone may check a code at /verify)."""
    return holds(user, certificate.enrolment) or is_staff(user)


def teaches(user, offering) -> bool:
    """Whether ``user`` holds the instructor role and is one of ``offering``'s instructors."""
    return (
        user.is_authenticated
        and user.has_role(Role.INSTRUCTOR)
        and any(instructor.id == user.id for instructor in offering.instructors)
    )


def manages_offering(user, offering) -> bool:
    """Schedules its sessions, marks attendance, reads its feedback: coordinators
    (and administrators) for every offering, instructors for those they teach."""
    return is_staff(user) or teaches(user, offering)
