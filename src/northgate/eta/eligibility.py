"""The "Do I need an eTA?" triage, answered before anyone starts an application.

The checks run in a fixed order, most decisive first: Canadian status, US citizenship,
how the traveller arrives, a visa they already hold, US permanent residence, and only
then the rules for their passport's country. The first that settles the question wins,
and its ``reason`` code says which, so the explanation shown is specific.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from northgate.core.lang import Lang
from northgate.eta.entry_rules import category
from northgate.eta.messages import texts

TravelMode = Literal["air", "land", "sea"]
CanadianStatus = Literal["none", "citizen", "permanent_resident"]
OutcomeKind = Literal["eta_required", "no_eta_needed", "visa_required"]


@dataclass(frozen=True)
class TriageAnswers:
    passport_country: str  # alpha-2 of the passport the traveller will use
    travel_mode: TravelMode
    canadian_status: CanadianStatus = "none"
    us_lawful_permanent_resident: bool = False
    has_valid_canadian_visa: bool = False
    had_canadian_visa_last_10_years: bool = False
    has_valid_us_nonimmigrant_visa: bool = False


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    reason: str

    def explanation(self, lang: Lang) -> str:
        return explain(self, lang)


# Every reason and the one outcome it leads to.
REASONS: Mapping[str, OutcomeKind] = {
    "canadian-citizen": "no_eta_needed",
    "permanent-resident": "no_eta_needed",
    "us-citizen": "no_eta_needed",
    "land-or-sea": "no_eta_needed",
    "valid-canadian-visa": "no_eta_needed",
    "us-lpr": "no_eta_needed",
    "visa-exempt-air": "eta_required",
    "eta-eligible-with-visa-history": "eta_required",
    "eta-conditions-not-met": "visa_required",
    "visa-required-country": "visa_required",
}


def _outcome(reason: str) -> Outcome:
    return Outcome(REASONS[reason], reason)


def assess(answers: TriageAnswers) -> Outcome:
    country = category(answers.passport_country)
    if answers.canadian_status == "citizen" or country == "ca":
        return _outcome("canadian-citizen")
    if answers.canadian_status == "permanent_resident":
        return _outcome("permanent-resident")
    if country == "us":
        return _outcome("us-citizen")
    # The eTA is only for air travel. Arriving by land or sea, a visa-exempt traveller
    # needs nothing more; anyone else falls through to the visa questions below.
    if answers.travel_mode != "air" and country == "visa_exempt":
        return _outcome("land-or-sea")
    if answers.has_valid_canadian_visa:
        return _outcome("valid-canadian-visa")
    if answers.us_lawful_permanent_resident:
        return _outcome("us-lpr")
    if country == "visa_exempt":
        return _outcome("visa-exempt-air")
    if country == "visa_required_eta_eligible":
        history = answers.had_canadian_visa_last_10_years or answers.has_valid_us_nonimmigrant_visa
        if answers.travel_mode == "air" and history:
            return _outcome("eta-eligible-with-visa-history")
        return _outcome("eta-conditions-not-met")
    return _outcome("visa-required-country")


TRIAGE_MESSAGES: Mapping[tuple[OutcomeKind, str], Mapping[Lang, str]] = {
    (kind, reason): texts(f"triage:{reason}") for reason, kind in REASONS.items()
}


def explain(outcome: Outcome, lang: Lang) -> str:
    """One or two plain sentences saying why, in ``lang``."""
    return TRIAGE_MESSAGES[(outcome.kind, outcome.reason)][lang]
