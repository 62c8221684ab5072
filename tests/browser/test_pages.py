"""Every page type in headless Chromium: axe-core finds no serious or critical WCAG 2.1
AA violation, in English and in French, logged out and as each role; every page is
light and asks nothing of any host but the site's own.

axe-core comes from npm (``tests/browser/js``) and is injected into each page after
it has loaded, so it is neither counted in the page's weight nor seen as a request.
"""

from __future__ import annotations

import pytest

from tests.browser.pages import BY_ROLE, EMAILS, ROLES
from tests.browser.support import (
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

LANGUAGES = {"en": "English", "fr": "Français"}
PAGE_BUDGET = 60 * 1024  # bytes of HTML, CSS and JavaScript, uncompressed


def role_id(role):
    return role or "visitor"


def open_as(new_page, site, role, language: str, javascript: bool = True):
    """A page logged in as ``role`` (None: a visitor), showing ``language``, chosen as
    a person chooses it: with the header's language buttons (saved to the profile)."""
    page = new_page(javascript=javascript)
    if role is not None:
        log_in(page, site, EMAILS[role])
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
    problems, checked = [], []
    for page_type in BY_ROLE[role]:
        path = page_type.path_for(site)
        shown = visit(page, site, path)
        if page_type.then:
            page_type.then(page, site)
        expected = 404 if page_type.name == "404" else 200
        assert shown.status == expected, f"{path} answered {shown.status}"
        assert page.locator("html").get_attribute("lang") == language, path
        found = serious(axe_violations(page))
        if found:
            problems.append(describe(f"{page_type.name} ({path})", found))
        checked.append(page_type.name)
    assert not problems, "\n".join(problems)
    assert len(checked) == len(BY_ROLE[role])


@pytest.mark.parametrize("role", ROLES, ids=role_id)
def test_pages_are_light_and_ask_only_the_site(new_page, site, role, request):
    """HTML, CSS and JavaScript under 60 KB per page, every request to loopback, and no
    web fonts. The weights are written to build/browser/page-weights.txt."""
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
    with open(REPORTS / "page-weights.txt", "a", encoding="utf-8") as report:
        report.write("\n".join(rows) + "\n")
    assert not problems, "\n".join(problems)


def test_focus_is_visible_on_every_control_reached_by_tab(new_page, site):
    """Tabbing through the home page and the catalogue filters, the focused element
    always shows an outline (WCAG 2.4.7)."""
    page = new_page()
    missing = []
    for path in ("/", "/catalogue"):
        page.goto(site.url(path))
        for _ in range(25):
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
            if state is None:
                continue
            if state["outline"] == "none" or state["width"] in {"0px", ""}:
                missing.append(f"{path}: {state}")
    assert not missing, "\n".join(missing)
