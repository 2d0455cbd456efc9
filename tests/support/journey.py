"""Walk the eTA journey over HTTP as a browser would: read each page, post its form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from html import unescape
from urllib.parse import urlsplit

import httpx

from northgate.eta.questions import QUESTION_SET

TODAY = date.today()
BIRTH = TODAY.replace(year=TODAY.year - 35)
ISSUED = TODAY - timedelta(days=400)
EXPIRES = TODAY.replace(year=TODAY.year + 8)


def _parts(name: str, moment: date) -> dict[str, str]:
    return {
        f"{name}-day": str(moment.day),
        f"{name}-month": str(moment.month),
        f"{name}-year": str(moment.year),
    }


# What a typical adult British traveller types, by HTML input name.
ADULT_FORM: dict[str, str] = {
    "applying_for": "myself",
    "document_type": "ordinary",
    "passport_number": "GB1234567",
    "passport_number_confirm": "gb 123 4567",
    "passport_country": "GB",
    **_parts("passport_issue_date", ISSUED),
    **_parts("passport_expiry_date", EXPIRES),
    "surname": "O’Brien-Lefèvre",
    "given_names": "Zoë Anne",
    **_parts("date_of_birth", BIRTH),
    "sex": "F",
    "birth_country": "GB",
    "birth_city": "Leeds",
    "has_other_citizenship": "no",
    "marital_status": "married",
    "occupation": "health",
    "job_title": "Nurse",
    "employer": "Leeds General Infirmary",
    "work_country": "GB",
    "work_since_year": "2015",
    "correspondence_language": "en",
    "email": "zoe@example.org",
    "email_confirm": "Zoe@Example.org",
    "address_street": "1 Park Row",
    "address_city": "Leeds",
    "address_country": "GB",
    "address_postal_code": "LS1 5AB",
    "travel_date_known": "no",
    "previous_refusal": "no",
    "criminal_offence": "no",
    "tuberculosis": "no",
    "medical_condition": "no",
    "consent": "yes",
    "signature": "Zoe Anne O'Brien-Lefevre",
}

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF token"
    return unescape(found.group(1))


def step_form(path: str, form: Mapping[str, str], lang: str) -> dict[str, str]:
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    step = QUESTION_SET.step_by_slug(slug, lang)  # type: ignore[arg-type]
    assert step is not None, f"no step at {path}"
    names = {name for field in step.fields for name in field.input_names}
    return {name: value for name, value in form.items() if name in names}


START = {"en": "/en/eta/apply", "fr": "/fr/ave/demande"}
STATUS = {"en": "/en/eta/status", "fr": "/fr/ave/etat"}


async def start_application(client: httpx.AsyncClient, lang: str = "en") -> httpx.Response:
    """Press "Start now" on the start page (its form carries the page's token)."""
    page = await client.get(START[lang])
    return await client.post(START[lang], data={"csrf_token": csrf_of(page.text)})


def start_application_sync(client: httpx.Client, lang: str = "en") -> httpx.Response:
    page = client.get(START[lang])
    return client.post(START[lang], data={"csrf_token": csrf_of(page.text)})


async def look_up_status(
    client: httpx.AsyncClient, answers: Mapping[str, str], lang: str = "en"
) -> httpx.Response:
    """The status form, filled in and sent from its page."""
    page = await client.get(STATUS[lang])
    return await client.post(STATUS[lang], data={"csrf_token": csrf_of(page.text), **answers})


def look_up_status_sync(
    client: httpx.Client, answers: Mapping[str, str], lang: str = "en"
) -> httpx.Response:
    page = client.get(STATUS[lang])
    return client.post(STATUS[lang], data={"csrf_token": csrf_of(page.text), **answers})


async def fill_application(
    client: httpx.AsyncClient, lang: str = "en", form: Mapping[str, str] = ADULT_FORM
) -> httpx.Response:
    """From the start page to "check your answers"; returns the review page."""
    response = await start_application(client, lang)
    for _ in range(60):
        assert response.status_code == 303, response.text[:500]
        location = response.headers["location"]
        page = await client.get(location)
        assert page.status_code == 200, page.text[:500]
        if "check-your-answers" in location or "verifier-vos-reponses" in location:
            return page
        data = step_form(urlsplit(location).path, form, lang)
        response = await client.post(location, data={"csrf_token": csrf_of(page.text), **data})
        if response.status_code == 422:
            raise AssertionError(f"{location} refused {data}: {_errors(response.text)}")
    raise AssertionError("the journey did not reach check your answers")


def fill_application_sync(
    client: httpx.Client, lang: str = "en", form: Mapping[str, str] = ADULT_FORM
) -> httpx.Response:
    """The same walk over a real socket, for tests against a server process."""
    response = start_application_sync(client, lang)
    for _ in range(60):
        assert response.status_code == 303, response.text[:500]
        location = response.headers["location"]
        page = client.get(location)
        assert page.status_code == 200, page.text[:500]
        if "check-your-answers" in location or "verifier-vos-reponses" in location:
            return page
        data = step_form(urlsplit(location).path, form, lang)
        response = client.post(location, data={"csrf_token": csrf_of(page.text), **data})
        if response.status_code == 422:
            raise AssertionError(f"{location} refused {data}: {_errors(response.text)}")
    raise AssertionError("the journey did not reach check your answers")


def _errors(html: str) -> list[str]:
    return re.findall(r'class="ng-error-message"[^>]*>(?:<span[^>]*>[^<]*</span>)?\s*([^<]+)', html)
