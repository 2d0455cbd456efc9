"""What a browser types and reads along the eTA journey: the forms, the CSRF token, the
fields of each question page. Shared by the journey tests and ``bench.journey``, so both
walk the same journey with the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from html import unescape

from northgate.eta.questions import QUESTION_SET

TODAY = date.today()
BIRTH = TODAY.replace(year=TODAY.year - 35)
ISSUED = TODAY - timedelta(days=400)
EXPIRES = TODAY.replace(year=TODAY.year + 8)


def _parts(name: str, moment: date) -> dict[str, str]:
    return {
        f"{name}-day": str(moment.day),
        f"{name}-month": str(moment.month),
        f"{name}-year": str(moment.year),
    }


# What a typical adult British traveller types, by HTML input name.
ADULT_FORM: dict[str, str] = {
    "applying_for": "myself",
    "document_type": "ordinary",
    "passport_number": "GB1234567",
    "passport_number_confirm": "gb 123 4567",
    "passport_country": "GB",
    **_parts("passport_issue_date", ISSUED),
    **_parts("passport_expiry_date", EXPIRES),
    "surname": "O’Brien-Lefèvre",
    "given_names": "Zoë Anne",
    **_parts("date_of_birth", BIRTH),
    "sex": "F",
    "birth_country": "GB",
    "birth_city": "Leeds",
    "has_other_citizenship": "no",
    "marital_status": "married",
    "occupation": "health",
    "job_title": "Nurse",
    "employer": "Leeds General Infirmary",
    "work_country": "GB",
    "work_since_year": "2015",
    "correspondence_language": "en",
    "email": "zoe@example.org",
    "email_confirm": "Zoe@Example.org",
    "address_street": "1 Park Row",
    "address_city": "Leeds",
    "address_country": "GB",
    "address_postal_code": "LS1 5AB",
    "travel_date_known": "no",
    "previous_refusal": "no",
    "criminal_offence": "no",
    "tuberculosis": "no",
    "medical_condition": "no",
    "consent": "yes",
    "signature": "Zoe Anne O'Brien-Lefevre",
}

# "Do I need an eTA?" answered for a British air traveller with no tie to Canada: an eTA.
TRIAGE_FORM: dict[str, str] = {
    "passport_country": "GB",
    "travel_mode": "air",
    "canadian_status": "none",
    "us_lawful_permanent_resident": "no",
    "has_valid_canadian_visa": "no",
    "had_canadian_visa_last_10_years": "no",
    "has_valid_us_nonimmigrant_visa": "no",
}

# The sandbox gateway approves this card.
APPROVED_CARD: dict[str, str] = {
    "number": "4242 4242 4242 4242",
    "expiry": "12/39",
    "cvc": "123",
    "name": "Zoe O'Brien",
}

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "page has no CSRF token"
    return unescape(found.group(1))


def step_form(path: str, form: Mapping[str, str], lang: str) -> dict[str, str]:
    """The part of ``form`` that the question page at ``path`` asks for."""
    slug = path.rstrip("/").rsplit("/", 1)[-1]
    step = QUESTION_SET.step_by_slug(slug, lang)  # type: ignore[arg-type]
    assert step is not None, f"no step at {path}"
    names = {name for field in step.fields for name in field.input_names}
    return {name: value for name, value in form.items() if name in names}
