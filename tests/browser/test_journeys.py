"""The main journeys in a real browser, by visible labels and roles, as people walk them:
a trainee registers, finds a remote medical course with the catalogue's filters, enrols
in a full one and is waitlisted, withdraws, and applies for another; the focal point of
their country nominates them; a coordinator selects them; the course's instructor
publishes a weekly series and cancels one session; the trainee copies the address of
their calendar feed, which lists the series. Once with JavaScript, once without.

Screenshots of the key pages go to build/screenshots/ (CI keeps them as artefacts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.support import ACCOUNTS, log_in, screenshot

TRAINEE_PASSWORD = "a long walk to the training centre"
FOCAL_POINT = ACCOUNTS["focal_point"]  # Kenya's
COORDINATOR = ACCOUNTS["coordinator"]
INSTRUCTOR = ACCOUNTS["instructor"]  # teaches the telemedicine course


@dataclass(frozen=True)
class Run:
    """What differs between the run with JavaScript and the one without."""

    javascript: bool
    name: str
    email: str
    weekday: str  # the series' day, so the two runs' series do not clash
    shots: str  # screenshot name prefix

    @property
    def label(self) -> str:
        return "js" if self.javascript else "no-js"


RUNS = [
    Run(True, "Amani Njeri", "amani.njeri@example.org", "Friday", "js"),
    Run(False, "Otieno Barasa", "otieno.barasa@example.org", "Monday", "no-js"),
]


def follow(locator) -> None:
    """Click a link or a form's button and wait until the next page has fully loaded
    (a click returns once the new page starts arriving)."""
    locator.click()
    locator.page.wait_for_load_state()


def flash_text(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def option_starting(select, text: str) -> str:
    """The label of the option that starts with ``text`` (facet options end in counts)."""
    labels = [label.strip() for label in select.locator("option").all_inner_texts()]
    return next(label for label in labels if label.startswith(text))


@pytest.mark.parametrize("run", RUNS, ids=lambda run: run.label)
def test_the_main_journeys(new_page, site, run):
    trainee = new_page(javascript=run.javascript, timezone="Africa/Nairobi")
    if run.javascript:
        trainee.context.grant_permissions(["clipboard-read", "clipboard-write"])

    # A trainee registers.
    trainee.goto(site.url("/"))
    follow(trainee.get_by_role("navigation", name="Main").get_by_role("link", name="Register"))
    trainee.get_by_label("Full name").fill(run.name)
    trainee.get_by_label("E-mail address").fill(run.email)
    trainee.get_by_label("Password", exact=True).fill(TRAINEE_PASSWORD)
    trainee.get_by_label("Repeat the password").fill(TRAINEE_PASSWORD)
    trainee.get_by_label("Country you serve").select_option(label="Kenya")
    zone = trainee.get_by_label("Your time zone")
    if run.javascript:  # timezone.js told the server the browser's zone
        assert zone.input_value() == "Africa/Nairobi"
    else:
        assert zone.input_value() == "UTC"
        zone.select_option("Africa/Nairobi")
    follow(trainee.get_by_role("button", name="Create account"))
    assert trainee.get_by_role("button", name="Log out").is_visible()

    # ...finds a remote medical course with the filters...
    follow(trainee.get_by_role("navigation", name="Main").get_by_role("link", name="Catalogue"))
    discipline = trainee.get_by_label("Discipline")
    discipline.select_option(label=option_starting(discipline, "Medical"))
    delivery = trainee.get_by_label("Delivery")
    delivery.select_option(label=option_starting(delivery, "Remote"))
    follow(trainee.get_by_role("button", name="Apply filters"))
    results = trainee.locator(".offering-card")
    assert results.count() >= 2
    for card in results.all():
        assert "Medical" in card.inner_text() and "Remote" in card.inner_text()
    screenshot(trainee, f"{run.shots}-1-catalogue-filtered")

    # ...enrols in the full one and is put on the waiting list...
    full = results.filter(has_text="Full")
    follow(full.get_by_role("link"))
    assert trainee.url.endswith(f"/offerings/{site.ids['full_offering']}")
    follow(trainee.get_by_role("button", name="Enrol"))
    assert "You are number 1 on the waiting list" in flash_text(trainee)
    assert "Waiting list, position 1" in trainee.get_by_role("status").last.inner_text()
    screenshot(trainee, f"{run.shots}-2-offering-waitlisted")

    # ...and withdraws.
    follow(trainee.get_by_role("link", name="Withdraw…"))
    follow(trainee.get_by_role("button", name="Withdraw"))
    assert "You have withdrawn from TPP-MED-TELE-R" in flash_text(trainee)

    # The trainee applies for the nominated run of the course instead.
    trainee.goto(site.url(f"/offerings/{site.ids['remote_offering']}"))
    follow(trainee.get_by_role("button", name="Enrol"))
    assert "Your application is sent" in flash_text(trainee)

    # The focal point of Kenya nominates them.
    focal = new_page(javascript=run.javascript)
    log_in(focal, site, FOCAL_POINT)
    follow(focal.get_by_role("navigation", name="Main").get_by_role("link", name="Nominations"))
    screenshot(focal, f"{run.shots}-3-nominations")
    follow(focal.get_by_role("button", name=f"Nominate {run.name}, TPP-MED-TELE-R"))
    assert f"{run.name} is nominated." in flash_text(focal)

    # A coordinator selects them.
    coordinator = new_page(javascript=run.javascript)
    log_in(coordinator, site, COORDINATOR)
    coordinator.goto(site.url(f"/offerings/{site.ids['remote_offering']}"))
    follow(coordinator.get_by_role("link", name="Enrolments and selection"))
    follow(coordinator.get_by_role("button", name=f"Select {run.name}"))
    assert f"{run.name} is selected" in flash_text(coordinator)
    screenshot(coordinator, f"{run.shots}-4-selection")

    # The instructor publishes a weekly series and cancels one of its sessions.
    instructor = new_page(javascript=run.javascript)
    log_in(instructor, site, INSTRUCTOR)
    instructor.goto(site.url(f"/offerings/{site.ids['remote_offering']}"))
    follow(instructor.get_by_role("link", name="Timetable").first)
    follow(instructor.get_by_role("link", name="Add a weekly or daily series"))
    title = f"Case review clinic ({run.label})"
    starts_on = datetime.now(UTC).date() + timedelta(days=31)
    instructor.get_by_label("Title").fill(title)
    instructor.get_by_label("First day").fill(starts_on.isoformat())
    instructor.get_by_label("Last day").fill((starts_on + timedelta(days=13)).isoformat())
    instructor.get_by_label("Weekly, on the days ticked below").check()
    instructor.get_by_label(run.weekday).check()
    instructor.get_by_label("Starts at").fill("09:00")
    instructor.get_by_label("Ends at").fill("10:30")
    follow(instructor.get_by_role("button", name="Create sessions"))
    assert instructor.get_by_role("heading", level=1).inner_text().startswith("Timetable")
    rows = instructor.get_by_role("row").filter(has_text=title)
    assert rows.count() == 2, flash_text(instructor)
    follow(rows.first.get_by_role("button", name=re.compile(r"^Cancel")))
    cancelled = instructor.get_by_role("row").filter(has_text=title).filter(has_text="Cancelled")
    assert cancelled.count() == 1, flash_text(instructor)
    screenshot(instructor, f"{run.shots}-5-timetable")

    # The trainee, now confirmed, copies the address of their calendar feed.
    trainee.goto(site.url("/my/training"))
    assert "TPP-MED-TELE-R" in trainee.locator("main").inner_text()
    follow(trainee.get_by_role("navigation", name="Main").get_by_role("link", name="Profile"))
    follow(trainee.get_by_role("button", name="Create a calendar address"))
    address_field = trainee.get_by_label("Address to copy")
    address = address_field.input_value()
    assert re.fullmatch(rf"{re.escape(site.base_url)}/feeds/me/[\w-]+\.ics", address)
    if run.javascript:
        trainee.get_by_role("button", name="Copy address").click()
        trainee.get_by_role("status").filter(has_text="Copied.").wait_for()
        assert trainee.evaluate("navigator.clipboard.readText()") == address
    else:  # no button without JavaScript: the address is there to select and copy
        assert trainee.get_by_role("button", name="Copy address").count() == 0
        assert address_field.get_attribute("readonly") is not None
    screenshot(trainee, f"{run.shots}-6-profile-calendar")

    feed = trainee.context.request.get(address)
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    summaries = re.findall(r"^SUMMARY:(.*)\r$", feed.text(), re.M)
    assert f"TPP-MED-TELE-R: {title}" in summaries
    assert f"Cancelled: TPP-MED-TELE-R: {title}" in summaries
