""" "Do I need an eTA?" on the web: no answer assumed, one clear answer, and a next step."""

from __future__ import annotations

import re

import httpx
import pytest

from northgate.core.lang import Lang
from northgate.eta.fee import ETA_FEE
from northgate.ui.journey_urls import url
from northgate.ui.pages import PAGES_BY_KEY
from northgate.web.eta.triage import YES_NO_QUESTIONS
from tests.support.html import parse_html

LANGS = pytest.mark.parametrize("lang", ["en", "fr"])
ANSWERED = {
    "passport_country": "GB",
    "travel_mode": "air",
    "canadian_status": "none",
    **dict.fromkeys(YES_NO_QUESTIONS, "no"),
}


def _main_text(html: str) -> str:
    (main,) = parse_html(html).find_all("main")
    # Only ASCII white space folds: the no-break spaces are part of what is checked.
    return re.sub(r"[ \t\r\n]+", " ", main.text)


@LANGS
async def test_no_radio_comes_pre_answered(client: httpx.AsyncClient, lang: Lang) -> None:
    page = await client.get(url("triage", lang))
    assert page.status_code == 200
    radios = parse_html(page.text).find_all("input", type="radio")
    assert radios and [r.attrs["name"] for r in radios if "checked" in r.attrs] == []


@LANGS
@pytest.mark.parametrize("missing", ["canadian_status", *YES_NO_QUESTIONS])
async def test_a_question_left_unanswered_is_asked_again(
    client: httpx.AsyncClient, lang: Lang, missing: str
) -> None:
    form = {name: value for name, value in ANSWERED.items() if name != missing}
    page = await client.post(url("triage", lang), data=form)
    assert page.status_code == 422
    summary = [a.attrs["href"] for a in parse_html(page.text).find_all("a")]
    assert f"#{missing}" in summary
    # What was answered is kept, and nothing was assumed for the missing question.
    checked = {r.attrs["name"] for r in parse_html(page.text).find_all("input", checked="")}
    assert missing not in checked and "canadian_status" in checked | {missing}


@LANGS
async def test_the_fee_is_stated_once_on_the_eta_result(
    client: httpx.AsyncClient, lang: Lang
) -> None:
    page = await client.post(url("triage", lang), data=ANSWERED)
    assert page.status_code == 200
    text = _main_text(page.text)
    assert text.count(ETA_FEE.format(lang)) == 1
    assert text.count("7") == 1  # no second statement of the fee, in any format


@LANGS
async def test_the_visa_result_says_where_to_go_next(client: httpx.AsyncClient, lang: Lang) -> None:
    page = await client.post(url("triage", lang), data={**ANSWERED, "passport_country": "IN"})
    assert page.status_code == 200
    links = [a.attrs["href"] for a in parse_html(page.text).find_all("a")]
    info = PAGES_BY_KEY["eta-who-needs"].path(lang)
    assert f"{info}#visitor-visa" in links
    section = await client.get(info)
    assert 'id="visitor-visa"' in section.text
