"""The start page (GOV.UK start-page style): what the applicant needs before starting, in
each language, with the way on to the questions, the application and the status look-up."""

from __future__ import annotations

import httpx
import pytest

from northgate.eta.fee import ETA_FEE
from northgate.ui.journey_urls import url
from northgate.ui.pages import PAGES_BY_KEY
from tests.support.html import parse_html

NEEDS = {
    "en": ("passport", "e-mail address", "credit or debit card", "CAD $7", "10 minutes"),
    "fr": ("passeport", "adresse courriel", "carte de crédit", "7,00 $ CA", "10 minutes"),
}


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_the_start_page_says_what_you_need_and_leads_on(
    client: httpx.AsyncClient, lang: str
) -> None:
    page = await client.get(url("start", lang))  # type: ignore[arg-type]
    assert page.status_code == 200
    text = " ".join(page.text.split())  # no-break spaces too
    for need in NEEDS[lang]:
        assert need in text
    (main,) = parse_html(page.text).find_all("main")
    assert main.text.count(ETA_FEE.format(lang)) == 1  # type: ignore[arg-type]
    document = parse_html(page.text)
    assert len(document.find_all("form", method="post")) == 1  # "Start now"
    links = {a.attrs.get("href") for a in document.find_all("a")}
    assert {url("triage", lang), url("status", lang)} <= links  # type: ignore[arg-type]
    assert PAGES_BY_KEY["eta"].path(lang) in links  # type: ignore[arg-type]
