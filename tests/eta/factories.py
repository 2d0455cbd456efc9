"""Complete, valid applications to start each test from, and small helpers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from northgate.eta.questions import QUESTION_SET, Step
from northgate.eta.validation import StepResult, validate_step

# The night the site fell over (INCIDENT.md): every test runs on this date.
TODAY = date(2016, 11, 8)


def adult_answers(**changes: Any) -> dict[str, Any]:
    """A British adult applying for herself; every page that applies is answered."""
    answers: dict[str, Any] = {
        "applying_for": "myself",
        "document_type": "ordinary",
        "passport_number": "123456789",
        "passport_country": "GB",
        "passport_issue_date": "2012-05-01",
        "passport_expiry_date": "2022-05-01",
        "surname": "O’Brien-Dupré",
        "given_names": "Zoë Anne",
        "date_of_birth": "1980-02-29",
        "sex": "F",
        "birth_country": "IE",
        "birth_city": "Cork",
        "has_other_citizenship": "no",
        "marital_status": "married",
        "occupation": "health",
        "job_title": "Nurse",
        "employer": "St Thomas’ Hospital",
        "work_country": "GB",
        "work_since_year": 2005,
        "correspondence_language": "en",
        "email": "zoe@example.com",
        "address_street": "1 High Street",
        "address_city": "London",
        "address_country": "GB",
        "address_postal_code": "SW1A 1AA",
        "travel_date_known": "no",
        "previous_refusal": "no",
        "previous_refusal_details": None,
        "criminal_offence": "no",
        "criminal_offence_details": None,
        "tuberculosis": "no",
        "tuberculosis_details": None,
        "medical_condition": "no",
        "medical_condition_details": None,
        "consent": True,
        "signature": "Zoë Anne O’Brien-Dupré",
    }
    answers.update(changes)
    return answers


def minor_answers(**changes: Any) -> dict[str, Any]:
    """A 10-year-old, with a parent named."""
    answers = adult_answers(
        date_of_birth="2006-06-15",
        passport_issue_date="2014-01-10",
        passport_expiry_date="2019-01-10",
        marital_status="never_married",
        occupation="student",
        job_title="Student",
        employer="École Jules-Ferry",
        work_since_year=2012,
        guardian_surname="O’Brien-Dupré",
        guardian_given_names="Marie",
        guardian_relationship="parent",
        signature="Zoë Anne O’Brien-Dupré",
    )
    answers.update(changes)
    return answers


def step(step_id: str) -> Step:
    found = QUESTION_SET.step(step_id)
    assert found is not None, step_id
    return found


def run(
    step_id: str,
    form: Mapping[str, str],
    answers: Mapping[str, Any] | None = None,
    today: date = TODAY,
) -> StepResult:
    return validate_step(step(step_id), form, answers or {}, today)


def codes(result: StepResult) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in result.errors]
