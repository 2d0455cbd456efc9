"""A parent applies for their child, in English and French: every question is about the
child ("What is the applicant's full name?"), autofill does not offer the parent's own
name or birthday, and the receipt and the eTA greet the parent and name the child."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from email.message import EmailMessage
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from northgate.app import edge_app
from northgate.composition import Services, build
from northgate.eta.questions import QUESTION_SET
from northgate.settings import Settings
from tests.support.journey import (
    ADULT_FORM,
    csrf_of,
    look_up_status,
    start_application,
    step_form,
)

TODAY = date.today()
CHILD_BORN = TODAY.replace(year=TODAY.year - 10, day=1)
CHILD_FORM: dict[str, str] = {
    **ADULT_FORM,
    "applying_for": "other",
    "representative_relationship": "parent_guardian",
    "representative_surname": "Tremblay",
    "representative_given_names": "Marie",
    "representative_email": "marie@example.org",
    "representative_email_confirm": "marie@example.org",
    "surname": "Tremblay",
    "given_names": "Léa",
    "date_of_birth-day": str(CHILD_BORN.day),
    "date_of_birth-month": str(CHILD_BORN.month),
    "date_of_birth-year": str(CHILD_BORN.year),
    "marital_status": "never_married",
    "occupation": "student",
    "job_title": "Student",
    "employer": "École Jules-Ferry",
    "work_since_year": str(TODAY.year - 4),
    "email": "marie@example.org",
    "email_confirm": "marie@example.org",
    "guardian_surname": "Tremblay",
    "guardian_given_names": "Marie",
    "guardian_relationship": "parent",
    "signature": "Marie Tremblay",
}
# The parent's own details are the ones a browser would offer to fill in.
PERSONAL_AUTOFILL = re.compile(
    r'autocomplete="(name|given-name|family-name|bday[^"]*|sex|address[^"]*|postal-code|country'
    r'|organization[^"]*)"'
)
# Pages about the person typing, in both languages: their own words and autofill stay.
TYPIST_PAGES = {
    step.slug(lang)
    for step in QUESTION_SET.steps
    if step.section in ("applicant", "representative", "declaration")
    or step.id in ("correspondence-language", "email")
    for lang in ("en", "fr")
}
YOUR = {"en": re.compile(r"\byour\b", re.I), "fr": re.compile(r"\b(votre|vos)\b|-vous\b", re.I)}


@pytest.fixture
async def client(
    sqlite_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[tuple[httpx.AsyncClient, Services, Settings]]:
    settings = make_settings(database_url=sqlite_url, embedded_worker=False)
    services = build(settings)
    transport = httpx.ASGITransport(app=edge_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, services, settings


def _heading(html: str) -> str:
    found = re.search(r'<h1 class="ng-h1[^"]*">([^<]+)</h1>', html)
    assert found, html[:300]
    return unescape(found.group(1))


def _read_mails(directory: Path) -> list[tuple[str, str]]:
    """(subject, plain text) of every e-mail written, in file order."""
    mails = []
    for path in sorted(directory.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        plain = message.get_body(("plain",))
        assert plain is not None
        mails.append((str(message["Subject"]), plain.get_content()))
    return mails


async def _walk(client: httpx.AsyncClient, lang: str) -> dict[str, str]:
    """Every question page on the way to "check your answers", by slug."""
    pages: dict[str, str] = {}
    response = await start_application(client, lang)
    for _ in range(60):
        assert response.status_code == 303, response.text[:500]
        location = response.headers["location"]
        page = await client.get(location)
        if "check-your-answers" in location or "verifier-vos-reponses" in location:
            pages["review"] = page.text
            return pages
        path = urlsplit(location).path
        pages[path.rsplit("/", 1)[-1]] = page.text
        data = step_form(path, {**CHILD_FORM, "correspondence_language": lang}, lang)
        response = await client.post(location, data={"csrf_token": csrf_of(page.text), **data})
    raise AssertionError("the journey did not reach check your answers")


@pytest.mark.parametrize(
    ("lang", "name_question", "birth_question"),
    [
        ("en", "What is the applicant’s full name?", "What is the applicant’s date of birth?"),
        (
            "fr",
            "Quel est le nom complet de la personne pour qui vous faites la demande",
            "Quelle est la date de naissance de la personne pour qui vous faites la demande",
        ),
    ],
)
async def test_questions_autofill_and_emails_are_about_the_child(
    client: tuple[httpx.AsyncClient, Services, Settings],
    lang: str,
    name_question: str,
    birth_question: str,
) -> None:
    http, services, settings = client
    pages = await _walk(http, lang)
    name_page = pages["name" if lang == "en" else "nom"]
    birth_page = pages["date-of-birth" if lang == "en" else "date-de-naissance"]
    assert _heading(name_page).startswith(name_question)
    assert _heading(birth_page).startswith(birth_question)
    for slug, html in pages.items():
        if slug in TYPIST_PAGES or slug == "review":
            continue
        assert not PERSONAL_AUTOFILL.search(html), (slug, PERSONAL_AUTOFILL.findall(html))
        assert not YOUR[lang].search(_heading(html)), (slug, _heading(html))
    assert (
        'autocomplete="family-name"' in pages["your-details" if lang == "en" else "vos-coordonnees"]
    )

    # Check your answers asks about the child too, and the e-mails greet the parent.
    assert birth_question in unescape(pages["review"])
    submit = (
        "/en/eta/apply/check-your-answers"
        if lang == "en"
        else "/fr/ave/demande/verifier-vos-reponses"
    )
    assert (
        await http.post(submit, data={"csrf_token": csrf_of(pages["review"])})
    ).status_code == 303
    pay = "/en/eta/apply/pay" if lang == "en" else "/fr/ave/demande/paiement"
    page = await http.get(pay)
    gateway = await http.post(pay, data={"csrf_token": csrf_of(page.text)})
    card = {"number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123", "name": "M T"}
    back = await http.post(gateway.headers["location"], data=card)
    assert back.status_code == 303
    settled = await http.get(back.headers["location"])
    assert settled.status_code == 303
    confirmation = await http.get(settled.headers["location"])
    found = re.search(r'class="ng-reference">([^<]+)<', confirmation.text)
    assert found, confirmation.text[:500]
    reference = found.group(1).strip()
    for _ in range(5):
        await services.worker.run_once()
    bodies = _read_mails(Path(settings.mail_dir))
    assert len(bodies) == 2, bodies  # receipt and approval
    hello = "Hello Marie Tremblay," if lang == "en" else "Bonjour Marie Tremblay,"
    for _subject, body in bodies:
        assert body.startswith(hello), body[:80]
        assert "Léa Tremblay" in body
        assert re.search(r"\byour (eTA|passport|Electronic)", body) is None, body
        assert re.search(r"\bvotre (AVE|passeport|autorisation)", body) is None, body
    status = await look_up_status(
        http,
        {
            "reference": reference,
            "passport_number": CHILD_FORM["passport_number"],
            "date_of_birth-day": CHILD_FORM["date_of_birth-day"],
            "date_of_birth-month": CHILD_FORM["date_of_birth-month"],
            "date_of_birth-year": CHILD_FORM["date_of_birth-year"],
        },
        lang,
    )
    assert status.status_code == 200
    assert ("the applicant’s passport" if lang == "en" else "du passeport de la personne") in (
        unescape(status.text)
    )
    approval_subject = next(s for s, _ in bodies if "Léa" in s)
    assert approval_subject.startswith(
        "eTA approved for Léa Tremblay" if lang == "en" else "AVE approuvée pour Léa Tremblay"
    )


async def test_applying_for_yourself_keeps_your_own_wording_and_autofill(
    client: tuple[httpx.AsyncClient, Services, Settings],
) -> None:
    http, _, _ = client
    response = await start_application(http)
    first = response.headers["location"]
    page = await http.get(first)
    await http.post(first, data={"csrf_token": csrf_of(page.text), "applying_for": "myself"})
    name_page = await http.get("/en/eta/apply/name")
    assert _heading(name_page.text) == "What is your name?"
    assert 'autocomplete="family-name"' in name_page.text
    birth_page = await http.get("/en/eta/apply/date-of-birth")
    assert 'autocomplete="bday-day"' in birth_page.text


async def test_the_api_gives_both_wordings(
    client: tuple[httpx.AsyncClient, Services, Settings],
) -> None:
    http, _, _ = client
    response = await http.get("/api/v1/questions")
    assert response.status_code == 200, response.text[:300]
    steps = {step["id"]: step for step in response.json()["steps"]}
    assert steps["name"]["title"]["en"] == "What is your name?"
    assert steps["name"]["title_other"]["en"] == "What is the applicant’s full name?"
    birth = steps["date-of-birth"]["fields"][0]
    assert birth["label_other"]["fr"].startswith("Quelle est la date de naissance de la personne")


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "The applicant must be under 18"), ("fr", "doit avoir moins de 18")],
)
async def test_a_parent_cannot_give_an_adults_birth_date_and_keeps_what_was_saved(
    client: tuple[httpx.AsyncClient, Services, Settings], lang: str, words: str
) -> None:
    http, _, _ = client
    form = {**CHILD_FORM, "date_of_birth-year": "1980"}
    response = await start_application(http, lang)
    for _ in range(60):
        location = response.headers["location"]
        page = await http.get(location)
        path = urlsplit(location).path
        data = step_form(path, form, lang)
        response = await http.post(location, data={"csrf_token": csrf_of(page.text), **data})
        if response.status_code != 303:
            break
    assert response.status_code == 422
    assert path.endswith("/date-of-birth" if lang == "en" else "/date-de-naissance")
    assert words in unescape(response.text)
    assert 'value="1980"' in response.text  # what was typed is shown again
    name_page = await http.get(path.rsplit("/", 1)[0] + ("/name" if lang == "en" else "/nom"))
    assert 'value="Léa"' in name_page.text  # and earlier answers are still saved
