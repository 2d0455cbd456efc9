from __future__ import annotations

from northgate.eta.countries import COUNTRIES, Country, countries_for, country
from northgate.eta.text import fold


def test_every_iso_country_with_both_names() -> None:
    assert len(COUNTRIES) == 249
    for code, entry in COUNTRIES.items():
        assert code == entry.code and len(code) == 2 and code.isupper()
        assert entry.name_en and entry.name_fr


def test_common_names_are_preferred_in_english() -> None:
    assert COUNTRIES["BO"].name_en == "Bolivia"
    assert COUNTRIES["TW"].name_en == "Taiwan"
    assert COUNTRIES["KR"].name_en == "South Korea"
    assert COUNTRIES["GB"].name_en == "United Kingdom"


def test_french_names_come_from_the_catalogue() -> None:
    assert COUNTRIES["EG"].name("fr") == "Égypte"
    assert COUNTRIES["US"].name("fr") == "États-Unis"
    assert COUNTRIES["KR"].name("fr") == "Corée du Sud"
    assert COUNTRIES["DE"].name("fr") == "Allemagne"
    assert COUNTRIES["DE"].name("en") == "Germany"


def test_lookup_ignores_case_and_spaces() -> None:
    assert country("gb") == Country("GB", "United Kingdom", "Royaume-Uni")
    assert country(" fr ") is COUNTRIES["FR"]
    assert country("ZZ") is None
    assert country("") is None


def test_sorted_by_localized_name_ignoring_accents() -> None:
    for lang in ("en", "fr"):
        names = [c.name(lang) for c in countries_for(lang)]
        assert [fold(n) for n in names] == sorted(fold(n) for n in names)
        assert len(names) == len(COUNTRIES)
    french = [c.name_fr for c in countries_for("fr")]
    # Under E with the other E names, not after Z as a code-point sort would put it.
    assert french.index("Danemark") < french.index("Égypte") < french.index("Espagne")
    assert french.index("Espagne") < french.index("États-Unis") < french.index("Fidji")


def test_countries_for_returns_a_copy() -> None:
    countries_for("en").clear()
    assert len(countries_for("en")) == len(COUNTRIES)
