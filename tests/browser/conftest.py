"""Fixtures for the browser tests: one Chromium and one served site for the run.

Every test that needs the browser skips, saying why, when Debian's Chromium
(``/usr/bin/chromium``) or the playwright package is missing; CI installs both.
"""

from __future__ import annotations

import pytest

from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    chromium_missing_reason,
    running_site,
    screenshot,
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so fixtures can tell that it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def app_context():
    """These tests bring their own database and server; the shared test database
    (and its per-test cleaning) is not used."""
    yield


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, shared by every browser test (a new context each)."""
    reason = chromium_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright starts the browser on a new, empty profile directory of its own.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, request):
    """Pages in new browser contexts (no cookies, no storage), closed after the test.

    ``new_page(javascript=False, timezone="Asia/Tokyo")``: a visitor's browser.
    """
    contexts = []

    def make(javascript: bool = True, timezone: str = "UTC", locale: str = "en-GB"):
        context = chromium.new_context(
            java_script_enabled=javascript,
            timezone_id=timezone,
            locale=locale,
            viewport={"width": 1024, "height": 768},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "report_call", None)
    for number, context in enumerate(contexts):
        if failed is not None and failed.failed:
            for page in context.pages:
                screenshot(page, f"failed-{request.node.name}-{number}")
        context.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The demo catalogue served by gunicorn on loopback: one server for every browser
    test (starting one with its fresh database takes seconds). Tests add people and
    enrolments of their own and never count on others' having run."""
    with running_site(tmp_path_factory.mktemp("browser-site")) as running:
        yield running
