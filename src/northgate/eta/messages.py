"""Error, warning and explanation text for the eTA journey, in English and French.

Code emits stable codes (``date-not-real``, ``missing:surname``); the words live in
``data/messages.toml`` where translators can work on them without reading Python.

Two parameters are names of fields rather than text: ``subject`` (the field the message is
about) and ``other`` (a field it is compared with). They are replaced by the field's noun
from the ``[subjects]`` table in the reader's language, so "{Subject} must be a real date"
reads "Date of birth must be a real date" and "La date de naissance doit être une date
réelle". ``{Subject}`` is the noun with a capital first letter.

A table may have an ``-other`` twin (``[missing-other]``, ``[codes-other]``,
``[subjects-other]``) worded for someone applying for another person ("Enter the
applicant's date of birth"); a code without such text reads the same for everyone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from northgate.core.lang import LANGUAGES, Lang
from northgate.core.typography import french_prose
from northgate.eta.question_model import Voice

MESSAGES_FILE = "messages.toml"
FIELD_PARAMS = ("subject", "other")

Texts = Mapping[Lang, str]


def _texts(where: str, value: Any) -> Texts:
    if not isinstance(value, dict) or set(value) != set(LANGUAGES):
        raise ValueError(f"messages: {where} must have exactly 'en' and 'fr' text")
    if not all(isinstance(value[lang], str) and value[lang] for lang in LANGUAGES):
        raise ValueError(f"messages: {where} has empty text")
    return {"en": value["en"], "fr": french_prose(value["fr"])}


def _tables(document: Mapping[str, Any]) -> dict[str, dict[str, Texts]]:
    tables: dict[str, dict[str, Texts]] = {}
    for name, table in document.items():
        if not isinstance(table, dict):
            raise ValueError(f"messages: [{name}] must be a table")
        tables[name] = {key: _texts(f"{name}.{key}", value) for key, value in table.items()}
    return tables


def _load() -> dict[str, dict[str, Texts]]:
    text = resources.files("northgate.eta").joinpath("data", MESSAGES_FILE).read_text("utf-8")
    return _tables(tomllib.loads(text))


TABLES = _load()
# Plain codes live in [codes]; "table:key" codes (missing:surname) in their own table.
CODES: Mapping[str, Texts] = TABLES.get("codes", {})
SUBJECTS: Mapping[str, Texts] = TABLES.get("subjects", {})


OTHER = "-other"


def _lookup(table: str, key: str, voice: Voice) -> Texts:
    if voice == "other" and key in TABLES.get(table + OTHER, {}):
        return TABLES[table + OTHER][key]
    return TABLES[table][key]


def texts(code: str, voice: Voice = "self") -> Texts:
    """Both languages of a code; KeyError if the code has no text (a bug, caught by tests)."""
    table, sep, key = code.partition(":")
    if not sep:
        return _lookup("codes", code, voice)
    if table.removesuffix(OTHER) in ("codes", "subjects") or table.endswith(OTHER):
        raise KeyError(code)
    return _lookup(table, key, voice)


def has_text(code: str) -> bool:
    try:
        texts(code)
    except KeyError:
        return False
    return True


def subject(field_name: str, lang: Lang, voice: Voice = "self") -> str:
    return _lookup("subjects", field_name, voice)[lang]


def message(code: str, lang: Lang, **params: str) -> str:
    """The text for ``code`` in ``lang`` with ``{param}`` placeholders filled in."""
    return worded_message(code, lang, "self", params)


def worded_message(code: str, lang: Lang, voice: Voice, params: Mapping[str, str]) -> str:
    """The same, worded for ``voice``."""
    values: dict[str, str] = dict(params)
    for name in FIELD_PARAMS:
        if name in params:
            values[name] = subject(params[name], lang, voice)
    if "subject" in values:
        noun = values["subject"]
        values["Subject"] = noun[:1].upper() + noun[1:]
    return texts(code, voice)[lang].format_map(values)
