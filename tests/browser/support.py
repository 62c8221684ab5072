"""Real-browser tests: Debian's Chromium, driven by Playwright, against the catalogue
served by gunicorn on loopback with the demonstration data.

The server and its fresh database come from the seat-race tests
(``tests/concurrency/support.py``); here the app is ``tests.browser.serve:app``,
the production factory with CSRF protection on. Nothing downloads a browser:
Playwright only drives ``/usr/bin/chromium``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from catalog.demo import data as demo
from catalog.demo.services import load_demo
from catalog.extensions import db
from catalog.models import (
    AttendanceStatus,
    Certificate,
    Course,
    DeliveryMode,
    Enrolment,
    EnrolmentStatus,
    Offering,
    OfferingStatus,
    SeatAllocation,
    TrainingSession,
    User,
)
from catalog.records import services as records
from tests.concurrency.support import HOST, Server, build_app, fresh_database, running_server

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# No background traffic: this machine has no network but loopback, and a browser
# that phones home would also spoil the "only loopback requests" check.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(__file__).with_name("js") / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_DIR / "build" / "screenshots"
REPORTS = PROJECT_DIR / "build" / "browser"
PASSWORD = demo.DEMO_PASSWORD
APP_SPEC = "tests.browser.serve:app"
WORKERS = 2
THREADS = 4

# One demo account per role; the trainee has a certificate from the finished run below.
ACCOUNTS = {
    "trainee": "trainee.wanjiru@example.org",
    "instructor": "instructor.suzuki@example.org",
    "focal_point": "focal.ke@example.org",
    "coordinator": "coordinator@example.org",
    "admin": "admin@example.org",
}
PAST_COURSE = "TPP-MED-BFA"


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install chromium); .ci/run does"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e '.[test]'"
    return None


def axe_missing_reason() -> str | None:
    if not AXE_JS.exists():
        return f"{AXE_JS.relative_to(PROJECT_DIR)} is missing: run make install (needs npm)"
    return None


# --- The site --------------------------------------------------------------------------------


@dataclass
class Site:
    """The served catalogue: its address, and the ids of the demo rows the tests visit."""

    server: Server
    app: Flask
    ids: dict[str, int | str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.server.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def log(self) -> str:
        return self.server.log()


@contextlib.contextmanager
def running_site(scratch: Path) -> Iterator[Site]:
    """A fresh database with the demo catalogue, a finished run with records and a full
    first-come run; served by gunicorn until the block ends."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    with fresh_database(server_url, scratch) as url:
        app = build_app(url)
        with app.app_context():
            load_demo()
            ids = demo_ids()
            ids.update(add_finished_run())
            ids.update(add_full_first_come_run())
            db.session.remove()
        try:
            with running_server(
                APP_SPEC, url, scratch / "server.log", workers=WORKERS, threads=THREADS
            ) as server:
                yield Site(server, app, ids)
        finally:
            with app.app_context():
                db.engine.dispose()


def _offering_of(code: str) -> Offering:
    return db.session.scalars(
        select(Offering).join(Offering.course).where(Course.code == code).order_by(Offering.id)
    ).first()


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def demo_ids() -> dict[str, int | str]:
    """Demo rows the page checks visit, by name."""
    fmac = _offering_of("TPP-MED-FMAC")
    trainee = _user(ACCOUNTS["trainee"])
    enrolment = db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == trainee.id).order_by(Enrolment.id)
    ).first()
    today = datetime.now(UTC).date()
    mine = select(Enrolment.offering_id).where(Enrolment.user_id == trainee.id)
    enrol_offering = db.session.scalars(
        select(Offering)
        .where(
            Offering.status == OfferingStatus.PUBLISHED,
            Offering.enrolment_opens_on <= today,
            Offering.enrolment_closes_on > today,
            Offering.id.not_in(mine),
        )
        .order_by(Offering.id)
    ).first()
    return {
        "course": "TPP-MED-FMAC",
        "course_id": fmac.course_id,
        "offering": fmac.id,
        "enrol_offering": enrol_offering.id,
        "session": fmac.sessions[0].id,
        "remote_offering": _offering_of("TPP-MED-TELE-R").id,
        "open_offering": _offering_of("TPP-ENG-HEE-B").id,
        "enrolment": enrolment.id,
        "trainee_user": trainee.id,
    }


