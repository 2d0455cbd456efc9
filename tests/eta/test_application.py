"""``validate_application``: the whole application, as it would be submitted."""

from __future__ import annotations

from northgate.eta.validation import validate_application
from tests.eta.factories import TODAY, adult_answers, minor_answers


def problems(answers: dict[str, object]) -> list[tuple[str | None, str, str]]:
    return [(e.step, e.field, e.code) for e in validate_application(answers, TODAY)]


def test_complete_applications_pass() -> None:
    assert problems(adult_answers()) == []
    assert problems(minor_answers()) == []


def test_minor_without_guardian_fails() -> None:
    answers = minor_answers(guardian_surname=None, guardian_relationship=None)
    assert problems(answers) == [
        ("parent-or-guardian", "guardian_surname", "missing:guardian_surname"),
        ("parent-or-guardian", "guardian_relationship", "missing:guardian_relationship"),
    ]


def test_empty_application_lists_every_required_answer_of_the_pages_that_apply() -> None:
    found = problems({})
    assert found[0] == ("who-is-applying", "applying_for", "missing:applying_for")
    assert ("declaration", "consent", "missing:consent") in found
    assert all(code.startswith("missing:") for _, _, code in found)


def test_answers_of_pages_that_no_longer_apply_are_ignored() -> None:
    answers = adult_answers(
        representative_relationship="paid",
        representative_surname="N0t a name",
        representative_email="broken",
        guardian_surname="!!",
        job_title="x" * 500,
        occupation="retired",
    )
    assert problems(answers) == []


def test_switching_to_someone_else_needs_the_representative() -> None:
    answers = adult_answers(applying_for="other")
    steps = {step for step, _, _ in problems(answers)}
    assert steps == {"your-relationship", "your-details"}
    # The declaration is now signed by the representative, not the applicant.
    assert ("declaration", "signature", "signature-mismatch") in problems(
        adult_answers(
            applying_for="other",
            representative_relationship="unpaid",
            representative_surname="Tremblay",
            representative_email="eric@example.com",
        )
    )


def test_saved_values_are_checked_again() -> None:
    assert problems(adult_answers(sex="Q")) == [("sex", "sex", "option-invalid")]
    assert problems(adult_answers(passport_issue_date="1979-12-31")) == [
        ("passport-dates", "passport_issue_date-day", "date-must-be-after"),
        ("date-of-birth", "date_of_birth-day", "date-must-be-before"),
    ]
    assert problems(adult_answers(passport_expiry_date="2016-11-08")) == [
        ("passport-dates", "passport_expiry_date-day", "date-must-be-future"),
    ]
    assert problems(adult_answers(consent="yes")) == [
        ("declaration", "consent", "missing:consent"),
    ]


def test_follow_up_pages_must_be_answered() -> None:
    assert problems(adult_answers(has_other_citizenship="yes")) == [
        (
            "other-citizenship-country",
            "other_citizenship_country",
            "missing:other_citizenship_country",
        ),
    ]
    assert problems(adult_answers(passport_country="MX", signature="Zoë Anne O’Brien-Dupré")) == [
        (
            "visa-history",
            "had_canadian_visa_last_10_years",
            "missing:had_canadian_visa_last_10_years",
        ),
        (
            "visa-history",
            "has_valid_us_nonimmigrant_visa",
            "missing:has_valid_us_nonimmigrant_visa",
        ),
    ]
