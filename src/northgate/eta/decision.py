"""The automated decision: approve, or refer the application to an officer.

Each rule is a small function of the application that returns a reason code when it
needs a person to look, or None. Rules never refuse: a machine may say yes, only an
officer says no. An application no rule objects to is approved.

Validity convention: ``valid_until`` is the last day (inclusive) the eTA may be used:
five years from the decision, minus one day, or the passport's expiry date if that comes
first, because an eTA is linked to one passport and ends with it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from northgate.core.lang import Lang
from northgate.eta.dates import add_years, is_minor, parse_iso
from northgate.eta.entry_rules import category
from northgate.eta.messages import texts
from northgate.eta.questions import QUESTION_SET

VALIDITY_YEARS = 5
# Too close to expiry to be worth issuing: the traveller needs a new passport (and eTA).
EXPIRY_MARGIN = timedelta(days=30)

Rule = Callable[[Mapping[str, Any], date], str | None]


@dataclass(frozen=True)
class Decision:
    outcome: Literal["approved", "referred"]
    reasons: tuple[str, ...] = ()
    valid_until: date | None = None


def _incomplete(application: Mapping[str, Any], today: date) -> str | None:
    needed = ("passport_country", "passport_expiry_date", "date_of_birth")
    if any(not application.get(name) for name in needed):
        return "application-incomplete"
    if parse_iso(application["passport_expiry_date"]) is None:
        return "application-incomplete"
    return None


def _passport_expiry(application: Mapping[str, Any], today: date) -> str | None:
    expiry = parse_iso(application.get("passport_expiry_date"))
    if expiry is None:
        return None  # reported by _incomplete
    if expiry <= today:
        return "passport-expired"
    if expiry - today <= EXPIRY_MARGIN:
        return "passport-expires-soon"
    return None


def _passport_country(application: Mapping[str, Any], today: date) -> str | None:
    country = application.get("passport_country")
    if not isinstance(country, str) or not country:
        return None  # reported by _incomplete
    kind = category(country)
    if kind == "visa_required":
        return "visa-required-country"
    if kind in ("us", "ca"):
        return "eta-not-required-country"
    if kind == "visa_required_eta_eligible":
        history = (
            application.get("had_canadian_visa_last_10_years") == "yes"
            or application.get("has_valid_us_nonimmigrant_visa") == "yes"
        )
        return None if history else "visa-history-not-met"
    return None


def _minor_without_guardian(application: Mapping[str, Any], today: date) -> str | None:
    if is_minor(application, today) and not application.get("guardian_surname"):
        return "minor-without-guardian"
    return None


def _background_rule(question: str) -> Rule:
    def rule(application: Mapping[str, Any], today: date) -> str | None:
        return f"background-yes:{question}" if application.get(question) == "yes" else None

    rule.__name__ = f"background_{question}"
    return rule


# The background questions are whatever the question set asks in that section: a new
# question added there is referred on "yes" without touching this module.
BACKGROUND_QUESTIONS: tuple[str, ...] = tuple(
    field.name
    for step in QUESTION_SET.steps
    if step.section == "background"
    for field in step.fields
    if field.type == "yes_no_details"
)

RULES: tuple[Rule, ...] = (
    _incomplete,
    _passport_expiry,
    _passport_country,
    _minor_without_guardian,
    *(_background_rule(question) for question in BACKGROUND_QUESTIONS),
)


def valid_until(today: date, passport_expiry: date | None) -> date:
    """Last day of validity: five years minus one day, or the passport's expiry if sooner."""
    full_term = add_years(today, VALIDITY_YEARS) - timedelta(days=1)
    return full_term if passport_expiry is None else min(full_term, passport_expiry)


def decide(
    application: Mapping[str, Any], today: date, rules: tuple[Rule, ...] = RULES
) -> Decision:
    """Run every rule (all reasons are collected, for the officer) over the submitted
    answers; approve when none objects."""
    reasons = tuple(reason for rule in rules if (reason := rule(application, today)))
    if reasons:
        return Decision("referred", reasons)
    expiry = parse_iso(application.get("passport_expiry_date"))
    return Decision("approved", (), valid_until(today, expiry))


def reason_text(reason: str, lang: Lang) -> str:
    """A referral reason in words, for the officer's queue and the status page."""
    code = reason if ":" in reason else f"reasons:{reason}"
    return texts(code)[lang]


# --- eTA numbers ----------------------------------------------------------------------------

ETA_NUMBER_PREFIX = "A"
ETA_NUMBER_DIGITS = 10  # nine random digits and a Luhn check digit


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def eta_number(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """A new eTA number such as ``A1234567897``: a letter and ten digits, the last a Luhn
    check digit. Unlike an application reference (``XXXX-XXXX-XXXX``, letters and digits)
    it is all digits after the "A", so the two are never confused on the phone."""
    digits = ""
    while len(digits) < ETA_NUMBER_DIGITS - 1:
        for byte in random_bytes(16):
            # Bytes 250-255 would favour digits 0-5; drop them to keep digits uniform.
            if byte < 250 and len(digits) < ETA_NUMBER_DIGITS - 1:
                digits += str(byte % 10)
    return ETA_NUMBER_PREFIX + digits + _luhn_check_digit(digits)


def is_eta_number(text: str) -> bool:
    """Well formed, with a correct check digit (says nothing about whether it was issued)."""
    body = text.strip().upper()
    if len(body) != 1 + ETA_NUMBER_DIGITS or not body.startswith(ETA_NUMBER_PREFIX):
        return False
    digits = body[1:]
    return digits.isascii() and digits.isdigit() and _luhn_check_digit(digits[:-1]) == digits[-1]
