"""The catalogue of information pages: one entry per page, with its title in each language
and its place in the site.

Their addresses are the route table's (``page.{key}`` in northgate.core.routes). English
and French pages are parallel: the same key has a slug in each language, so the language
toggle always lands on the same page in the other language.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from northgate.core import routes
from northgate.core.lang import LANGUAGES, Lang


@dataclass(frozen=True)
class Page:
    key: str
    titles: Mapping[Lang, str]
    parent: str | None = None

    @property
    def slugs(self) -> Mapping[Lang, str]:
        return {lang: routes.page_slug(self.key, lang) for lang in LANGUAGES}

    def path(self, lang: Lang) -> str:
        return routes.path(f"page.{self.key}", lang)

    @property
    def template(self) -> str:
        return f"{self.key}.html"


PAGES: tuple[Page, ...] = (
    Page(
        "home",
        {"en": "Immigration and citizenship", "fr": "Immigration et citoyenneté"},
    ),
    Page(
        "visit",
        {"en": "Visit Canada", "fr": "Visiter le Canada"},
        parent="home",
    ),
    Page(
        "eta",
        {
            "en": "Electronic Travel Authorization (eTA)",
            "fr": "Autorisation de voyage électronique (AVE)",
        },
        parent="visit",
    ),
    Page(
        "eta-who-needs",
        {"en": "Who needs an eTA", "fr": "Qui doit obtenir une AVE"},
        parent="eta",
    ),
    Page(
        "eta-after-applying",
        {"en": "After you apply for an eTA", "fr": "Après avoir présenté une demande d’AVE"},
        parent="eta",
    ),
    Page(
        "immigrate",
        {"en": "Immigrate to Canada", "fr": "Immigrer au Canada"},
        parent="home",
    ),
    Page(
        "citizenship",
        {"en": "Canadian citizenship", "fr": "Citoyenneté canadienne"},
        parent="home",
    ),
    Page(
        "help",
        {"en": "Help and contact", "fr": "Aide et coordonnées"},
        parent="home",
    ),
    Page(
        "privacy",
        {"en": "Privacy notice", "fr": "Avis de confidentialité"},
        parent="home",
    ),
)

PAGES_BY_KEY: Mapping[str, Page] = {page.key: page for page in PAGES}


def breadcrumbs(page: Page) -> list[Page]:
    """The ancestors of ``page``, outermost first, not including the page itself."""
    trail: list[Page] = []
    parent = page.parent
    while parent is not None:
        ancestor = PAGES_BY_KEY[parent]
        trail.append(ancestor)
        parent = ancestor.parent
    return list(reversed(trail))


def children(page: Page) -> list[Page]:
    return [candidate for candidate in PAGES if candidate.parent == page.key]


def all_page_paths() -> Iterator[tuple[Page, Lang, str]]:
    for page in PAGES:
        for lang in LANGUAGES:
            yield page, lang, page.path(lang)
