"""Validate one page of the application, or the whole application before submission.

``validate_step`` checks what a page posted: only that page's own inputs are accepted,
each field is cleaned by its type (see ``cleaning``), then the checks that compare fields
run (date order across pages, the signature against the name given, the answers that
contradict each other in ``cross_checks``). Nothing raises on bad input: every problem is
a ``FieldError`` with a stable code and a message in ``messages.toml``, worded for whoever
the application is about (``voice_of``).

``validate_application`` replays every page that applies through the same checks, so the
rules cannot drift between "save this page" and "submit".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from northgate.eta.cleaning import CLEANERS, read_date
from northgate.eta.cross_checks import CROSS_CHECKS
from northgate.eta.dates import parse_iso
from northgate.eta.question_model import voice_of
from northgate.eta.questions import QUESTION_SET, Field, QuestionSet, Step
from northgate.eta.results import FieldError, StepResult
from northgate.eta.text import fold

__all__ = [
    "FieldError",
    "StepResult",
    "form_for",
    "signature_matches",
    "signer_name",
    "validate_application",
    "validate_step",
]

# Echoed back in a message: a forged form could post a name of any length.
_MAX_ECHOED_NAME = 40
# Date rules relative to today. When such a date is also on the wrong side of another
# date ("expires" before "issued"), the comparison is the more useful message.
_TODAY_RULES = frozenset(
    {"date-must-not-be-future", "date-must-be-future", "date-must-not-be-past"}
)


def validate_step(
    step: Step, form: Mapping[str, str], answers: Mapping[str, Any], today: date
) -> StepResult:
    """Check what ``step``'s page posted. ``form`` holds only the page's own inputs (the web
    layer strips its CSRF and version fields first); ``answers`` are those saved so far."""
    result = StepResult()
    for field in step.fields:
        CLEANERS[field.type](field, form, today, result)
    for field in step.fields:
        if field.name in result.values and result.values[field.name] is not None:
            if field.type == "date":
                _check_date_order(field, step, result, answers)
            elif field.format == "signature":
                _check_signature(field, result, answers)
        elif field.type == "date":
            _prefer_date_order(field, step, form, result, answers)
    _run_cross_checks(step, result, answers, today)
    allowed = step.input_names
    for name in form:
        if name not in allowed:
            shown = name[:_MAX_ECHOED_NAME]
            result.errors.append(FieldError(name, "unknown-field", {"name": shown}))
    if voice_of({**answers, **result.values}) == "other":
        result.errors = [replace(e, voice="other") for e in result.errors]
        result.warnings = [replace(w, voice="other") for w in result.warnings]
    return result


def _date_order_error(
    field: Field, value: date, step: Step, result: StepResult, answers: Mapping[str, Any]
) -> FieldError | None:
    for others, code in (
        (field.before, "date-must-be-before"),
        (field.after, "date-must-be-after"),
    ):
        for other in others:
            # A date on this page wins over a saved one: the applicant may be correcting it.
            saved = result.values.get(other) if step.field(other) else answers.get(other)
            other_value = parse_iso(saved)
            if other_value is None:
                continue
            wrong = value >= other_value if code == "date-must-be-before" else value <= other_value
            if wrong:
                return FieldError(
                    field.part_name("day"), code, {"subject": field.name, "other": other}
                )
    return None


def _check_date_order(
    field: Field, step: Step, result: StepResult, answers: Mapping[str, Any]
) -> None:
    value = date.fromisoformat(result.values[field.name])
    error = _date_order_error(field, value, step, result, answers)
    if error is not None:
        del result.values[field.name]
        result.errors.append(error)


def _prefer_date_order(
    field: Field,
    step: Step,
    form: Mapping[str, str],
    result: StepResult,
    answers: Mapping[str, Any],
) -> None:
    """A real date refused only for its place relative to today: if it is also out of
    order with another date, say that instead (the cause, not a symptom)."""
    index = next(
        (i for i, e in enumerate(result.errors) if e.params.get("subject") == field.name), None
    )
    if index is None or result.errors[index].code not in _TODAY_RULES:
        return
    value = read_date(field, form, StepResult())
    if value is None:
        return
    error = _date_order_error(field, value, step, result, answers)
    if error is not None:
        result.errors[index] = error


def _run_cross_checks(
    step: Step, result: StepResult, answers: Mapping[str, Any], today: date
) -> None:
    """Answers that contradict each other across questions (see ``cross_checks``): the
    error goes on this page's answer, which is then not saved."""
    # This page's answers come from what it posted, never from what was saved before:
    # an answer refused just now must not be compared in its older form.
    merged: dict[str, Any] | None = None  # built for the first check that applies only
    for check in CROSS_CHECKS:
        on_page = [name for name in check.codes if step.field(name) is not None]
        if not on_page or not all(result.values.get(name) is not None for name in on_page):
            continue
        if merged is None:
            own = set(step.answer_names)
            merged = {k: v for k, v in answers.items() if k not in own} | result.values
        params = check.problem(merged, today)
        if params is None:
            continue
        name = on_page[0]
        field = step.field(name)
        assert field is not None
        for other in on_page:
            del result.values[other]
        result.errors.append(FieldError(field.focus_id, check.codes[name], params))


