"""Translations of the interface (header, footer, forms, errors) and language negotiation.

Page content is written per language in ``templates/pages/<lang>/``; the shared chrome uses
gettext catalogs (``locale/<lang>/LC_MESSAGES/messages.po``) read with Babel at start-up, so
there is no compile step to forget.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from northgate.core.lang import DEFAULT_LANGUAGE, LANGUAGES, Lang
from northgate.core.typography import french_prose

LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def translations(lang: Lang) -> NullTranslations:
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=lang)
    if lang == "fr":
        for message in catalog:  # (the header, with no id, is metadata, not French)
            if message.id and message.string:
                message.string = _french(message.string)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def _french(string: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    """French typography however the translator typed the spaces (see core/typography.py)."""
    if isinstance(string, str):
        return french_prose(string)
    return tuple(french_prose(form) for form in string)


def gettext(lang: Lang, message: str) -> str:
    return translations(lang).gettext(message)


def parse_accept_language(header: str) -> list[tuple[str, float]]:
    """Language ranges with their quality, best first; malformed items are skipped."""
    ranges: list[tuple[str, float]] = []
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or len(tag) > 35 or not all(c.isalnum() or c in "-*" for c in tag):
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
            if not 0 <= quality <= 1:
                continue
        if quality > 0:
            # Stable order for equal qualities: earlier in the header is preferred.
            ranges.append((tag, quality - position * 1e-6))
    ranges.sort(key=lambda pair: pair[1], reverse=True)
    return ranges


def negotiate_language(accept_language: str | None) -> Lang:
    if not accept_language:
        return DEFAULT_LANGUAGE
    for tag, _ in parse_accept_language(accept_language):
        primary = tag.split("-", 1)[0]
        for lang in LANGUAGES:
            if primary == lang:
                return lang
        if primary == "*":
            return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
