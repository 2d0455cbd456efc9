"""A keyed random permutation of 0..n-1 without storing it (Feistel network with cycle
walking). Used to turn pre-queue arrival order into random places at opening. Pure code."""

from __future__ import annotations

from northgate.core.signing import hmac_sha256

ROUNDS = 6


def _round(key: bytes, round_number: int, value: int, bits: int) -> int:
    digest = hmac_sha256(key, f"{round_number}:{value}".encode())
    return int.from_bytes(digest[:8], "big") & ((1 << bits) - 1)


def permute(key: bytes, index: int, n: int) -> int:
    """The image of ``index`` under the permutation of ``range(n)`` named by ``key``."""
    if not 0 <= index < n:
        raise ValueError(f"index {index} outside 0..{n - 1}")
    if n == 1:
        return 0
    half = max(1, ((n - 1).bit_length() + 1) // 2)
    mask = (1 << half) - 1
    value = index
    while True:  # cycle walking: at most a few steps, the domain is < 4n
        left, right = value >> half, value & mask
        for round_number in range(ROUNDS):
            left, right = right, left ^ _round(key, round_number, right, half)
        value = (left << half) | right
        if value < n:
            return value