def signer_name(answers: Mapping[str, Any]) -> str | None:
    """The name the declaration must be signed with: the representative's when applying
    for someone else, else the applicant's; given names first. None if not given yet."""
    prefix = "representative_" if answers.get("applying_for") == "other" else ""
    surname = answers.get(f"{prefix}surname")
    given = answers.get(f"{prefix}given_names")
    if not isinstance(surname, str) or not surname:
        return None
    return f"{given} {surname}" if isinstance(given, str) and given else surname


def _name_key(name: str) -> str:
    # Case, accents and the kind of apostrophe do not matter; a hyphen typed as a space
    # ("Jean Pierre" for "Jean-Pierre") is the same name to a person checking it.
    return " ".join(fold(name).replace("-", " ").split())


def signature_matches(signature: str, answers: Mapping[str, Any]) -> bool:
    expected = signer_name(answers)
    if expected is None:
        return True  # nothing to compare with yet; validate_application checks it again
    prefix = "representative_" if answers.get("applying_for") == "other" else ""
    surname, given = answers.get(f"{prefix}surname"), answers.get(f"{prefix}given_names")
    typed = _name_key(signature)
    # Surname first, as on the passport's data page, is also accepted.
    accepted = {_name_key(expected), _name_key(f"{surname} {given or ''}")}
    return typed in accepted


def _check_signature(field: Field, result: StepResult, answers: Mapping[str, Any]) -> None:
    signature = result.values[field.name]
    if not signature_matches(signature, answers):
        del result.values[field.name]
        expected = signer_name(answers) or ""
        result.errors.append(FieldError(field.name, "signature-mismatch", {"name": expected}))


def form_for(step: Step, answers: Mapping[str, Any]) -> dict[str, str]:
    """The form that would post ``answers`` for ``step``: to prefill a page, and to replay
    saved answers through ``validate_step``. Confirmation inputs repeat the value."""
    form: dict[str, str] = {}
    for field in step.fields:
        value = answers.get(field.name)
        if value is None or value == "" or value is False:
            continue
        if field.type == "date":
            parsed = parse_iso(value)
            if parsed is not None:
                parts = (str(parsed.day), str(parsed.month), f"{parsed.year:04d}")
                form.update(zip(field.input_names, parts, strict=True))
        elif field.type == "checkbox":
            if value is True:  # only the saved form counts as ticked, as in is_answered
                form[field.name] = "yes"
        else:
            form[field.name] = str(value)
            if field.type in ("email", "passport_number"):
                form[field.confirm_name] = str(value)
            details = answers.get(field.details_name)
            if field.type == "yes_no_details" and isinstance(details, str):
                form[field.details_name] = details
    return form


def validate_application(
    answers: Mapping[str, Any], today: date, question_set: QuestionSet = QUESTION_SET
) -> list[FieldError]:
    """Every problem in the application as it would be submitted: each page that applies
    must be complete and valid (a minor without a parent or guardian fails here); answers
    left on pages that no longer apply are ignored. Each error names its ``step``."""
    relevant = question_set.visible_answers(answers, today)
    errors: list[FieldError] = []
    for step in question_set.visible_steps(answers, today):
        result = validate_step(step, form_for(step, relevant), relevant, today)
        errors.extend(replace(error, step=step.id) for error in result.errors)
    return errors
