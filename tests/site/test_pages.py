"""The page catalogue, and the markup every rendered page must have in both languages."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from northgate.core.dates import long_date
from northgate.core.lang import LANGUAGES, Lang, other_language
from northgate.site.feedback import FEEDBACK_PATHS
from northgate.site.render import Site, build_site
from northgate.ui.journey_urls import ENTRY_POINTS, url
from northgate.ui.pages import PAGES, PAGES_BY_KEY, Page, all_page_paths, breadcrumbs, children
from tests.support.html import Document, parse_html

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
ORIGIN = "https://northgate.example"
PAGE_PARAMS = [
    pytest.param(page, lang, id=f"{lang}:{page.key}") for page in PAGES for lang in LANGUAGES
]
# Routes served by the application rather than the pre-rendered site.
APP_ROUTES = frozenset(FEEDBACK_PATHS.values()) | {
    url(name, lang) for name in ENTRY_POINTS for lang in LANGUAGES
}
# Pages from which every start of the eTA journey is one link away.
JOURNEY_DOORS = ("home", "eta", "eta-who-needs", "eta-after-applying")


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(node_modules=NODE_MODULES, public_origin=ORIGIN)


@pytest.fixture(scope="module")
def documents(site: Site) -> dict[str, Document]:
    return {path: parse_html(site.responses[path].body) for _, _, path in all_page_paths()}


# --- The catalogue -------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=[page.key for page in PAGES])
def test_every_page_has_a_slug_and_a_title_in_both_languages(page: Page) -> None:
    for lang in LANGUAGES:
        assert lang in page.slugs and lang in page.titles
        assert page.titles[lang].strip() == page.titles[lang] != ""
        slug = page.slugs[lang]
        assert slug == "" or re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)*", slug)
        assert (slug == "") is (page.key == "home")


def test_keys_and_paths_are_unique() -> None:
    assert len(PAGES_BY_KEY) == len(PAGES)
    paths = [path for _, _, path in all_page_paths()]
    assert len(paths) == len(set(paths)) == 2 * len(PAGES)


def test_paths_start_with_their_language() -> None:
    for _, lang, path in all_page_paths():
        assert path.startswith(f"/{lang}/")


def test_every_parent_exists_and_only_home_has_none() -> None:
    for page in PAGES:
        if page.key == "home":
            assert page.parent is None
        else:
            assert page.parent is not None and page.parent in PAGES_BY_KEY
            assert page in children(PAGES_BY_KEY[page.parent])


@pytest.mark.parametrize("page", PAGES, ids=[page.key for page in PAGES])
def test_breadcrumbs_lead_back_to_home_without_cycles(page: Page) -> None:
    seen = {page.key}
    parent = page.parent
    while parent is not None:
        assert parent not in seen, f"cycle through {parent}"
        seen.add(parent)
        parent = PAGES_BY_KEY[parent].parent
    trail = breadcrumbs(page)
    if page.key == "home":
        assert trail == []
    else:
        assert trail[0].key == "home"
        assert trail[-1].key == page.parent
        assert page not in trail


# --- Rendered pages ------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_page_is_in_its_language_with_its_title(
    documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    document = documents[page.path(lang)]
    (html,) = document.find_all("html")
    assert html.attrs["lang"] == lang
    (title,) = document.find_all("title")
    assert title.text.startswith(page.titles[lang])
    (h1,) = document.find_all("h1")
    assert " ".join(h1.text.split()) == page.titles[lang]


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_page_has_a_skip_link_to_its_main_content(
    documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    document = documents[page.path(lang)]
    links = document.find_all("a")
    assert links[0].attrs["href"] == "#main-content", "the skip link must be the first link"
    assert links[0].text.strip()
    (main,) = document.find_all("main")
    assert main.attrs.get("id") == "main-content"
    assert len([e for e in document.elements if e.attrs.get("id") == "main-content"]) == 1
    (h1,) = document.find_all("h1")
    assert h1.text in main.text


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_language_toggle_leads_to_the_same_page_in_the_other_language(
    documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    other = other_language(lang)
    toggles = [a for a in documents[page.path(lang)].find_all("a") if "hreflang" in a.attrs]
    assert len(toggles) == 1
    (toggle,) = toggles
    assert toggle.attrs["href"] == page.path(other)
    assert toggle.attrs["lang"] == other
    assert toggle.attrs["hreflang"] == other
    assert toggle.text.strip() == {"en": "English", "fr": "Français"}[other]


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_canonical_and_alternate_links(
    documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    document = documents[page.path(lang)]
    (canonical,) = document.find_all("link", rel="canonical")
    assert canonical.attrs["href"] == ORIGIN + page.path(lang)
    alternates = {
        link.attrs["hreflang"]: link.attrs["href"]
        for link in document.find_all("link", rel="alternate")
    }
    assert alternates == {alt: ORIGIN + page.path(alt) for alt in LANGUAGES}


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_main_menu_marks_only_the_current_page(
    documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    current = [
        a for a in documents[page.path(lang)].find_all("a") if a.attrs.get("aria-current") == "page"
    ]
    assert all(a.attrs["href"] == page.path(lang) for a in current)
    assert len(current) <= 1


def _resolve(site: Site, documents: dict[str, Document], here: str, link: str) -> str | None:
    """Why ``link`` (found on page ``here``) is dead, or None when it resolves."""
    if link.startswith(ORIGIN + "/"):
        link = link[len(ORIGIN) :]
    parts = urlsplit(link)
    if (parts.scheme in ("http", "https") and parts.netloc) or parts.scheme in ("mailto", "tel"):
        return None  # external
    if parts.scheme or parts.netloc:
        return f"unexpected scheme or host in {link!r}"
    path = parts.path or here
    if not path.startswith("/"):
        return f"relative link {link!r}: breaks when the page moves"
    if path not in site.responses and path not in APP_ROUTES:
        return f"no page, asset or route for {link!r}"
    if parts.fragment:
        target = documents.get(path)
        if target is None or parts.fragment not in target.ids():
            return f"no element with id {parts.fragment!r} for {link!r}"
    return None


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_no_dead_internal_links(
    site: Site, documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    here = page.path(lang)
    problems = [
        problem
        for link in documents[here].hrefs()
        if (problem := _resolve(site, documents, here, link)) is not None
    ]
    assert problems == []


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_internal_links_stay_in_the_page_language(
    documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    """Only the language toggle and the alternate link may lead to the other language."""
    other = other_language(lang)
    document = documents[page.path(lang)]
    crossing = [
        element.attrs.get("href", "")
        for element in document.elements
        if element.attrs.get("href", "").startswith(f"/{other}/")
        and "hreflang" not in element.attrs
    ]
    assert crossing == []


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_feedback_form_posts_to_the_page_language_route(
    documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    (form,) = documents[page.path(lang)].find_all("form")
    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == FEEDBACK_PATHS[lang]
    (key,) = [i for i in documents[page.path(lang)].find_all("input") if i.attrs["name"] == "page"]
    assert key.attrs["value"] == page.key


@pytest.mark.parametrize("key", JOURNEY_DOORS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_home_and_eta_pages_link_to_every_start_of_the_journey(
    documents: dict[str, Document], key: str, lang: Lang
) -> None:
    links = {a.attrs.get("href") for a in documents[PAGES_BY_KEY[key].path(lang)].find_all("a")}
    assert {url(name, lang) for name in ENTRY_POINTS} <= links


@pytest.mark.parametrize(("page", "lang"), PAGE_PARAMS)
def test_dates_read_as_the_rest_of_the_site_writes_them(
    documents: dict[str, Document], page: Page, lang: Lang
) -> None:
    times = documents[page.path(lang)].find_all("time")
    assert times
    for time in times:
        assert time.text == long_date(time.attrs["datetime"], lang)
