"""ISO 3166-1 countries with their English and French names.

Names come from pycountry and its gettext catalogue, so the list follows the standard
rather than a hand-kept copy. The short ``common_name`` ("Bolivia", "Taiwan") is preferred
where the standard has one: applicants look for the name they use, not the treaty name.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pycountry

from northgate.core.lang import Lang
from northgate.eta.text import fold


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2, upper case
    name_en: str
    name_fr: str

    def name(self, lang: Lang) -> str:
        return self.name_fr if lang == "fr" else self.name_en


class _Untranslated(gettext.NullTranslations):
    """Fallback that makes a missing translation visible: gettext alone returns the English
    text both when it is missing and when French spells it the same ("Iran")."""

    def gettext(self, message: str) -> str:
        return ""


def _load() -> dict[str, Country]:
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    french.add_fallback(_Untranslated())
    loaded: dict[str, Country] = {}
    for record in pycountry.countries:
        official: str = record.name
        common: str | None = getattr(record, "common_name", None)
        # The catalogue translates most common names too ("South Korea" → "Corée du Sud");
        # where it does not, the translated official name beats an English fallback.
        name_fr = (common and french.gettext(common)) or french.gettext(official) or official
        loaded[record.alpha_2] = Country(record.alpha_2, common or official, name_fr)
    return dict(sorted(loaded.items()))


def _collation_key(name: str) -> tuple[str, str]:
    # Folded first so accents do not push "Égypte" past "Zambie"; the name itself breaks ties.
    return (fold(name), name)


COUNTRIES: Mapping[str, Country] = MappingProxyType(_load())

_SORTED: Mapping[Lang, tuple[Country, ...]] = {
    "en": tuple(sorted(COUNTRIES.values(), key=lambda c: _collation_key(c.name_en))),
    "fr": tuple(sorted(COUNTRIES.values(), key=lambda c: _collation_key(c.name_fr))),
}


def country(code: str) -> Country | None:
    """The country with this alpha-2 code, in any case; None for anything else."""
    return COUNTRIES.get(code.strip().upper())


def countries_for(lang: Lang) -> list[Country]:
    """All countries sorted by their name in ``lang``, ignoring accents and case, so that
    "Égypte" sorts under E with "Équateur", not after "Zimbabwe"."""
    return list(_SORTED[lang])