def add_finished_run() -> dict[str, int | str]:
    """A run of the first-aid course that ended last week, taught by the demo instructor:
    attendance taken, results recorded, and a certificate for the demo trainee."""
    today = datetime.now(UTC).date()
    course = db.session.scalars(select(Course).where(Course.code == PAST_COURSE)).one()
    instructor = _user(ACCOUNTS["instructor"])
    coordinator = _user(ACCOUNTS["coordinator"])
    trainees = [_user(ACCOUNTS["trainee"]), _user("trainee.kwame@example.org")]
    starts_on = today - timedelta(days=12)
    offering = Offering(
        course=course,
        status=OfferingStatus.PUBLISHED,
        delivery_mode=DeliveryMode.IN_PERSON,
        venue="International Peace Support Training Centre, Karen, Nairobi",
        country_code="KE",
        timezone="Africa/Nairobi",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=4),
        enrolment_opens_on=starts_on - timedelta(days=60),
        enrolment_closes_on=starts_on - timedelta(days=14),
        capacity=20,
        seat_allocation=SeatAllocation.NOMINATION,
        instructors=[instructor],
    )
    db.session.add(offering)
    session = TrainingSession(
        title=f"{course.title}: day 1",
        starts_at=_at(starts_on, offering.timezone, time(8, 30)),
        ends_at=_at(starts_on, offering.timezone, time(12, 30)),
        timezone=offering.timezone,
        location=offering.venue,
        instructor=instructor,
        revision=0,
    )
    offering.sessions.append(session)
    enrolments = [
        Enrolment(
            user=person,
            offering=offering,
            country_code=person.country_code,
            status=EnrolmentStatus.CONFIRMED,
        )
        for person in trainees
    ]
    db.session.add_all(enrolments)
    db.session.commit()
    records.record_attendance(
        coordinator,
        session.id,
        {enrolment.id: AttendanceStatus.PRESENT for enrolment in enrolments},
    )
    records.record_results(
        coordinator,
        offering.id,
        {enrolments[0].id: records.Result.PASSED, enrolments[1].id: records.Result.FAILED},
    )
    db.session.commit()
    certificate = db.session.scalars(
        select(Certificate).where(Certificate.enrolment_id == enrolments[0].id)
    ).one()
    return {
        "past_offering": offering.id,
        "past_session": session.id,
        "certificate": certificate.id,
        "certificate_code": records.format_code(certificate.code),
    }


def add_full_first_come_run() -> dict[str, int]:
    """A second run of the remote telemedicine course, first come first served, full."""
    course = db.session.scalars(select(Course).where(Course.code == "TPP-MED-TELE-R")).one()
    today = datetime.now(UTC).date()
    starts_on = today + timedelta(days=40)
    offering = Offering(
        course=course,
        status=OfferingStatus.PUBLISHED,
        delivery_mode=DeliveryMode.REMOTE,
        venue="",
        timezone="Asia/Tokyo",
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=13),
        enrolment_opens_on=today - timedelta(days=5),
        enrolment_closes_on=starts_on - timedelta(days=14),
        capacity=2,
        seat_allocation=SeatAllocation.FIRST_COME,
        instructors=[_user(ACCOUNTS["instructor"])],
    )
    db.session.add(offering)
    for email in ("trainee.lan@example.org", "trainee.budi@example.org"):
        person = _user(email)
        db.session.add(
            Enrolment(
                user=person,
                offering=offering,
                country_code=person.country_code,
                status=EnrolmentStatus.CONFIRMED,
            )
        )
    db.session.commit()
    return {"full_offering": offering.id}


