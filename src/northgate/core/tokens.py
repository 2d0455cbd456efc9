"""Tokens that clients hand back to us: shape first, then signature, always as bytes.

Every value we sign and give a client (the admission pass, the visitor cookie, the draft
cookie, the CSRF field, the resume link) is ASCII from a fixed alphabet with a known
length. Whatever comes back is checked against that shape *before* any parsing or HMAC
work, so nothing downstream meets non-ASCII text, a lone surrogate, a Unicode digit or an
oversized value. Signatures are then compared by :func:`northgate.core.signing.same_signature`,
as bytes. Pure code.
"""

from __future__ import annotations

import re

# The URL-safe base64 alphabet (RFC 4648 section 5), without padding.
B64URL = "[A-Za-z0-9_-]"
# Unix seconds and counters: ASCII digits only (``str.isdigit`` accepts "²", which int() refuses).
NUMBER = "[0-9]{1,19}"


def b64url_length(nbytes: int) -> int:
    """Characters of ``nbytes`` bytes in unpadded base64url."""
    return (nbytes * 8 + 5) // 6


class TokenShape:
    """One kind of client token: a regular expression over ASCII and a maximum length."""

    def __init__(self, pattern: str, max_length: int) -> None:
        self._pattern = re.compile(pattern.encode("ascii"))
        self.max_length = max_length

    def bytes_of(self, value: str | bytes | None) -> bytes | None:
        """The value as ASCII bytes when it has exactly this shape, else None."""
        if not value or len(value) > self.max_length:
            return None
        if isinstance(value, str):
            if not value.isascii():
                return None
            value = value.encode("ascii")
        return value if self._pattern.fullmatch(value) is not None else None

    def text_of(self, value: str | bytes | None) -> str | None:
        """The same check, for callers that work on text: the value as ``str``, or None."""
        found = self.bytes_of(value)
        return None if found is None else found.decode("ascii")
