"""Card form validation and the sandbox's test cards. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Outcome = Literal["approved", "declined", "failed"]
ErrorCode = Literal[
    "number_missing",
    "number_invalid",
    "expiry_missing",
    "expiry_invalid",
    "expiry_past",
    "cvc_invalid",
    "name_missing",
]

# Stripe's well-known numbers, so testers need not learn new ones.
TEST_CARDS: dict[str, Outcome] = {
    "4242424242424242": "approved",
    "4000000000000002": "declined",
    "4000000000000119": "failed",
}

_EXPIRY = re.compile(r"^(\d{1,2})\s*/\s*(\d{2})$")
_SEPARATORS = re.compile(r"[\s-]")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@dataclass(frozen=True)
class Card:
    number: str
    last4: str
    outcome: Outcome


@dataclass(frozen=True)
class CardErrors:
    fields: dict[str, ErrorCode]


def validate_card(number: str, expiry: str, cvc: str, name: str, today: date) -> Card | CardErrors:
    """Check the form as a card network would, and say which field is wrong and why."""
    errors: dict[str, ErrorCode] = {}
    digits = _SEPARATORS.sub("", number)
    if not digits:
        errors["number"] = "number_missing"
    elif not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        errors["number"] = "number_invalid"

    match = _EXPIRY.match(expiry.strip())
    if not expiry.strip():
        errors["expiry"] = "expiry_missing"
    elif match is None or not 1 <= int(match.group(1)) <= 12:
        errors["expiry"] = "expiry_invalid"
    elif (2000 + int(match.group(2)), int(match.group(1))) < (today.year, today.month):
        errors["expiry"] = "expiry_past"

    if not re.fullmatch(r"\d{3,4}", cvc.strip()):
        errors["cvc"] = "cvc_invalid"
    if not name.strip():
        errors["name"] = "name_missing"

    if errors:
        return CardErrors(errors)
    # Any other valid number is declined, as a real gateway in test mode would.
    return Card(digits, digits[-4:], TEST_CARDS.get(digits, "declined"))
