"""Every page type, by who can see it: what the accessibility and page-weight checks visit.

A page is a path (ids filled from ``Site.ids``) or, for a page that only exists after
an action, such as a form sent back with its errors, a function that gets there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.browser.support import ACCOUNTS, Site


@dataclass(frozen=True)
class PageType:
    name: str
    path: str
    # For pages reached by doing something: called with (page, site) after loading path.
    then: Callable | None = None

    def path_for(self, site: Site) -> str:
        return self.path.format(**site.ids)


def submit_empty_registration(page, site) -> None:
    page.locator("form.stack [type=submit]").click()
    page.wait_for_load_state()


def submit_empty_course(page, site) -> None:
    page.locator("main form [type=submit]").last.click()
    page.wait_for_load_state()


VISITOR = [
    PageType("home", "/"),
    PageType("catalogue, filtered", "/catalogue?discipline=medical&mode=remote"),
    PageType("catalogue, empty", "/catalogue?q=no-such-course-anywhere"),
    PageType("course", "/courses/{course}"),
    PageType("offering with sessions", "/offerings/{offering}"),
    PageType("login", "/account/login"),
    PageType("forgotten password", "/account/password/forgot"),
    PageType("register with errors", "/account/register", submit_empty_registration),
    PageType("certificate check", "/verify/{certificate_code}"),
    PageType("404", "/no-such-page"),
]

TRAINEE = [
    PageType("home", "/"),
    PageType("offering with the Enrol panel", "/offerings/{enrol_offering}"),
    PageType("offering with sessions", "/offerings/{remote_offering}"),
    PageType("profile", "/account/profile"),
    PageType("my training", "/my/training"),
    PageType("enrolment history", "/enrolments/{enrolment}"),
    PageType("withdraw", "/enrolments/{enrolment}/withdraw"),
    PageType("my certificates", "/my/certificates"),
    PageType("certificate", "/certificates/{certificate}"),
    PageType("feedback form", "/offerings/{past_offering}/feedback"),
    PageType("404", "/no-such-page"),
]

INSTRUCTOR = [
    PageType("my training", "/my/training"),
    PageType("offering", "/offerings/{remote_offering}"),
    PageType("sessions timetable", "/manage/offerings/{remote_offering}/sessions"),
    PageType("new session", "/manage/offerings/{remote_offering}/sessions/new"),
    PageType("weekly series", "/manage/offerings/{remote_offering}/sessions/series"),
    PageType("edit session", "/manage/offerings/{offering}/sessions/{session}/edit"),
    PageType("attendance", "/manage/offerings/{past_offering}/sessions/{past_session}/attendance"),
    PageType("feedback summary", "/manage/offerings/{past_offering}/feedback"),
    PageType("profile", "/account/profile"),
]

FOCAL_POINT = [
    PageType("nominations", "/nominations"),
    PageType("nominations for an offering", "/nominations/{offering}"),
    PageType("offering", "/offerings/{offering}"),
    PageType("training capacity", "/training-capacity"),
    PageType("reports dashboard", "/reports"),
    PageType("my training", "/my/training"),
    PageType("profile", "/account/profile"),
]

COORDINATOR = [
    PageType("coordinator enrolments", "/enrolments"),
    PageType("enrolments of an offering", "/offerings/{offering}/enrolments"),
    PageType("offering", "/offerings/{offering}"),
    PageType("manage list", "/manage"),
    PageType("new course with errors", "/manage/courses/new", submit_empty_course),
    PageType("course form", "/manage/courses/{course_id}/edit"),
    PageType("offering form", "/manage/offerings/{offering}/edit"),
    PageType("new offering", "/manage/offerings/new"),
    PageType("instructors and partners", "/manage/offerings/{offering}/people"),
    PageType("new organisation", "/manage/organisations/new"),
    PageType("cancel offering", "/manage/offerings/{offering}/cancel"),
    PageType("import", "/manage/import"),
    PageType("sessions timetable", "/manage/offerings/{offering}/sessions"),
    PageType("weekly series", "/manage/offerings/{offering}/sessions/series"),
    PageType("edit session", "/manage/offerings/{offering}/sessions/{session}/edit"),
    PageType("attendance", "/manage/offerings/{past_offering}/sessions/{past_session}/attendance"),
    PageType("results", "/manage/offerings/{past_offering}/results"),
    PageType("trainers", "/manage/offerings/{past_offering}/trainers"),
    PageType("feedback summary", "/manage/offerings/{past_offering}/feedback"),
    PageType("certificate", "/certificates/{certificate}"),
    PageType("training capacity", "/training-capacity"),
    PageType("reports dashboard", "/reports"),
]

ADMIN = [
    PageType("audit log", "/admin/audit"),
    PageType("a person's roles", "/admin/users/{trainee_user}/roles"),
    PageType("reports dashboard", "/reports"),
    PageType("manage list", "/manage"),
    PageType("coordinator enrolments", "/enrolments"),
    PageType("profile", "/account/profile"),
]

BY_ROLE: dict[str | None, list[PageType]] = {
    None: VISITOR,
    "trainee": TRAINEE,
    "instructor": INSTRUCTOR,
    "focal_point": FOCAL_POINT,
    "coordinator": COORDINATOR,
    "admin": ADMIN,
}
ROLES = list(BY_ROLE)
EMAILS = {None: None, **ACCOUNTS}
