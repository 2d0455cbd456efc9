"""The entry rules table: which travel document a citizen of each country needs.

The table is data (``data/entry_rules.v*.toml``) so that a policy change is a reviewed
data change with a new version, not a code change. It is checked at import: an unknown
country code or category stops the application from starting rather than misleading
travellers at run time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from types import MappingProxyType
from typing import Literal, get_args

from northgate.eta.countries import COUNTRIES

Category = Literal["visa_exempt", "visa_required", "visa_required_eta_eligible", "us", "ca"]
CATEGORIES: frozenset[str] = frozenset(get_args(Category))
DEFAULT_CATEGORY: Category = "visa_required"

RULES_FILE = "entry_rules.v1.toml"


@dataclass(frozen=True)
class EntryRules:
    version: str
    effective: date
    source: str
    categories: Mapping[str, Category]

    def category(self, code: str) -> Category:
        return self.categories.get(code.strip().upper(), DEFAULT_CATEGORY)


def parse_rules(document: Mapping[str, object]) -> EntryRules:
    """Build the rules from a parsed TOML document, refusing anything malformed."""
    version, effective, source = (
        document.get("version"),
        document.get("effective"),
        document.get("source"),
    )
    countries = document.get("countries")
    if not isinstance(version, str) or not version:
        raise ValueError("entry rules: 'version' must be a non-empty string")
    if not isinstance(effective, date):
        raise ValueError("entry rules: 'effective' must be a TOML date")
    if not isinstance(source, str) or not source:
        raise ValueError("entry rules: 'source' must say where the rules come from")
    if not isinstance(countries, dict):
        raise ValueError("entry rules: missing [countries] table")
    categories: dict[str, Category] = {}
    for code, value in countries.items():
        if code not in COUNTRIES:
            raise ValueError(f"entry rules: unknown country code {code!r}")
        if value not in CATEGORIES:
            raise ValueError(f"entry rules: {code} has unknown category {value!r}")
        categories[code] = value
    return EntryRules(version, effective, source, MappingProxyType(categories))


def _load() -> EntryRules:
    data = resources.files("northgate.eta").joinpath("data", RULES_FILE).read_text("utf-8")
    return parse_rules(tomllib.loads(data))


RULES = _load()
RULES_VERSION: str = RULES.version


def category(code: str) -> Category:
    """The entry category for a passport country (alpha-2, any case); unlisted and unknown
    codes need a visa, the safe default."""
    return RULES.category(code)
