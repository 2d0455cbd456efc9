"""Calendar arithmetic shared by the show-if conditions, validation and the decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

MINOR_BELOW_AGE = 18


def age_on(born: date, today: date) -> int:
    """Completed years. Someone born on 29 February turns a year older on 1 March in
    common years: they have not yet lived through 29 February."""
    before_birthday = (today.month, today.day) < (born.month, born.day)
    return today.year - born.year - int(before_birthday)


def add_years(start: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def parse_iso(value: Any) -> date | None:
    """A stored ISO date (``"2001-02-03"``), or None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def is_minor(answers: Mapping[str, Any], today: date) -> bool:
    """Under 18 today, from the date of birth given as in the passport; unknown → False."""
    born = parse_iso(answers.get("date_of_birth"))
    return born is not None and age_on(born, today) < MINOR_BELOW_AGE
