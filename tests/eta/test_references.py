from __future__ import annotations

import random
import re

from hypothesis import given
from hypothesis import strategies as st

from northgate.eta.references import ALPHABET, check_symbol, new_reference, normalize_reference

FORMAT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
# Luhn mod N cannot see a swap of the first and last symbols of its alphabet (values 0 and
# N-1): for them, doubling and not doubling give the same sum mod N.
BLIND_PAIR = {"0", "Z"}


def sample(count: int = 200) -> list[str]:
    rng = random.Random(2016)
    return [new_reference(rng.randbytes) for _ in range(count)]


def symbols(reference: str) -> str:
    return reference.replace("-", "")


def test_format_and_round_trip() -> None:
    for reference in sample():
        assert FORMAT.fullmatch(reference)
        assert normalize_reference(reference) == reference


def test_typing_variations_are_forgiven() -> None:
    reference = "0123-4567-89A" + check_symbol("0123456789A")
    typed = reference.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalize_reference(typed) == reference
    assert normalize_reference(" " + symbols(reference).replace("1", "I") + " ") == reference


def test_wrong_length_or_symbols_are_refused() -> None:
    reference = sample(1)[0]
    assert normalize_reference(reference[:-1]) is None
    assert normalize_reference(reference + "0") is None
    assert normalize_reference(reference.replace(reference[0], "U", 1)) is None
    assert normalize_reference("") is None


def test_deterministic_with_injected_randomness() -> None:
    assert new_reference(lambda n: bytes(n)) == "0000-0000-0000"
    # Only the low five bits of each byte are used: 32 and 0 give the same symbol.
    assert new_reference(lambda n: bytes([32] * n)) == "0000-0000-0000"


def test_every_single_substitution_is_detected() -> None:
    for reference in sample():
        body = symbols(reference)
        for i, original in enumerate(body):
            for replacement in ALPHABET:
                if replacement != original:
                    typo = body[:i] + replacement + body[i + 1 :]
                    assert normalize_reference(typo) is None, (reference, typo)


def test_every_adjacent_transposition_is_detected_but_0_and_z() -> None:
    for reference in sample():
        body = symbols(reference)
        for i in range(len(body) - 1):
            a, b = body[i], body[i + 1]
            if a == b or {a, b} == BLIND_PAIR:
                continue
            swapped = body[:i] + b + a + body[i + 2 :]
            assert normalize_reference(swapped) is None, (reference, swapped)


def test_the_known_blind_spot() -> None:
    body = "0Z000000000"
    reference = body + check_symbol(body)
    assert normalize_reference("Z0" + reference[2:]) is not None


@given(st.text(max_size=60))
def test_normalize_never_raises(text: str) -> None:
    result = normalize_reference(text)
    assert result is None or (FORMAT.fullmatch(result) and normalize_reference(result) == result)


@given(st.binary(min_size=11, max_size=11))
def test_any_randomness_gives_a_valid_reference(data: bytes) -> None:
    reference = new_reference(lambda n: data[:n])
    assert normalize_reference(reference) == reference
