"""French (Canada) spacing: a no-break space before « : » and inside guillemets, a narrow
no-break space before « ; ! ? », and no break between a number and its unit. Texts are
written with ordinary spaces (or none) and fixed here, so writers and translators need not
type invisible characters."""

from __future__ import annotations

import re

_SPACING = (
    (re.compile(r" ([:»])"), "\u00a0\\1"),
    (re.compile(r"« "), "«\u00a0"),
    (re.compile(r" ([;!?])"), "\u202f\\1"),
    (re.compile(r"(\d) (\$|%|h\b)"), "\\1\u00a0\\2"),
)
# In prose, a « ; ! ? » written straight after a word gets its space too (but the ";" that
# ends a character reference such as "&amp;" is not punctuation).
_MISSING_SPACE = re.compile(r"(&#?\w+;)|(?<=[^\s\u00a0\u202f])([;!?])")


def _space_before(match: re.Match[str]) -> str:
    return match.group(1) or f" {match.group(2)}"


def french_spacing(text: str) -> str:
    """Whole documents (e-mails with links): only spaces already typed are changed, so a
    URL (no space before its ``:`` or ``?``) is left alone."""
    for pattern, replacement in _SPACING:
        text = pattern.sub(replacement, text)
    return text


def french_prose(text: str) -> str:
    """Sentences with no URL in them (questions, hints, error messages): also adds the
    space a writer left out, as in « Quel est votre nom? »."""
    return french_spacing(_MISSING_SPACE.sub(_space_before, text))
