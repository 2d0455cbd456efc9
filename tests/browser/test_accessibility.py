"""axe-core on every kind of page, in Chromium with JavaScript, plus what axe cannot see:
where keyboard focus goes when a page has errors.

Page kinds: information pages, the error page, "Do I need an eTA?" (empty, with errors,
the answer), the start page, every question page (as first shown and with errors,
including mismatched confirmations), "save and come back later", check your answers, the
pay page, the payment page of the sandbox gateway, the confirmation, the status look-up
(empty, with errors, the result) and the waiting room. axe must find no violation of
WCAG 2.0 and 2.1, levels A and AA.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from northgate.eta.questions import QUESTION_SET
from northgate.ui.pages import PAGES
from tests.browser.test_journey_in_chromium import CARD, _fill_page, browser
from tests.support.journey import ADULT_FORM
from tests.support.live import LiveServer, start_server

__all__ = ["browser"]  # the Chromium fixture, shared with the journey test

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Mismatched confirmations: the one error that only a second input can show.
MISMATCH = {
    "email": {"email": "zoe@example.org", "email_confirm": "zoe@example.com"},
    "passport-number": {"passport_number": "GB1234567", "passport_number_confirm": "GB1234568"},
}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core not installed: run `npm ci` (make test does this)", pytrace=False)
    return AXE.read_text()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser with JavaScript, under the site's own Content-Security-Policy: the
    enhancements checked here (the error summary's focus) must not be blocked by it.
    axe itself is run through the DevTools protocol, which the policy does not govern."""
    context = browser.new_context(java_script_enabled=True, locale="en-CA")
    blocked: list[str] = []
    context.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield context
    finally:
        context.close()
    assert blocked == [], blocked


def audit(page: Page, axe_source: str, what: str) -> None:
    """No axe violation, no duplicate id, and every invalid input marked invalid."""
    page.evaluate(axe_source)
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert problems == [], f"{what} ({page.url}):\n" + "\n".join(problems)
    ids: list[str] = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == [], f"{what}: duplicate ids {duplicates}"
    unmarked: list[str] = page.evaluate(
        """[...document.querySelectorAll('.ng-error-message')].flatMap(message => {
            const owners = [...document.querySelectorAll('[aria-describedby]')].filter(
                e => message.id
                    && e.getAttribute('aria-describedby').split(' ').includes(message.id));
            return owners.length ? [] : [message.id || message.textContent.trim()];
        })"""
    )
    assert unmarked == [], f"{what}: error messages no control refers to: {unmarked}"
    invalid: list[str] = page.evaluate(
        """[...document.querySelectorAll('.ng-error-summary a')].flatMap(link => {
            const target = document.getElementById(link.hash.slice(1));
            return target && target.getAttribute('aria-invalid') === 'true' ? [] : [link.hash];
        })"""
    )
    assert invalid == [], f"{what}: fields in error without aria-invalid: {invalid}"
    loose: list[str] = page.evaluate(
        """[...document.querySelectorAll('form .ng-hint')].flatMap(hint => {
            const owners = [...document.querySelectorAll('[aria-describedby]')].filter(
                e => hint.id && e.getAttribute('aria-describedby').split(' ').includes(hint.id));
            return owners.length ? [] : [hint.textContent.trim().slice(0, 60)];
        })"""
    )
    assert loose == [], f"{what}: hints no control refers to: {loose}"
    toggles: list[list[str | None]] = page.evaluate(
        """[...document.querySelectorAll('a')].filter(
            a => ['Français', 'English'].includes(a.textContent.trim())
        ).map(a => [a.textContent.trim(), a.getAttribute('lang'), a.getAttribute('hreflang')])"""
    )
    for text, lang, hreflang in toggles:
        expected = "fr" if text == "Français" else "en"
        assert lang == hreflang == expected, (
            f"{what}: {text} link has lang={lang} hreflang={hreflang}"
        )


def check_error_focus(page: Page, what: str) -> None:
    """The error summary has focus on arrival; each of its links moves focus to its field."""
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused == "error-summary", f"{what}: focus is on {focused!r}, not the error summary"
    links = page.locator(".ng-error-summary a")
    for index in range(links.count()):
        link = links.nth(index)
        target = (link.get_attribute("href") or "").lstrip("#")
        link.focus()
        page.keyboard.press("Enter")
        active = page.evaluate("document.activeElement && document.activeElement.id")
        assert active == target, f"{what}: link to #{target} left focus on {active!r}"
        page.locator("#error-summary").focus()


def _submit_empty(page: Page) -> None:
    page.locator("button[value=continue]").click()


