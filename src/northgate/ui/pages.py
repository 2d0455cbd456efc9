"""The catalogue of information pages: one entry per page, with its URL in each language.

English and French pages are parallel: the same key has a slug in each language, so the
language toggle always lands on the same page in the other language.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from northgate.core.lang import LANGUAGES, Lang


@dataclass(frozen=True)
class Page:
    key: str
    slugs: Mapping[Lang, str]
    titles: Mapping[Lang, str]
    parent: str | None = None

    def path(self, lang: Lang) -> str:
        return f"/{lang}/{self.slugs[lang]}"

    @property
    def template(self) -> str:
        return f"{self.key}.html"


PAGES: tuple[Page, ...] = (
    Page(
        "home",
        {"en": "", "fr": ""},
        {"en": "Immigration and citizenship", "fr": "Immigration et citoyenneté"},
    ),
    Page(
        "visit",
        {"en": "visit-canada", "fr": "visiter-canada"},
        {"en": "Visit Canada", "fr": "Visiter le Canada"},
        parent="home",
    ),
    Page(
        "eta",
        {"en": "eta", "fr": "ave"},
        {
            "en": "Electronic Travel Authorization (eTA)",
            "fr": "Autorisation de voyage électronique (AVE)",
        },
        parent="visit",
    ),
    Page(
        "eta-who-needs",
        {"en": "eta/who-needs-an-eta", "fr": "ave/qui-doit-obtenir-une-ave"},
        {"en": "Who needs an eTA", "fr": "Qui doit obtenir une AVE"},
        parent="eta",
    ),
    Page(
        "eta-after-applying",
        {"en": "eta/after-you-apply", "fr": "ave/apres-la-demande"},
        {"en": "After you apply for an eTA", "fr": "Après avoir présenté une demande d’AVE"},
        parent="eta",
    ),
    Page(
        "immigrate",
        {"en": "immigrate", "fr": "immigrer"},
        {"en": "Immigrate to Canada", "fr": "Immigrer au Canada"},
        parent="home",
    ),
    Page(
        "citizenship",
        {"en": "citizenship", "fr": "citoyennete"},
        {"en": "Canadian citizenship", "fr": "Citoyenneté canadienne"},
        parent="home",
    ),
    Page(
        "help",
        {"en": "help", "fr": "aide"},
        {"en": "Help and contact", "fr": "Aide et coordonnées"},
        parent="home",
    ),
    Page(
        "privacy",
        {"en": "privacy", "fr": "confidentialite"},
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
