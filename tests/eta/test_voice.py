"""Applying for someone else: the questions, hints, error messages and autofill speak of
the applicant, not of the person typing, in English and French."""

from __future__ import annotations

import re

import pytest

from northgate.eta.messages import has_text
from northgate.eta.question_model import Step, voice_of
from northgate.eta.questions import QUESTION_SET
from northgate.eta.results import FieldError
from tests.eta.factories import codes, run

OTHER = {"applying_for": "other"}
# "your"/"votre"/"vos" and the inverted "Avez-vous" speak to the typist about themselves.
YOUR = {"en": re.compile(r"\byour\b", re.I), "fr": re.compile(r"\b(votre|vos)\b|-vous\b", re.I)}
# Pages about the typist whoever the application is for: who applies, the representative,
# the declaration they sign, and where we write to them.
TYPIST_SECTIONS = ("applicant", "representative", "declaration")
TYPIST_STEPS = ("correspondence-language", "email")
ABOUT_THE_APPLICANT = [
    step
    for step in QUESTION_SET.steps
    if step.section not in TYPIST_SECTIONS and step.id not in TYPIST_STEPS
]


def _texts(step: Step, lang: str) -> list[str]:
    texts = [step.title(lang, "other"), step.hint(lang, "other") or ""]  # type: ignore[arg-type]
    for field in step.fields:
        texts += [
            field.label(lang, "other"),  # type: ignore[arg-type]
            field.hint(lang, "other") or "",  # type: ignore[arg-type]
            field.confirm_label(lang, "other") or "",  # type: ignore[arg-type]
            field.details_label(lang, "other") or "",  # type: ignore[arg-type]
        ]
    return texts


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("step", ABOUT_THE_APPLICANT, ids=lambda s: s.id)
def test_questions_about_the_applicant_do_not_say_your(step: Step, lang: str) -> None:
    for text in _texts(step, lang):
        assert not YOUR[lang].search(text), text


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("step", ABOUT_THE_APPLICANT, ids=lambda s: s.id)
def test_missing_answer_messages_speak_of_the_applicant(step: Step, lang: str) -> None:
    for field in step.fields:
        if field.required and has_text(f"missing:{field.name}"):
            text = FieldError(field.focus_id, f"missing:{field.name}", voice="other").message(
                lang  # type: ignore[arg-type]
            )
            assert not YOUR[lang].search(text), text


@pytest.mark.parametrize("step", ABOUT_THE_APPLICANT, ids=lambda s: s.id)
def test_autofill_does_not_offer_the_typists_own_details(step: Step) -> None:
    for field in step.fields:
        assert field.autocomplete_for("other") in (None, "off"), field.name


def test_the_representatives_own_pages_keep_their_autofill() -> None:
    details = QUESTION_SET.step("your-details")
    assert details is not None
    assert [f.autocomplete_for("other") for f in details.fields] == [
        "family-name",
        "given-name",
        "email",
    ]
    declaration = QUESTION_SET.step("declaration")
    assert declaration is not None and declaration.fields[1].autocomplete_for("other") == "name"


def test_the_issue_examples() -> None:
    name = QUESTION_SET.step("name")
    assert name is not None
    assert name.title("en", "other") == "What is the applicant’s full name?"
    assert name.title("fr", "other").startswith(
        "Quel est le nom complet de la personne pour qui vous faites la demande"
    )
    assert name.title("en") == "What is your name?"
    assert name.fields[0].autocomplete_for("self") == "family-name"


def test_errors_on_a_page_follow_who_the_application_is_for() -> None:
    missing = run("date-of-birth", {}, OTHER)
    assert codes(missing) == [("date_of_birth-day", "missing:date_of_birth")]
    assert missing.errors[0].message("en") == "Enter the applicant’s date of birth"
    assert missing.errors[0].message("fr") == "Entrez la date de naissance de la personne"
    assert run("date-of-birth", {}, {"applying_for": "myself"}).errors[0].message("en") == (
        "Enter your date of birth"
    )
    expired = {
        "passport_issue_date-day": "1",
        "passport_issue_date-month": "1",
        "passport_issue_date-year": "2005",
        "passport_expiry_date-day": "1",
        "passport_expiry_date-month": "1",
        "passport_expiry_date-year": "2015",
    }
    message = run("passport-dates", expired, OTHER).errors[0].message("en")
    assert "The applicant needs a passport" in message


def test_voice_of() -> None:
    assert voice_of(OTHER) == "other"
    assert voice_of({"applying_for": "myself"}) == "self"
    assert voice_of({}) == "self"
