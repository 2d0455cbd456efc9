from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from northgate.eta.decision import (
    BACKGROUND_QUESTIONS,
    RULES,
    Decision,
    decide,
    eta_number,
    is_eta_number,
    reason_text,
    valid_until,
)
from northgate.eta.references import normalize_reference
from tests.eta.factories import TODAY, adult_answers, minor_answers

FULL_TERM = date(2021, 11, 7)  # 8 Nov 2016 + 5 years - 1 day


def expiring_in(days: int) -> dict[str, Any]:
    return adult_answers(passport_expiry_date=(TODAY + timedelta(days=days)).isoformat())


def test_clean_application_is_approved_for_five_years() -> None:
    assert decide(adult_answers(passport_expiry_date="2030-01-01"), TODAY) == Decision(
        "approved", (), FULL_TERM
    )


@pytest.mark.parametrize(
    ("expiry", "until"),
    [
        (date(2018, 11, 8), date(2018, 11, 8)),  # in 2 years: the passport's expiry
        (FULL_TERM, FULL_TERM),
        (FULL_TERM + timedelta(days=1), FULL_TERM),
        (FULL_TERM - timedelta(days=1), FULL_TERM - timedelta(days=1)),
        (TODAY + timedelta(days=31), TODAY + timedelta(days=31)),
    ],
)
def test_validity_ends_with_the_passport(expiry: date, until: date) -> None:
    decision = decide(adult_answers(passport_expiry_date=expiry.isoformat()), TODAY)
    assert decision.outcome == "approved"
    assert decision.valid_until == until


def test_validity_from_29_february() -> None:
    assert valid_until(date(2016, 2, 29), None) == date(2021, 2, 27)
    assert valid_until(date(2016, 3, 1), None) == date(2021, 2, 28)


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (expiring_in(30), "passport-expires-soon"),
        (expiring_in(1), "passport-expires-soon"),
        (expiring_in(0), "passport-expired"),
        (expiring_in(-400), "passport-expired"),
        (adult_answers(passport_country="IN"), "visa-required-country"),
        (adult_answers(passport_country="US"), "eta-not-required-country"),
        (adult_answers(passport_country="CA"), "eta-not-required-country"),
        (adult_answers(passport_country="MX"), "visa-history-not-met"),
        (
            adult_answers(
                passport_country="MX",
                had_canadian_visa_last_10_years="no",
                has_valid_us_nonimmigrant_visa="no",
            ),
            "visa-history-not-met",
        ),
        (minor_answers(guardian_surname=None), "minor-without-guardian"),
        ({}, "application-incomplete"),
        (adult_answers(passport_expiry_date="soon"), "application-incomplete"),
        *[
            (adult_answers(**{q: "yes", f"{q}_details": "x"}), f"background-yes:{q}")
            for q in BACKGROUND_QUESTIONS
        ],
    ],
)
def test_each_rule_refers_on_its_own(answers: dict[str, Any], reason: str) -> None:
    decision = decide(answers, TODAY)
    assert decision.outcome == "referred"
    assert reason in decision.reasons
    assert decision.valid_until is None
    if answers:
        assert decision.reasons == (reason,)


def test_background_questions_come_from_the_question_set() -> None:
    assert BACKGROUND_QUESTIONS == (
        "previous_refusal",
        "criminal_offence",
        "tuberculosis",
        "medical_condition",
    )
    assert len(RULES) == 4 + len(BACKGROUND_QUESTIONS)


@pytest.mark.parametrize(
    "answers",
    [
        adult_answers(passport_country="MX", had_canadian_visa_last_10_years="yes"),
        adult_answers(passport_country="BR", has_valid_us_nonimmigrant_visa="yes"),
        minor_answers(passport_expiry_date="2019-01-10"),
    ],
)
def test_conditions_met_are_approved(answers: dict[str, Any]) -> None:
    assert decide(answers, TODAY).outcome == "approved"


def test_all_reasons_are_collected_in_rule_order() -> None:
    answers = adult_answers(passport_country="IN", criminal_offence="yes", tuberculosis="yes")
    answers["passport_expiry_date"] = "2016-11-20"
    assert decide(answers, TODAY).reasons == (
        "passport-expires-soon",
        "visa-required-country",
        "background-yes:criminal_offence",
        "background-yes:tuberculosis",
    )


def test_every_reason_has_text() -> None:
    reasons = [
        "application-incomplete",
        "passport-expired",
        "passport-expires-soon",
        "visa-required-country",
        "eta-not-required-country",
        "visa-history-not-met",
        "minor-without-guardian",
        *(f"background-yes:{q}" for q in BACKGROUND_QUESTIONS),
    ]
    for reason in reasons:
        assert reason_text(reason, "en") != reason_text(reason, "fr")


def test_eta_numbers() -> None:
    number = eta_number()
    assert re.fullmatch(r"A\d{10}", number)
    assert is_eta_number(number) and is_eta_number(number.lower())
    assert normalize_reference(number) is None  # never mistaken for an application reference
    for i in range(1, 11):
        wrong = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
        assert not is_eta_number(wrong)
    assert not is_eta_number("B" + number[1:])
    assert not is_eta_number(number + "0")


def test_eta_numbers_use_injected_randomness_without_bias() -> None:
    # Bytes 250-255 are skipped: 255 then 7 gives the digit 7.
    stream = iter([bytes([255] * 16), bytes(range(1, 17))])
    number = eta_number(lambda n: next(stream)[:n])
    assert number[:10] == "A123456789"
    assert is_eta_number(number)
