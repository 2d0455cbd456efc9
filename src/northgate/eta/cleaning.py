"""Field by field: turn what a form posted into a clean answer, or say what is wrong.

One function per field type. Each reads its own inputs from the form, and either stores
the cleaned value in ``result.values`` or adds errors naming the input to focus. Checks
that compare fields with each other (date order, signature) live in ``validation``.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date

from email_validator import EmailNotValidError, validate_email

from northgate.eta.countries import COUNTRIES
from northgate.eta.dates import age_on
from northgate.eta.questions import DATE_PARTS, DETAILS_MAX_LENGTH, Field
from northgate.eta.results import FieldError, StepResult

Form = Mapping[str, str]
Cleaner = Callable[[Field, Form, date, StepResult], None]

PASSPORT_NUMBER = re.compile(r"[A-Z0-9]{4,20}")
USUAL_PASSPORT_LENGTHS = range(6, 10)
# Spaces and hyphens are how people group long numbers; they are not part of it.
PASSPORT_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]+")
NAME_PUNCTUATION = frozenset(" -'’")
EARLIEST_YEAR = 1900
CHECKED_VALUES = frozenset({"yes", "on"})  # "on" is what a checkbox without value sends

_WHITESPACE = re.compile(r"\s+")
# Control characters break e-mails and PostgreSQL (which refuses NUL); lone surrogates
# cannot even be encoded. Neither belongs in an answer.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs"})


def _raw(form: Form, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _forbidden(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(c) in _FORBIDDEN_CATEGORIES and c not in allowed for c in text)


def single_line(text: str) -> str:
    """NFC, trimmed, runs of whitespace (tabs, no-break spaces) collapsed to one space."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def is_name(text: str) -> bool:
    """Letters of any script (with their accents), spaces, hyphens and apostrophes."""
    return all(unicodedata.category(c)[0] in "LM" or c in NAME_PUNCTUATION for c in text)


def _missing(field: Field, result: StepResult) -> None:
    if field.required:
        result.error(field.focus_id, f"missing:{field.name}")
    else:
        result.values[field.name] = None


def clean_text(field: Field, form: Form, today: date, result: StepResult) -> None:
    raw = _raw(form, field.name)
    if _forbidden(raw, allowed="\t\n\r" if field.type == "textarea" else "\t"):
        result.error(field.name, "invalid-characters", subject=field.name)
        return
    if field.type == "textarea":
        value = unicodedata.normalize("NFC", raw.replace("\r\n", "\n")).strip()
    else:
        value = single_line(raw)
    if not value:
        _missing(field, result)
    elif field.max_length is not None and len(value) > field.max_length:
        result.error(field.name, "too-long", subject=field.name, max=str(field.max_length))
    elif field.format in ("name", "signature") and not is_name(value):
        # The machine-readable zone spells every name in A-Z: the applicant can copy it.
        result.error(field.name, "name-invalid-characters", subject=field.name)
    elif field.format in ("name", "signature") and not any(c.isalpha() for c in value):
        result.error(field.name, "name-needs-letter", subject=field.name)
    else:
        result.values[field.name] = value


def normalize_passport_number(text: str) -> str:
    return PASSPORT_SEPARATORS.sub("", text).upper()


def clean_passport_number(field: Field, form: Form, today: date, result: StepResult) -> None:
    raw = _raw(form, field.name)
    value = normalize_passport_number(raw)
    if not value:
        _missing(field, result)
        return
    if not PASSPORT_NUMBER.fullmatch(value):
        result.error(field.name, "passport-number-invalid")
        return
    confirm = normalize_passport_number(_raw(form, field.confirm_name))
    if not confirm:
        result.error(field.confirm_name, "passport-number-confirm-missing")
        return
    if confirm != value:
        result.error(field.confirm_name, "passport-number-mismatch")
        return
    if len(value) not in USUAL_PASSPORT_LENGTHS:
        result.warnings.append(
            FieldError(field.name, "passport-number-unusual-length", {"length": str(len(value))})
        )
    result.values[field.name] = value


def clean_email(field: Field, form: Form, today: date, result: StepResult) -> None:
    raw = _raw(form, field.name).strip()
    if not raw:
        _missing(field, result)
        return
    if field.max_length is not None and len(raw) > field.max_length:
        result.error(field.name, "too-long", subject=field.name, max=str(field.max_length))
        return
    try:
        value = validate_email(raw, check_deliverability=False).normalized
    except (EmailNotValidError, UnicodeError):
        result.error(field.name, "email-invalid")
        return
    confirm = _raw(form, field.confirm_name).strip()
    if not confirm:
        result.error(field.confirm_name, "email-confirm-missing")
        return
    # An invalid confirmation is compared as typed: it cannot match a valid address.
    with contextlib.suppress(EmailNotValidError, UnicodeError):
        confirm = validate_email(confirm, check_deliverability=False).normalized
    if confirm.casefold() != value.casefold():
        result.error(field.confirm_name, "email-mismatch")
        return
    result.values[field.name] = value


