"""HyperLogLog sketches: accurate enough, mergeable, idempotent, compact, identifier-free."""

from __future__ import annotations

import random

import pytest

from northgate.analytics.capture.hll import M, Sketch, union


def hashes(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(64) for _ in range(n)]


@pytest.mark.parametrize("n", [0, 1, 7, 50, 200])
def test_small_counts_are_exact_or_within_one(n: int) -> None:
    assert abs(Sketch.of(hashes(n, n)).count() - n) <= max(1, n // 100)


@pytest.mark.parametrize("n", [1_000, 20_000, 200_000])
def test_large_counts_are_within_five_percent(n: int) -> None:
    assert Sketch.of(hashes(n, n)).count() == pytest.approx(n, rel=0.05)


def test_repeats_do_not_count_twice() -> None:
    visitors = hashes(300, 1)
    assert Sketch.of(visitors * 5).count() == Sketch.of(visitors).count()


def test_merge_is_the_union_and_merging_twice_changes_nothing() -> None:
    a, b = hashes(5_000, 2), hashes(5_000, 3)
    left, right = Sketch.of(a), Sketch.of(b)
    merged = left.copy()
    merged.merge(right)
    assert merged.registers == Sketch.of(a + b).registers
    again = merged.copy()
    again.merge(right)
    again.merge(left)
    assert again.registers == merged.registers
    assert union([left, right]).registers == merged.registers


def test_merge_is_the_register_wise_maximum() -> None:
    rng = random.Random(4)
    for _ in range(20):
        a = bytes(rng.randrange(0, 54) for _ in range(M))
        b = bytes(rng.choice([0, rng.randrange(0, 54)]) for _ in range(M))
        merged = Sketch(a)
        merged.merge(Sketch(b))
        assert merged.registers == bytes(map(max, a, b))
        assert Sketch(b).registers == b  # the other sketch is left as it was


@pytest.mark.parametrize("n", [0, 10, 1_000, 100_000])
def test_serialised_form_round_trips_and_stays_small(n: int) -> None:
    sketch = Sketch.of(hashes(n, n + 10))
    data = sketch.to_bytes()
    assert Sketch.from_bytes(data).registers == sketch.registers
    assert len(data) <= M  # never more than the raw registers
    if n <= 10:
        assert len(data) <= 1 + 3 * n


def test_a_sketch_holds_no_identifier() -> None:
    visitor = 0x0123_4567_89AB_CDEF
    data = Sketch.of([visitor]).to_bytes()
    assert visitor.to_bytes(8, "big") not in data
    assert visitor.to_bytes(8, "little") not in data


def test_garbage_is_refused() -> None:
    with pytest.raises(ValueError):
        Sketch.from_bytes(b"X123")
    with pytest.raises(ValueError):
        Sketch(b"\x00" * 10)
