"""Every page type in headless Chromium: axe-core finds no serious or critical WCAG 2.1
AA violation, in English and in French, logged out and as each role; every page is
light and asks nothing of any host but the site's own.

axe-core comes from npm (``tests/browser/js``) and is evaluated in each page after it
has loaded (the site's Content-Security-Policy refuses inline scripts), so it is
neither counted in the page's weight nor seen as a request. The suite's own structure
checks (``tests/html.py``) run on each page as the browser shows it too.
"""

from __future__ import annotations

import pytest

from tests.browser.pages import BY_ROLE, EMAILS, ROLES
from tests.browser.support import (
    ACCOUNTS,
    HOST,
    REPORTS,
    axe_missing_reason,
    axe_violations,
    describe,
    log_in,
    serious,
    switch_language,
    visit,
)
from tests.html import assert_accessible_layout

LANGUAGES = {"en": "English", "fr": "Français"}
PAGE_BUDGET = 60 * 1024  # bytes of HTML, CSS and JavaScript, uncompressed


class Shown:
    """The page in the browser, read by tests/html.py as it reads a test response."""

    def __init__(self, html: str):
        self.html = html

    def get_data(self, as_text: bool = False) -> str:
        return self.html


def role_id(role):
    return role or "visitor"


def open_as(new_page, site, role, language: str):
    """A page logged in as ``role`` (None: a visitor), showing ``language``, chosen as
    a person chooses it: with the header's language buttons (saved to the profile)."""
    page = new_page()
    if role is not None:
        log_in(page, site, EMAILS[role], language=LANGUAGES[language])
    else:
        page.goto(site.url("/"))
        switch_language(page, LANGUAGES[language])
    assert page.locator("html").get_attribute("lang") == language
    return page


@pytest.mark.skipif(axe_missing_reason() is not None, reason=axe_missing_reason() or "")
@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("role", ROLES, ids=role_id)
def test_no_serious_accessibility_violations(new_page, site, role, language):
    page = open_as(new_page, site, role, language)
    problems, checked, notes = [], [], []
    for page_type in BY_ROLE[role]:
        path = page_type.path_for(site)
        shown = visit(page, site, path)
        if page_type.then:
            page_type.then(page, site)
        expected = 404 if page_type.name == "404" else 200
        assert shown.status == expected, f"{path} answered {shown.status}"
        assert page.locator("html").get_attribute("lang") == language, path
        try:  # the suite's own checks of the page's structure, on the page as shown
            assert_accessible_layout(Shown(page.content()))
        except AssertionError as error:
            problems.append(f"{page_type.name} ({path}): {error}")
        everything = axe_violations(page)
        if everything:
            notes.append(describe(f"{role_id(role)} {language} {page_type.name}", everything))
        found = serious(everything)
        if found:
            problems.append(describe(f"{page_type.name} ({path})", found))
        checked.append(page_type.name)
    # Minor and moderate findings too, for whoever polishes the pages next.
    REPORTS.mkdir(parents=True, exist_ok=True)
    findings = REPORTS / f"axe-findings-{role_id(role)}-{language}.txt"
    findings.write_text("".join(f"{note}\n" for note in notes), encoding="utf-8")
    assert not problems, "\n".join(problems)
    assert len(checked) == len(BY_ROLE[role])


@pytest.mark.parametrize("role", ROLES, ids=role_id)
def test_pages_are_light_and_ask_only_the_site(new_page, site, role):
    """HTML, CSS and JavaScript under 60 KB per page, every request to loopback, and no
    web fonts. The weights are written to build/browser/page-weights-<role>.txt."""
    page = open_as(new_page, site, role, "en")
    rows, problems = [], []
    for page_type in BY_ROLE[role]:
        shown = visit(page, site, page_type.path_for(site))
        foreign = shown.foreign(HOST)
        fonts = [f.url for f in shown.fetched if f.kind == "font"]
        if foreign:
            problems.append(f"{page_type.name}: requests beyond {HOST}: {foreign}")
        if fonts:
            problems.append(f"{page_type.name}: web fonts {fonts}")
        if shown.weight >= PAGE_BUDGET:
            problems.append(f"{page_type.name}: {shown.weight} bytes >= {PAGE_BUDGET}")
        kinds = sorted({f.kind for f in shown.fetched})
        rows.append(
            f"{role_id(role):<12} {page_type.name:<34} {shown.weight / 1024:6.1f} KB"
            f"  {len(shown.fetched)} requests ({', '.join(kinds)})"
        )
    REPORTS.mkdir(parents=True, exist_ok=True)
    weights = REPORTS / f"page-weights-{role_id(role)}.txt"
    weights.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert not problems, "\n".join(problems)


def test_focus_is_visible_on_every_control_reached_by_tab(new_page, site):
    """Tabbing through whole pages (header, filters, forms, tables of links), the
    focused element always shows an outline (WCAG 2.4.7)."""
    page = new_page()
    log_in(page, site, ACCOUNTS["coordinator"])
    paths = [
        "/",
        "/catalogue",
        f"/offerings/{site.ids['offering']}",
        f"/manage/offerings/{site.ids['offering']}/sessions/series",
    ]
    missing, reached = [], 0
    for path in paths:
        page.goto(site.url(path))
        for _ in range(80):
            page.keyboard.press("Tab")
            state = page.evaluate(
                """() => {
                    const el = document.activeElement;
                    if (!el || el === document.body) return null;
                    const style = getComputedStyle(el);
                    return {tag: el.tagName, text: (el.textContent || el.name || "").trim(),
                            outline: style.outlineStyle, width: style.outlineWidth};
                }"""
            )
            if state is None:  # back to the start: the whole page has been walked
                break
            reached += 1
            if state["outline"] == "none" or state["width"] in {"0px", ""}:
                missing.append(f"{path}: {state}")
    assert reached > 60
    assert not missing, "\n".join(missing)
