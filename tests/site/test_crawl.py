"""A visitor must reach every public page, and every start of the eTA journey, by following
links from the home page: a crawler over a real `northgate serve` process, following
``<a href>`` and GET forms only, as a browser's user would, in each language.

The pages it must reach are derived from the site's own lists (the page catalogue and the
journey's routes), so a page added without a link to it fails here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from northgate.core.lang import LANGUAGES, Lang
from northgate.ui.journey_urls import ENTRY_POINTS, LANDING_PAGES, PATHS, url
from northgate.ui.pages import all_page_paths
from tests.support.html import Document, parse_html
from tests.support.live import LiveServer

# Enough for the site several times over; a crawl that needs more is following a loop.
MAX_FETCHES = 400


@dataclass
class Crawl:
    reached: set[str] = field(default_factory=set)
    broken: list[str] = field(default_factory=list)
    # Who links to what, to say where a broken link was found.
    found_on: dict[str, str] = field(default_factory=dict)


def _followable(document: Document, *, cross_language: bool) -> list[str]:
    """Links a visitor can follow: anchors, and the action of GET forms (the site has no GET
    form with fields a visitor must fill in)."""
    targets = [
        a.attrs["href"]
        for a in document.find_all("a")
        if "href" in a.attrs and (cross_language or "hreflang" not in a.attrs)
    ]
    for form in document.find_all("form"):
        if form.attrs.get("method", "get").lower() == "get":
            targets.append(form.attrs.get("action", ""))
    return targets


def crawl(server: LiveServer, start: str, lang: Lang, *, cross_language: bool) -> Crawl:
    """Breadth-first from ``start``, following only links within the server."""
    origin = urlsplit(server.url)
    result = Crawl()
    queue: deque[str] = deque([start])
    seen = {start}
    headers = {"accept-language": lang}
    with httpx.Client(base_url=server.url, headers=headers, follow_redirects=True) as client:
        fetches = 0
        while queue:
            fetches += 1
            assert fetches <= MAX_FETCHES, "the crawl does not end"
            path = queue.popleft()
            response = client.get(path)
            landed = response.url.raw_path.decode()
            if response.status_code >= 400:
                result.broken.append(
                    f"{path} ({response.status_code}), linked from "
                    f"{result.found_on.get(path, 'the start')}"
                )
                continue
            result.reached.add(response.url.path)
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            for link in _followable(parse_html(response.text), cross_language=cross_language):
                target = urlsplit(urljoin(str(response.url), link))
                if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
                    continue  # another site
                address = target.path + (f"?{target.query}" if target.query else "")
                if address not in seen:
                    seen.add(address)
                    result.found_on[address] = landed
                    queue.append(address)
    return result


def public_pages(lang: Lang) -> set[str]:
    """Every information page, and every journey page a visitor may start from."""
    pages = {path for _, page_lang, path in all_page_paths() if page_lang == lang}
    return pages | {url(name, lang) for name in ENTRY_POINTS}


@pytest.mark.parametrize(("start", "lang"), [("/", "en"), ("/fr/", "fr")])
def test_every_public_page_is_reached_by_links_in_its_language(
    live_server: LiveServer, start: str, lang: Lang
) -> None:
    """Without the language toggle: each language stands on its own."""
    result = crawl(live_server, start, lang, cross_language=False)
    assert result.broken == []
    assert sorted(public_pages(lang) - result.reached) == []


def test_the_whole_site_is_reached_from_the_root(live_server: LiveServer) -> None:
    result = crawl(live_server, "/", "en", cross_language=True)
    assert result.broken == []
    expected = set().union(*(public_pages(lang) for lang in LANGUAGES))
    assert sorted(expected - result.reached) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_journey_page_open_to_a_new_visitor_is_an_entry_point(
    live_server: LiveServer, lang: Lang
) -> None:
    """The entry points are the journey pages that answer a visitor with no application in
    progress; any other journey page must send such a visitor elsewhere. So a new public
    journey page must be declared an entry point, and then the crawl must reach it."""
    open_to_all = set()
    for name in PATHS:
        # A new browser each time; a page that answers it, at its own address (after any
        # redirect a gate may make to set a cookie), is open to all.
        with httpx.Client(base_url=live_server.url, follow_redirects=True) as client:
            response = client.get(url(name, lang))
        if response.status_code == 200 and response.url.path == url(name, lang):
            open_to_all.add(name)
    assert open_to_all == set(ENTRY_POINTS) | set(LANDING_PAGES)
