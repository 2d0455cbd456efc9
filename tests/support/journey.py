"""Walk the eTA journey over HTTP as a browser would: read each page, post its form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

# One copy of the forms, shared with the benchmarks (bench/journey.py).
from northgate.testing.journey import (
    ADULT_FORM,
    BIRTH,
    CSRF,
    EXPIRES,
    ISSUED,
    TODAY,
    csrf_of,
    step_form,
)

__all__ = ["ADULT_FORM", "BIRTH", "CSRF", "EXPIRES", "ISSUED", "TODAY", "csrf_of", "step_form"]

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
