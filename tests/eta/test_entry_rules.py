from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from northgate.eta.entry_rules import RULES, RULES_VERSION, category, parse_rules

EU = (
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
)


def test_version_and_provenance() -> None:
    assert RULES_VERSION == "v1"
    assert isinstance(RULES.effective, date)
    assert RULES.source


@pytest.mark.parametrize("code", [*EU, "GB", "AU", "JP", "NZ", "KR", "CH", "NO", "IS", "LI"])
def test_visa_exempt(code: str) -> None:
    assert category(code) == "visa_exempt"


@pytest.mark.parametrize(
    "code", ["AR", "BR", "CR", "MA", "PA", "PH", "SC", "TH", "TT", "UY", "MX", "AG", "LC"]
)
def test_eta_eligible_with_visa_history(code: str) -> None:
    assert category(code) == "visa_required_eta_eligible"


def test_special_and_default_categories() -> None:
    assert category("US") == "us"
    assert category("CA") == "ca"
    assert category("IN") == "visa_required"  # not listed
    assert category("ZZ") == "visa_required"  # not even a country
    assert category(" gb ") == "visa_exempt"


def _document(**countries: Any) -> dict[str, Any]:
    return {"version": "t", "effective": date(2024, 1, 1), "source": "test", "countries": countries}


def test_parse_refuses_unknown_country_and_category() -> None:
    assert parse_rules(_document(FR="visa_exempt")).category("fr") == "visa_exempt"
    with pytest.raises(ValueError, match="unknown country"):
        parse_rules(_document(XX="visa_exempt"))
    with pytest.raises(ValueError, match="unknown category"):
        parse_rules(_document(FR="exempt"))
    with pytest.raises(ValueError, match="effective"):
        parse_rules({**_document(), "effective": "2024-01-01"})