def test_information_and_error_pages(
    context: BrowserContext, live_server: LiveServer, axe_source: str
) -> None:
    page = context.new_page()
    for info in PAGES:
        for lang in ("en", "fr"):
            page.goto(live_server.url + info.path(lang))
            audit(page, axe_source, f"information page {info.key} ({lang})")
            toggle = page.locator(".ng-lang__link")
            other = "fr" if lang == "en" else "en"
            assert toggle.get_attribute("lang") == other
            assert toggle.get_attribute("hreflang") == other
    for path in ("/en/no-such-page", "/fr/page-inexistante"):
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 404
        audit(page, axe_source, f"error page {path}")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_triage_and_status(
    context: BrowserContext, live_server: LiveServer, axe_source: str, lang: str
) -> None:
    page = context.new_page()
    triage = "/en/eta/check" if lang == "en" else "/fr/ave/verifier"
    page.goto(live_server.url + triage)
    audit(page, axe_source, "triage")
    page.locator("main form button[type=submit]").click()
    if page.locator(".ng-error-summary").count():
        audit(page, axe_source, "triage with errors")
        check_error_focus(page, "triage with errors")
    page.goto(live_server.url + triage)
    page.locator("#passport_country").select_option("GB")
    page.locator("input[name=travel_mode][value=air]").check()
    for name in (
        "canadian_status",
        "us_lawful_permanent_resident",
        "has_valid_canadian_visa",
        "had_canadian_visa_last_10_years",
        "has_valid_us_nonimmigrant_visa",
    ):
        choice = page.locator(f"input[name={name}]")
        if choice.count():
            choice.last.check()
    page.locator("main form button[type=submit]").click()
    audit(page, axe_source, "triage answer")

    status = "/en/eta/status" if lang == "en" else "/fr/ave/etat"
    page.goto(live_server.url + status)
    audit(page, axe_source, "status look-up")
    page.locator("main form button[type=submit]").click()
    audit(page, axe_source, "status look-up with errors")
    check_error_focus(page, "status look-up with errors")
    page.locator("#date_of_birth-day").fill("31")
    page.locator("#date_of_birth-month").fill("2")
    page.locator("main form button[type=submit]").click()
    audit(page, axe_source, "status look-up with a date error")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_question_page_and_the_journey_to_confirmation(
    context: BrowserContext, live_server: LiveServer, axe_source: str, lang: str
) -> None:
    page = context.new_page()
    form = {**ADULT_FORM, "correspondence_language": lang, "travel_date_known": "yes"}
    travel = datetime.now(UTC).date() + timedelta(days=30)
    form |= {
        "travel_date-day": str(travel.day),
        "travel_date-month": str(travel.month),
        "travel_date-year": str(travel.year),
    }
    page.goto(live_server.url + ("/en/eta/apply" if lang == "en" else "/fr/ave/demande"))
    audit(page, axe_source, "start page")
    page.locator("main form button[type=submit]").first.click()
    seen: set[str] = set()
    saved_once = False
    for _ in range(60):
        if "check-your-answers" in page.url or "verifier-vos-reponses" in page.url:
            break
        slug = page.url.rstrip("/").rsplit("/", 1)[-1]
        step = QUESTION_SET.step_by_slug(slug, lang)  # type: ignore[arg-type]
        assert step is not None, page.url
        seen.add(step.id)
        audit(page, axe_source, f"question {step.id}")
        _submit_empty(page)
        if page.locator(".ng-error-summary").count():
            audit(page, axe_source, f"question {step.id} with errors")
            check_error_focus(page, f"question {step.id} with errors")
        if step.id in MISMATCH:
            _fill_page(page, {**form, **MISMATCH[step.id]})
            _submit_empty(page)
            audit(page, axe_source, f"question {step.id} with a mismatch")
            check_error_focus(page, f"question {step.id} with a mismatch")
        _fill_page(page, form)
        if not saved_once:
            question = page.url
            page.locator("button[value=save]").click()
            audit(page, axe_source, "save and come back later")
            page.goto(question)
            _fill_page(page, form)
            saved_once = True
        _submit_empty(page)
        assert page.locator(".ng-error-summary").count() == 0, page.locator("main").inner_text()
    else:
        raise AssertionError("never reached check your answers")
    kinds = {f.type for s in QUESTION_SET.steps if s.id in seen for f in s.fields}
    assert kinds >= {"radio", "text", "date", "country", "email", "passport_number"}
    assert kinds >= {"yes_no_details", "year", "checkbox"}

    audit(page, axe_source, "check your answers")
    page.locator("main form[method=post] button[type=submit]").click()
    audit(page, axe_source, "pay page")
    page.locator("main form[method=post] button[type=submit]").click()
    assert "/sandbox-pay/" in page.url
    audit(page, axe_source, "payment gateway")
    for name, value in CARD.items():
        page.locator(f"input[name={name}]").fill(value)
    page.locator("button[type=submit]").click()
    assert page.url.endswith("/confirmation"), page.url
    audit(page, axe_source, "confirmation")


def test_waiting_room(browser: Browser, tmp_path: Path, axe_source: str) -> None:
    """Both states: before the line opens, and in line behind someone holding the only
    place (max_active 1)."""
    opens = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for name, env, rows in (
        ("before opening", {"NORTHGATE_GATE_OPENS_AT": opens}, 1),
        ("in line", {"NORTHGATE_GATE_MAX_ACTIVE": "1"}, 3),  # place, wait, next check
    ):
        server = start_server(tmp_path / name.replace(" ", "-"), env)
        holder = browser.new_context()
        try:
            # A first visit's place is held only by its request; coming back holds it.
            holding = holder.new_page()
            holding.goto(server.url + "/en/eta/apply")
            holding.reload()
            for lang, path in (("en", "/en/eta/apply"), ("fr", "/fr/ave/demande")):
                context = browser.new_context(locale=f"{lang}-CA")
                page = context.new_page()
                page.goto(server.url + path)
                shown = page.locator(".ng-summary-list dt").count()
                assert shown == rows, f"{name}: {page.locator('main').inner_text()[:300]}"
                audit(page, axe_source, f"waiting room {name} ({lang})")
                context.close()
        finally:
            holder.close()
            server.stop()
