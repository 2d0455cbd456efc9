"""Validate a whole application sent in one request, page by page, as the web journey would.

Pure: the API hands in JSON answers (dates as ISO strings, booleans for check boxes); each
page that applies is replayed through the same ``validate_step`` the HTML forms use, so the
two channels cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from northgate.eta.dates import parse_iso
from northgate.eta.questions import QUESTION_SET, QuestionSet
from northgate.eta.results import FieldError
from northgate.eta.validation import _MAX_ECHOED_NAME, form_for, validate_step


@dataclass(frozen=True)
class CleanedApplication:
    answers: dict[str, Any]
    errors: list[FieldError]


def clean_application(
    raw: Mapping[str, Any], today: date, question_set: QuestionSet = QUESTION_SET
) -> CleanedApplication:
    known = question_set.answer_names
    errors = [
        FieldError(name, "unknown-field", {"name": name[:_MAX_ECHOED_NAME]})
        for name in raw
        if name not in known
    ]
    errors += [
        FieldError(field.name, "date-format-iso", {"subject": field.name})
        for step in question_set.steps
        for field in step.fields
        if field.type == "date" and raw.get(field.name) and parse_iso(raw[field.name]) is None
    ]
    cleaned: dict[str, Any] = {}
    # Which pages apply depends on earlier answers, so walk them in order.
    for step in question_set.steps:
        if not step.is_visible(cleaned, today):
            continue
        result = validate_step(step, form_for(step, raw), cleaned, today)
        errors.extend(replace(error, step=step.id) for error in result.errors)
        cleaned.update(result.values)
    return CleanedApplication(cleaned, errors)
