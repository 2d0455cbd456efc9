"""The two official languages: every page, message and e-mail exists in both."""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("en", "fr")
DEFAULT_LANGUAGE: Lang = "en"


def other_language(lang: Lang) -> Lang:
    return "fr" if lang == "en" else "en"


def as_language(value: object) -> Lang:
    """A stored or submitted language code as a `Lang`; anything unknown is English."""
    return "fr" if value == "fr" else "en"


def language_of_path(path: str) -> Lang:
    """The language a path is in (``/fr`` and below: French), for answering errors in the
    reader's language."""
    return "fr" if path.startswith("/fr/") or path == "/fr" else "en"
