"""Text folding shared by sorting and name matching."""

from __future__ import annotations

import unicodedata

# Typographic apostrophes are what phones type; passports print the straight one.
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'"})


def fold(text: str) -> str:
    """An accent- and case-insensitive key: ``"Égypte"`` and ``"egypte"`` fold alike.

    NFKD splits "É" into "E" and a combining accent, which is then dropped; casefold
    rather than lower so that "Straße" and "STRASSE" also compare equal.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
