"""Application references people can read aloud, type back and get right.

Crockford's base32 alphabet (digits and letters without I, L, O, U) avoids symbols that
look or sound alike; when typed back, O is read as 0 and I or L as 1. Eleven random
symbols (55 bits) and one check symbol, shown as ``XXXX-XXXX-XXXX``.

The check symbol is Luhn mod N over the 32 symbols. It catches every single wrong symbol
and every swap of two neighbouring symbols but one: "0Z" ↔ "Z0" (values 0 and 31), the
one blind spot Luhn mod N has for any even N.
"""

from __future__ import annotations

import os
from collections.abc import Callable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
N = len(ALPHABET)
RANDOM_SYMBOLS = 11
LENGTH = RANDOM_SYMBOLS + 1
GROUP = 4
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# What people type for what they see, per Crockford.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -\t")


def check_symbol(payload: str) -> str:
    """The Luhn mod N check symbol for ``payload`` (symbols of ``ALPHABET``)."""
    total = 0
    factor = 2  # the symbol next to the check symbol is doubled
    for symbol in reversed(payload):
        addend = factor * _VALUES[symbol]
        total += addend // N + addend % N
        factor = 3 - factor
    return ALPHABET[(N - total % N) % N]


def is_valid(symbols: str) -> bool:
    """True if the last symbol is the check symbol of the others."""
    return check_symbol(symbols[:-1]) == symbols[-1]


def format_reference(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP] for i in range(0, len(symbols), GROUP))


def new_reference(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    # 256 is a multiple of 32, so the low five bits of a random byte are uniform.
    payload = "".join(ALPHABET[b % N] for b in random_bytes(RANDOM_SYMBOLS)[:RANDOM_SYMBOLS])
    if len(payload) != RANDOM_SYMBOLS:
        raise ValueError("random_bytes returned too few bytes")
    return format_reference(payload + check_symbol(payload))


def normalize_reference(text: str) -> str | None:
    """The canonical ``XXXX-XXXX-XXXX`` form of what someone typed, or None if it cannot be
    a reference (wrong length, a symbol outside the alphabet, or a wrong check symbol)."""
    if len(text) > 4 * LENGTH:  # spare the work on a pasted essay
        return None
    symbols = text.translate(_SEPARATORS).upper().translate(_READ_AS)
    if len(symbols) != LENGTH or any(s not in _VALUES for s in symbols):
        return None
    return format_reference(symbols) if is_valid(symbols) else None
