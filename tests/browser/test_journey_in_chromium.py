"""The journey in a real browser (Debian's Chromium, driven by Playwright) against a real
server: English and French with JavaScript, and once with JavaScript disabled."""

from __future__ import annotations

import email
import email.policy
import shutil
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.journey import ADULT_FORM
from tests.support.live import LiveServer

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries to reach Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CARD = {"number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "name": "Zoe O'Brien"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium not found: apt-get install chromium (make test does this)", pytrace=False
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _fill_page(page: Page, form: dict[str, str]) -> None:
    for element in page.locator("form[method=post] input, form[method=post] select").all():
        name = element.get_attribute("name") or ""
        kind = element.get_attribute("type") or element.evaluate("e => e.tagName.toLowerCase()")
        if name not in form or kind == "hidden":
            continue
        if kind == "radio":
            if element.get_attribute("value") == form[name]:
                element.check()
        elif kind == "checkbox":
            element.check()
        elif kind == "select":
            element.select_option(form[name])
        else:
            element.fill(form[name])


def _walk_journey(page: Page, base: str, lang: str, form: dict[str, str]) -> str:
    start = f"{base}/en/eta/apply" if lang == "en" else f"{base}/fr/ave/demande"
    page.goto(start)
    page.get_by_role("button", name="Start now" if lang == "en" else "Commencer").click()
    for _ in range(60):
        if "check-your-answers" in page.url or "verifier-vos-reponses" in page.url:
            break
        assert page.locator("html").get_attribute("lang") == lang
        _fill_page(page, form)
        page.locator("button[value=continue]").click()
        assert page.locator(".ng-error-summary").count() == 0, page.locator("main").inner_text()
    else:
        raise AssertionError("never reached check your answers")
    page.locator("main form[method=post] button[type=submit]").click()  # submit
    page.locator("main form[method=post] button[type=submit]").click()  # pay
    assert "/sandbox-pay/" in page.url
    for name, value in CARD.items():
        page.locator(f"input[name={name}]").fill(value)
    page.locator("button[type=submit]").click()
    assert page.url.endswith("/confirmation"), page.url
    return page.locator(".ng-reference").inner_text().strip()


def _wait_for_mail(mail_dir: Path, reference: str, subject_part: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in mail_dir.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            plain = message.get_body(("plain",))
            body = plain.get_content() if plain is not None else ""
            if reference in body and subject_part in str(message["Subject"]):
                return
        time.sleep(0.2)
    raise AssertionError(f"no e-mail with {subject_part!r} for {reference} in {mail_dir}")


@pytest.mark.parametrize(
    ("lang", "javascript", "approval_subject"),
    [("en", True, "approved"), ("fr", True, "approuvée"), ("en", False, "approved")],
)
def test_from_start_to_approval_email(
    browser: Browser, live_server: LiveServer, lang: str, javascript: bool, approval_subject: str
) -> None:
    context = browser.new_context(java_script_enabled=javascript, locale=f"{lang}-CA")
    page = context.new_page()
    # The Content-Security-Policy must not block anything the pages use.
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        reference = _walk_journey(
            page, live_server.url, lang, {**ADULT_FORM, "correspondence_language": lang}
        )
        mail_dir = live_server.var_dir / "mail"
        _wait_for_mail(mail_dir, reference, approval_subject)
    finally:
        context.close()
    assert blocked == []
    assert shutil.which("chromium") or Path(CHROMIUM).exists()