_MISSING_DATE_PARTS: Mapping[tuple[str, ...], str] = {
    ("day",): "date-missing-day",
    ("month",): "date-missing-month",
    ("year",): "date-missing-year",
    ("day", "month"): "date-missing-day-month",
    ("day", "year"): "date-missing-day-year",
    ("month", "year"): "date-missing-month-year",
}


def read_date(field: Field, form: Form, result: StepResult) -> date | None:
    """The date typed in three boxes, or None after recording why it is not one."""
    parts = {part: single_line(_raw(form, field.part_name(part))) for part in DATE_PARTS}
    missing = tuple(part for part in DATE_PARTS if not parts[part])
    if len(missing) == len(DATE_PARTS):
        _missing(field, result)
        return None
    if missing:
        code = _MISSING_DATE_PARTS[missing]
        result.error(field.part_name(missing[0]), code, subject=field.name)
        return None
    for part in DATE_PARTS:
        if not (parts[part].isascii() and parts[part].isdigit()):
            result.error(field.part_name(part), "date-not-real", subject=field.name)
            return None
    if len(parts["year"]) != 4:
        result.error(field.part_name("year"), "date-year-four-digits", subject=field.name)
        return None
    day, month, year = (int(parts[part]) for part in DATE_PARTS)
    if not 1 <= month <= 12:
        result.error(field.part_name("month"), "date-not-real", subject=field.name)
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 31 February, day 0, year 0000
        focus = "year" if year < 1 else "day"
        result.error(field.part_name(focus), "date-not-real", subject=field.name)
        return None


def clean_date(field: Field, form: Form, today: date, result: StepResult) -> None:
    value = read_date(field, form, result)
    if value is None:
        return
    focus = field.part_name("day")
    if field.not_future and value > today:
        result.error(focus, "date-must-not-be-future", subject=field.name)
    elif field.future and value <= today:
        result.error(focus, "date-must-be-future", subject=field.name)
    elif field.not_past and value < today:
        result.error(focus, "date-must-not-be-past", subject=field.name)
    elif field.max_age_years is not None and age_on(value, today) >= field.max_age_years:
        result.error(
            field.part_name("year"),
            "date-too-long-ago",
            subject=field.name,
            years=str(field.max_age_years),
        )
    else:
        result.values[field.name] = value.isoformat()


def clean_year(field: Field, form: Form, today: date, result: StepResult) -> None:
    raw = single_line(_raw(form, field.name))
    if not raw:
        _missing(field, result)
    elif not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        result.error(field.name, "year-invalid", subject=field.name)
    elif not EARLIEST_YEAR <= int(raw) <= today.year:
        result.error(
            field.name,
            "year-out-of-range",
            subject=field.name,
            min=str(EARLIEST_YEAR),
            max=str(today.year),
        )
    else:
        result.values[field.name] = int(raw)


def clean_country(field: Field, form: Form, today: date, result: StepResult) -> None:
    code = _raw(form, field.name).strip().upper()
    if not code:
        _missing(field, result)
    elif code not in COUNTRIES:
        result.error(field.name, "country-unknown")
    else:
        result.values[field.name] = code


def clean_choice(field: Field, form: Form, today: date, result: StepResult) -> None:
    value = _raw(form, field.name).strip()
    if not value:
        _missing(field, result)
    elif value not in field.option_values:
        result.error(field.name, "option-invalid")
    else:
        result.values[field.name] = value


def clean_checkbox(field: Field, form: Form, today: date, result: StepResult) -> None:
    value = _raw(form, field.name).strip()
    if not value:
        if field.required:
            result.error(field.name, f"missing:{field.name}")
        else:
            result.values[field.name] = False
    elif value not in CHECKED_VALUES:
        result.error(field.name, "option-invalid")
    else:
        result.values[field.name] = True


def clean_yes_no_details(field: Field, form: Form, today: date, result: StepResult) -> None:
    clean_choice(field, form, today, result)
    answer = result.values.get(field.name)
    if answer != "yes":
        if answer is not None:
            # Clears details saved from an earlier "yes".
            result.values[field.details_name] = None
        return
    raw = _raw(form, field.details_name)
    details = unicodedata.normalize("NFC", raw.replace("\r\n", "\n")).strip()
    if _forbidden(details, allowed="\t\n\r"):
        result.error(field.details_name, "details-invalid-characters")
    elif not details:
        result.error(field.details_name, "details-missing")
    elif len(details) > DETAILS_MAX_LENGTH:
        result.error(field.details_name, "details-too-long", max=str(DETAILS_MAX_LENGTH))
    else:
        result.values[field.details_name] = details
        return
    del result.values[field.name]  # the question is answered only with its details


CLEANERS: Mapping[str, Cleaner] = {
    "text": clean_text,
    "textarea": clean_text,
    "passport_number": clean_passport_number,
    "email": clean_email,
    "date": clean_date,
    "year": clean_year,
    "country": clean_country,
    "radio": clean_choice,
    "select": clean_choice,
    "checkbox": clean_checkbox,
    "yes_no_details": clean_yes_no_details,
}