def _at(day: date, zone: str, wall: time) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# --- In the browser --------------------------------------------------------------------------


def log_in(
    page, site: Site, email: str, password: str = PASSWORD, language: str | None = "English"
) -> None:
    """Log in through the form, as a person does, then pick ``language`` with the
    header's buttons (tests share the demo accounts, and the choice is saved in the
    profile: each test says which language it reads)."""
    page.goto(site.url("/account/login"))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form.stack button[type=submit], form.stack input[type=submit]").click()
    page.wait_for_load_state()
    if "/account/login" in page.url:
        raise AssertionError(f"login of {email} failed:\n{page.content()[:2000]}")
    if language:
        switch_language(page, language)


def switch_language(page, language_name: str) -> None:
    """Press the header's language button (its name is the language's own name)."""
    page.get_by_role("button", name=language_name, exact=True).click()
    page.wait_for_load_state()


@dataclass(frozen=True)
class Fetched:
    url: str
    kind: str  # Playwright's resource type: document, stylesheet, script, image...
    status: int
    size: int  # body bytes as sent (the server does not compress)


@dataclass
class Visit:
    """One page load and every request it made."""

    path: str
    status: int
    fetched: list[Fetched]
    requested: list[str]  # every address asked for, answered or not

    @property
    def weight(self) -> int:
        """Bytes of HTML, CSS and JavaScript the page loaded."""
        return sum(f.size for f in self.fetched if f.kind in {"document", "stylesheet", "script"})

    def foreign(self, host: str) -> list[str]:
        """Addresses of requests that left ``host``."""
        return [url for url in self.requested if urlsplit(url).hostname != host]


def visit(page, site: Site, path: str) -> Visit:
    """Load ``path`` and wait until the network is quiet, recording every response."""
    responses, requested = [], []

    def record(response) -> None:
        responses.append(response)

    def note(request) -> None:
        requested.append(request.url)

    page.on("response", record)
    page.on("request", note)
    try:
        response = page.goto(site.url(path), wait_until="load")
    finally:
        page.remove_listener("response", record)
        page.remove_listener("request", note)
    fetched = []
    for item in responses:
        if item.status == 304:
            # Revalidated from the cache: the page still needs all of it.
            size = len(page.context.request.get(item.url).body())
        elif 300 <= item.status < 400:
            size = 0  # a redirect's body is never shown
        else:
            size = len(item.body())
        fetched.append(Fetched(item.url, item.request.resource_type, item.status, size))
    return Visit(path, response.status if response else 0, fetched, requested)


# Rules whose failures count at any impact: the ones WCAG 2.1 AA and a sane page
# structure rest on, which axe files as "moderate" best practice.
STRUCTURE_RULES = {
    "heading-order",
    "landmark-one-main",
    "landmark-no-duplicate-main",
    "landmark-unique",
    "page-has-heading-one",
    "region",
    "empty-heading",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@functools.cache
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the current page (injected from the npm package)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script>: the site's Content-Security-Policy rightly
        # refuses inline scripts, and this must not count as one of the page's requests.
        page.evaluate(axe_source())
    result = page.evaluate(
        """async (tags) => {
            const found = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                   resultTypes: ["violations"]});
            return found.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "),
                                          summary: n.failureSummary,
                                          html: n.html.slice(0, 200)}))
            }));
        }""",
        AXE_TAGS,
    )
    return result


def serious(violations: list[dict]) -> list[dict]:
    return [
        v
        for v in violations
        if v["impact"] in {"serious", "critical"} or v["id"] in STRUCTURE_RULES
    ]


def describe(path: str, violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{path}: [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:5]:
            summary = re.sub(r"\s+", " ", node["summary"] or "")[:300]
            lines.append(f"    {node['target']}  {node['html']!r}  {summary}")
    return "\n".join(lines)


def screenshot(page, name: str) -> Path:
    """A screenshot for CI's artefacts, under build/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
