"""Checks that compare answers from different questions, beyond date order.

Each check reads a few answers (from this page or saved from earlier ones) and says
whether they can all be true at once. It runs on every page that asks one of the answers
it is about, so the applicant hears about a contradiction where they can fix it: a check
between the relationship page and the date of birth fires on whichever of the two is
posted second, and again on "check your answers" through ``validate_application``.

Pure functions of the answers: no clock beyond ``today``, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from northgate.eta.dates import MINOR_BELOW_AGE, add_years, age_on, parse_iso

# Passports are issued for at most 10 years almost everywhere (ICAO Doc 9303 leaves the
# period to each state; the US, the EU states, the UK, Australia and Japan all stop at 10).
# The UK used to add up to 9 months left on the old passport to a 10-year renewal, so a
# genuine passport can run to 10 years and 9 months: 11 years leaves that margin and still
# catches a year typed wrong (2049 for 2029), which would give an eTA that outlives it.
MAX_PASSPORT_VALIDITY_YEARS = 11
# Few countries let anyone work before 14 (ILO Convention 138 sets 15, 14 for developing
# economies); a start year before then is almost always a typo in the year.
MIN_WORKING_AGE = 14
# Studies start long before 14, so the job page's start year is not checked for students.
_STUDENT = "student"

Params = dict[str, str]


@dataclass(frozen=True)
class CrossCheck:
    """``codes`` maps each answer this check is about to the message shown on its page,
    in the order of preference when one page asks several of them."""

    codes: Mapping[str, str]
    problem: Callable[[Mapping[str, Any], date], Params | None]


def _birth_year_plus(answers: Mapping[str, Any], years: int) -> int | None:
    born = parse_iso(answers.get("date_of_birth"))
    return None if born is None else born.year + years


def _adult_said_to_be_a_child(answers: Mapping[str, Any], today: date) -> Params | None:
    if answers.get("applying_for") != "other":
        return None
    if answers.get("representative_relationship") != "parent_guardian":
        return None
    born = parse_iso(answers.get("date_of_birth"))
    if born is None or age_on(born, today) < MINOR_BELOW_AGE:
        return None
    return {"age": str(MINOR_BELOW_AGE)}


def _passport_valid_too_long(answers: Mapping[str, Any], today: date) -> Params | None:
    issued = parse_iso(answers.get("passport_issue_date"))
    expires = parse_iso(answers.get("passport_expiry_date"))
    if issued is None or expires is None:
        return None
    if expires <= add_years(issued, MAX_PASSPORT_VALIDITY_YEARS):
        return None
    return {"years": str(MAX_PASSPORT_VALIDITY_YEARS)}


def _started_work_as_a_child(answers: Mapping[str, Any], today: date) -> Params | None:
    started = answers.get("work_since_year")
    earliest = _birth_year_plus(answers, MIN_WORKING_AGE)
    if not isinstance(started, int) or earliest is None or answers.get("occupation") == _STUDENT:
        return None
    # By the birth year alone: someone born in December who started in January of the
    # year they turn 14 is let through, which a check on years only cannot tell apart.
    if started >= earliest:
        return None
    return {"subject": "work_since_year", "year": str(earliest), "age": str(MIN_WORKING_AGE)}


def _other_citizenship_is_the_passport(answers: Mapping[str, Any], today: date) -> Params | None:
    other, passport = answers.get("other_citizenship_country"), answers.get("passport_country")
    if answers.get("has_other_citizenship") != "yes" or other is None or other != passport:
        return None
    return {}


CROSS_CHECKS: tuple[CrossCheck, ...] = (
    CrossCheck(
        {
            "date_of_birth": "date-of-birth-not-a-minor",
            "representative_relationship": "relationship-applicant-not-a-minor",
        },
        _adult_said_to_be_a_child,
    ),
    CrossCheck({"passport_expiry_date": "passport-validity-too-long"}, _passport_valid_too_long),
    CrossCheck({"work_since_year": "work-started-too-young"}, _started_work_as_a_child),
    CrossCheck(
        {"other_citizenship_country": "other-citizenship-same-as-passport"},
        _other_citizenship_is_the_passport,
    ),
)
