from __future__ import annotations

from typing import Any

import pytest

from northgate.eta.eligibility import (
    REASONS,
    TRIAGE_MESSAGES,
    Outcome,
    TriageAnswers,
    assess,
    explain,
)

# (answers, expected kind, expected reason); between them they cover every reason.
CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"passport_country": "FR", "canadian_status": "citizen"}, "no_eta_needed", "canadian-citizen"),
    ({"passport_country": "CA"}, "no_eta_needed", "canadian-citizen"),
    (
        {"passport_country": "IN", "canadian_status": "permanent_resident"},
        "no_eta_needed",
        "permanent-resident",
    ),
    ({"passport_country": "US"}, "no_eta_needed", "us-citizen"),
    ({"passport_country": "us", "travel_mode": "land"}, "no_eta_needed", "us-citizen"),
    ({"passport_country": "FR", "travel_mode": "land"}, "no_eta_needed", "land-or-sea"),
    ({"passport_country": "GB", "travel_mode": "sea"}, "no_eta_needed", "land-or-sea"),
    (
        {"passport_country": "IN", "has_valid_canadian_visa": True},
        "no_eta_needed",
        "valid-canadian-visa",
    ),
    (
        {"passport_country": "IN", "travel_mode": "land", "has_valid_canadian_visa": True},
        "no_eta_needed",
        "valid-canadian-visa",
    ),
    ({"passport_country": "IN", "us_lawful_permanent_resident": True}, "no_eta_needed", "us-lpr"),
    ({"passport_country": "FR", "us_lawful_permanent_resident": True}, "no_eta_needed", "us-lpr"),
    ({"passport_country": "FR"}, "eta_required", "visa-exempt-air"),
    ({"passport_country": "JP"}, "eta_required", "visa-exempt-air"),
    (
        {"passport_country": "MX", "had_canadian_visa_last_10_years": True},
        "eta_required",
        "eta-eligible-with-visa-history",
    ),
    (
        {"passport_country": "BR", "has_valid_us_nonimmigrant_visa": True},
        "eta_required",
        "eta-eligible-with-visa-history",
    ),
    ({"passport_country": "PH"}, "visa_required", "eta-conditions-not-met"),
    (
        {"passport_country": "MX", "travel_mode": "land", "has_valid_us_nonimmigrant_visa": True},
        "visa_required",
        "eta-conditions-not-met",
    ),
    ({"passport_country": "IN"}, "visa_required", "visa-required-country"),
    ({"passport_country": "NG", "travel_mode": "land"}, "visa_required", "visa-required-country"),
    (
        {"passport_country": "IN", "has_valid_us_nonimmigrant_visa": True},
        "visa_required",
        "visa-required-country",
    ),
    # Order: the earlier check wins.
    ({"passport_country": "US", "canadian_status": "citizen"}, "no_eta_needed", "canadian-citizen"),
    (
        {"passport_country": "US", "canadian_status": "permanent_resident"},
        "no_eta_needed",
        "permanent-resident",
    ),
    (
        {"passport_country": "FR", "travel_mode": "land", "has_valid_canadian_visa": True},
        "no_eta_needed",
        "land-or-sea",
    ),
    (
        {
            "passport_country": "IN",
            "has_valid_canadian_visa": True,
            "us_lawful_permanent_resident": True,
        },
        "no_eta_needed",
        "valid-canadian-visa",
    ),
]


@pytest.mark.parametrize(("given", "kind", "reason"), CASES)
def test_assess(given: dict[str, Any], kind: str, reason: str) -> None:
    answers = TriageAnswers(**{"travel_mode": "air", **given})
    assert assess(answers) == Outcome(kind, reason)  # type: ignore[arg-type]


def test_cases_cover_every_reason() -> None:
    assert {reason for _, _, reason in CASES} == set(REASONS)


def test_every_outcome_is_explained_in_both_languages() -> None:
    assert set(TRIAGE_MESSAGES) == {(kind, reason) for reason, kind in REASONS.items()}
    for kind, reason in TRIAGE_MESSAGES:
        outcome = Outcome(kind, reason)
        english, french = explain(outcome, "en"), outcome.explanation("fr")
        assert english.endswith(".") and french.endswith(".")
        assert english != french
