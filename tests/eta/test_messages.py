"""Every code the domain can emit has text in English and French, with the same
placeholders, and nothing in the catalogue is orphaned."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import northgate.eta
from northgate.eta.messages import CODES, SUBJECTS, TABLES, has_text, message, texts
from northgate.eta.questions import QUESTION_SET

ETA_SOURCE = Path(northgate.eta.__file__).parent
# Kebab-case string literals that are not message codes.
NOT_CODES = {"utf-8", "iso3166-1"}
CODE_LIKE = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)+")
FIELD_PARAMS = {"subject", "Subject", "other"}
fields = [f for s in QUESTION_SET.steps for f in s.fields]


def literals() -> set[str]:
    found: set[str] = set()
    for path in ETA_SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and CODE_LIKE.fullmatch(value):
                found.add(value)
    return found - NOT_CODES


def test_scan_finds_the_codes() -> None:
    found = literals()
    assert {"date-not-real", "signature-mismatch", "us-lpr", "passport-expires-soon"} <= found


@pytest.mark.parametrize("code", sorted(literals()))
def test_every_code_in_the_source_has_text(code: str) -> None:
    assert code in CODES or code in TABLES["triage"] or code in TABLES["reasons"]


def test_every_required_field_has_a_missing_message_and_nothing_else_does() -> None:
    required = {f.name for f in fields if f.required}
    assert set(TABLES["missing"]) == required


def test_fields_named_in_messages_have_subjects() -> None:
    needs_subject = {
        f.name for f in fields if f.type in ("text", "textarea", "date", "year", "email")
    }
    compared = {other for f in fields for other in (*f.before, *f.after)}
    assert needs_subject | compared <= set(SUBJECTS)
    assert set(SUBJECTS) <= {f.name for f in fields}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_use_the_same_placeholders() -> None:
    for table, entries in TABLES.items():
        for key, text in entries.items():
            assert placeholders(text["en"]) == placeholders(text["fr"]), (table, key)
            if table == "subjects":
                assert not placeholders(text["en"])


def test_background_reasons_have_text() -> None:
    background = [f.name for s in QUESTION_SET.steps if s.section == "background" for f in s.fields]
    assert set(TABLES["background-yes"]) == set(background)


def test_message_fills_in_subjects_and_params() -> None:
    assert message("too-long", "en", subject="surname", max="100") == (
        "Surname must be 100 characters or fewer"
    )
    assert message("too-long", "fr", subject="surname", max="100") == (
        "Le nom de famille doit comporter au plus 100 caractères"
    )
    assert message("missing:surname", "fr").startswith("Entrez votre nom de famille")
    assert texts("triage:us-lpr")["en"].startswith("Lawful permanent residents")


def test_unknown_codes_are_errors() -> None:
    assert not has_text("no-such-code")
    assert not has_text("missing:no_such_field")
    assert not has_text("subjects:surname")
    with pytest.raises(KeyError):
        message("no-such-code", "en")


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_renders_with_its_placeholders(code: str) -> None:
    params = {
        "subject": "date_of_birth",
        "other": "passport_issue_date",
        "name": "X",
        "max": "1",
        "min": "1",
        "years": "1",
        "length": "1",
        "age": "1",
        "year": "1",
    }
    for lang in ("en", "fr"):
        text = texts(code)[lang]
        used = {p: params[p.lower()] for p in placeholders(text) if p not in ("Subject",)}
        if "Subject" in placeholders(text):
            used["subject"] = params["subject"]
        rendered = message(code, lang, **used)
        assert "{" not in rendered and rendered[0].isupper()
        assert not rendered.endswith((" ", "."))
    assert FIELD_PARAMS  # subjects are resolved, never shown as field names
