"""The operators' analytics page looks like the rest of the site (its header, footer and
stylesheet) and reads in English and French, each version linking to the other."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.analytics.test_surfaces import BEARER, operator_client  # noqa: F401 (fixture)
from tests.support.html import parse_html

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("path", "lang", "other", "heading", "chart_title"),
    [
        ("/ops/analytics", "en", "/ops/analytics/fr?hours=1", "Arrivals at the edge",
         "Arrivals by outcome, per minute"),
        ("/ops/analytics/fr", "fr", "/ops/analytics?hours=1", "Arrivées en périphérie",
         "Arrivées par issue, par minute"),
    ],
)  # fmt: skip
async def test_the_page_has_the_site_look_in_both_languages(
    operator_client: httpx.AsyncClient,  # noqa: F811
    path: str,
    lang: str,
    other: str,
    heading: str,
    chart_title: str,
) -> None:
    response = await operator_client.get(path, params={"hours": "1"}, headers=BEARER)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = parse_html(response.content)
    assert html.find_all("html")[0].attrs["lang"] == lang
    stylesheets = [link.attrs["href"] for link in html.find_all("link", rel="stylesheet")]
    assert len(stylesheets) == 1 and stylesheets[0].endswith("/northgate.css")
    assert html.find_all("header", **{"class": "ng-header"})
    assert html.find_all("footer", **{"class": "ng-footer"})
    assert [h.text.strip() for h in html.find_all("h1")] == [heading]
    toggle = html.find_all("a", **{"class": "ng-lang__link"})
    assert [a.attrs["href"] for a in toggle] == [other]
    titles = [t.text.strip() for t in html.find_all("title")]
    assert chart_title in titles
    assert html.find_all("script") == []


async def test_french_figures_and_words(
    operator_client: httpx.AsyncClient,  # noqa: F811
) -> None:
    response = await operator_client.get("/ops/analytics/fr?hours=1", headers=BEARER)
    text = response.text
    for words in ("Par section", "Par pays", "semaine dernière", "Totaux", "Période"):
        assert words in text
    # Canadian French numbers: a no-break space between thousands.
    assert f"30{NBSP}000" in text
    assert f"Part des visiteurs{NBSP}:" in text
    # The period, the anomaly flags and the notes too.
    assert re.search(f"part de US{NBSP}: \\d+,\\d{NBSP}%, au-dessus de sa fourchette", text)
    assert ", par minute" in text and "robots exclus" in text
    assert ">servies</text>" in text and ">autres</text>" in text  # the charts' legends
    for english in ("US share", "per minute", "last week", "bots excluded", ">served<", ">other<"):
        assert english not in text


async def test_the_french_page_needs_the_operator_token(
    operator_client: httpx.AsyncClient,  # noqa: F811
) -> None:
    assert (await operator_client.get("/ops/analytics/fr")).status_code == 401


async def test_the_french_page_links_french_chart_exports(
    operator_client: httpx.AsyncClient,  # noqa: F811
) -> None:
    page = await operator_client.get("/ops/analytics/fr?hours=1", headers=BEARER)
    links = [a.attrs["href"] for a in parse_html(page.content).find_all("a")]
    svg = next(link for link in links if "/charts/outcomes.svg" in link)
    assert svg.endswith("lang=fr")
    chart = await operator_client.get(svg, headers=BEARER)
    assert "Arrivées par issue, par minute" in chart.text
