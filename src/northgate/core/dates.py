"""Dates as a person reads them: one long, localized form on every page and in every
e-mail (``December 4, 2031`` / ``4 décembre 2031``), so the status page and the e-mail
about the same eTA say the same thing. Machines get ISO 8601 (``<time datetime>``, JSON)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from northgate.core.lang import Lang

LOCALES: dict[Lang, str] = {"en": "en_CA", "fr": "fr_CA"}


def long_date(value: date | str, lang: Lang) -> str:
    """``value`` may be a date or its ISO form, as answers and templates hold it."""
    moment = date.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(moment, "long", locale=LOCALES[lang]))
