"""Answers that cannot all be true: an adult "child", a 30-year passport, a job started at
six, an expiry before the issue date. Each is refused on the page where it can be fixed,
with a message that names the other answer, and again before submission."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from northgate.eta.cross_checks import MAX_PASSPORT_VALIDITY_YEARS, MIN_WORKING_AGE
from northgate.eta.dates import add_years, age_on
from northgate.eta.validation import validate_application
from tests.eta.factories import TODAY, adult_answers, codes, minor_answers, run

PARENT = {"applying_for": "other", "representative_relationship": "parent_guardian"}


def dob(moment: date) -> dict[str, str]:
    return {
        "date_of_birth-day": str(moment.day),
        "date_of_birth-month": str(moment.month),
        "date_of_birth-year": f"{moment.year:04d}",
    }


def passport_dates(issued: date, expires: date) -> dict[str, str]:
    form: dict[str, str] = {}
    for name, moment in (("passport_issue_date", issued), ("passport_expiry_date", expires)):
        form |= {
            f"{name}-day": str(moment.day),
            f"{name}-month": str(moment.month),
            f"{name}-year": f"{moment.year:04d}",
        }
    return form


def problems(answers: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    return [(e.step, e.field, e.code) for e in validate_application(answers, TODAY)]


# --- A parent or guardian of a child under 18 --------------------------------------------


def test_an_adult_is_not_accepted_as_the_child_of_a_parent_applying() -> None:
    result = run("date-of-birth", dob(date(1980, 1, 1)), PARENT)
    assert codes(result) == [("date_of_birth-day", "date-of-birth-not-a-minor")]
    assert "date_of_birth" not in result.values
    assert result.errors[0].message("en").startswith("The applicant must be under 18")
    assert "moins de 18 ans" in result.errors[0].message("fr")


def test_the_relationship_page_refuses_parent_when_the_saved_birth_date_is_an_adult() -> None:
    saved = {"applying_for": "other", "date_of_birth": "1980-01-01"}
    result = run("your-relationship", {"representative_relationship": "parent_guardian"}, saved)
    assert codes(result) == [("representative_relationship", "relationship-applicant-not-a-minor")]
    assert run("your-relationship", {"representative_relationship": "unpaid"}, saved).ok


def test_a_child_a_day_before_18_passes_and_on_the_birthday_does_not() -> None:
    eighteenth = date(1998, 11, 9)  # turns 18 the day after TODAY
    assert run("date-of-birth", dob(eighteenth), PARENT).ok
    on_birthday = date(1998, 11, 8)
    assert not run("date-of-birth", dob(on_birthday), PARENT).ok


def test_applying_for_yourself_or_as_a_helper_has_no_age_limit() -> None:
    assert run("date-of-birth", dob(date(1980, 1, 1)), {"applying_for": "myself"}).ok
    helper = {"applying_for": "other", "representative_relationship": "unpaid"}
    assert run("date-of-birth", dob(date(1980, 1, 1)), helper).ok


def test_submission_catches_an_adult_child_saved_before_the_relationship_changed() -> None:
    answers = adult_answers(
        applying_for="other",
        representative_relationship="parent_guardian",
        representative_surname="Dupré",
        representative_given_names="Marie",
        representative_email="marie@example.com",
        signature="Marie Dupré",
    )
    assert ("date-of-birth", "date_of_birth-day", "date-of-birth-not-a-minor") in problems(answers)


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_parent_applications_accept_exactly_the_under_18s(born: date) -> None:
    result = run("date-of-birth", dob(born), PARENT)
    refused = ("date_of_birth-day", "date-of-birth-not-a-minor") in codes(result)
    assert refused == (age_on(born, TODAY) >= 18 and age_on(born, TODAY) < 120)


# --- Passport dates --------------------------------------------------------------------------


def test_expiry_before_issue_names_the_issue_date_not_the_future() -> None:
    result = run("passport-dates", passport_dates(date(2015, 1, 1), date(2014, 1, 1)))
    assert codes(result) == [("passport_expiry_date-day", "date-must-be-after")]
    assert result.errors[0].message("en") == (
        "Passport expiry date must be after the passport issue date"
    )
    assert result.errors[0].message("fr") == (
        "La date d’expiration du passeport doit être postérieure à la date de délivrance "
        "du passeport"
    )


def test_an_expired_passport_in_order_still_says_it_must_be_in_the_future() -> None:
    result = run("passport-dates", passport_dates(date(2005, 1, 1), date(2015, 1, 1)))
    assert codes(result) == [("passport_expiry_date-day", "date-must-be-future")]


def test_a_30_year_passport_is_refused() -> None:
    result = run("passport-dates", passport_dates(date(2010, 1, 1), date(2040, 1, 1)))
    assert codes(result) == [("passport_expiry_date-day", "passport-validity-too-long")]
    assert result.values == {"passport_issue_date": "2010-01-01"}
    assert "11 years after the date of issue" in result.errors[0].message("en")
    assert "11 ans après la date de délivrance" in result.errors[0].message("fr")


def test_a_uk_renewal_with_carried_over_months_passes() -> None:
    assert run("passport-dates", passport_dates(date(2016, 1, 4), date(2026, 10, 4))).ok


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=TODAY),
    st.integers(min_value=1, max_value=30 * 366),
)
def test_passport_validity_is_refused_exactly_beyond_the_limit(issued: date, days: int) -> None:
    expires = issued + timedelta(days=days)
    result = run("passport-dates", passport_dates(issued, expires))
    too_long = expires > add_years(issued, MAX_PASSPORT_VALIDITY_YEARS)
    if expires <= TODAY:
        assert [c for _, c in codes(result)] == ["date-must-be-future"]
    else:
        assert (codes(result) != []) == too_long


# --- Job and studies ---------------------------------------------------------------------------


def job(year: int) -> dict[str, str]:
    return {
        "job_title": "Nurse",
        "employer": "NHS",
        "work_country": "GB",
        "work_since_year": str(year),
    }


def test_a_job_started_before_14_is_refused() -> None:
    born = {"date_of_birth": "1980-02-29", "occupation": "health"}
    result = run("job", job(1990), born)
    assert codes(result) == [("work_since_year", "work-started-too-young")]
    assert result.errors[0].message("en").startswith("Year you started must be 1994 or later")
    assert result.errors[0].message("fr").startswith("L’année de début doit être 1994")
    assert run("job", job(1994), born).ok


def test_studies_may_start_young() -> None:
    assert run("job", job(2012), {"date_of_birth": "2006-06-15", "occupation": "student"}).ok
    assert problems(minor_answers()) == []


@given(st.integers(min_value=1900, max_value=2016), st.integers(min_value=1900, max_value=2016))
def test_work_start_is_checked_against_the_birth_year(born: int, started: int) -> None:
    answers = {"date_of_birth": f"{born}-06-01", "occupation": "management"}
    refused = codes(run("job", job(started), answers)) == [
        ("work_since_year", "work-started-too-young")
    ]
    assert refused == (started < born + MIN_WORKING_AGE)


# --- Other dates and countries ------------------------------------------------------------


def test_travel_date_after_the_passport_expires_is_refused() -> None:
    travel = {"travel_date-day": "1", "travel_date-month": "6", "travel_date-year": "2022"}
    result = run("travel-date", travel, {"passport_expiry_date": "2022-05-01"})
    assert codes(result) == [("travel_date-day", "date-must-be-before")]
    assert result.errors[0].message("en") == ("Travel date must be before the passport expiry date")


def test_other_citizenship_cannot_be_the_passport_country() -> None:
    saved = {"passport_country": "GB", "has_other_citizenship": "yes"}
    result = run("other-citizenship-country", {"other_citizenship_country": "GB"}, saved)
    assert codes(result) == [("other_citizenship_country", "other-citizenship-same-as-passport")]
    assert run("other-citizenship-country", {"other_citizenship_country": "IE"}, saved).ok


def test_the_valid_adult_application_passes_every_check() -> None:
    assert problems(adult_answers()) == []
