"""HyperLogLog sketches of visitor hashes: count distinct visitors per minute, hour or day.

Why a sketch and not exact sets: a minute's set cannot be added to the next minute's count
(the same visitor is in both), so exact counts per hour or day would need the hashes kept
for the whole day, on disk, linkable within the day. A HyperLogLog sketch is the opposite on
each point: fixed size (4 KiB, far less stored sparse), merged by a register-wise maximum
(so minutes combine into hours, nodes into the site, and merging the same sketch twice
changes nothing — a retried flush cannot double count visitors), and it holds no
identifier, only the longest run of zero bits seen per bucket. The price is an error of
about 1.04/sqrt(4096) = 1.6 % (one standard deviation); below a few hundred visitors the
linear-counting estimate used here is within a visitor or two of the truth.

Pure code: ``add`` takes a 64-bit hash (see ``salts``), everything else is arithmetic.
"""

from __future__ import annotations

import math
import sys
import zlib
from array import array
from collections.abc import Iterable
from itertools import compress
from typing import Final

import numpy

P: Final = 12
M: Final = 1 << P
_SHIFT: Final = 64 - P
_MASK: Final = (1 << _SHIFT) - 1
_ALPHA: Final = 0.7213 / (1 + 1.079 / M)
_SPARSE: Final = b"S"
_DENSE: Final = b"D"


def register_of(hash64: int) -> tuple[int, int]:
    """(bucket, rank) for a 64-bit hash: top P bits choose the bucket; rank = leading zeros + 1."""
    return hash64 >> _SHIFT, _SHIFT - (hash64 & _MASK).bit_length() + 1


class Sketch:
    __slots__ = ("registers",)

    def __init__(self, registers: bytes | bytearray | None = None) -> None:
        if registers is not None and len(registers) != M:
            raise ValueError(f"a sketch has {M} registers, not {len(registers)}")
        self.registers = bytearray(registers) if registers is not None else bytearray(M)

    @classmethod
    def of(cls, hashes: Iterable[int]) -> Sketch:
        sketch = cls()
        sketch.update(hashes)
        return sketch

    def add(self, hash64: int) -> None:
        bucket, rank = register_of(hash64)
        if rank > self.registers[bucket]:
            self.registers[bucket] = rank

    def update(self, hashes: Iterable[int]) -> None:
        registers = self.registers
        for hash64 in hashes:
            bucket = hash64 >> _SHIFT
            rank = _SHIFT - (hash64 & _MASK).bit_length() + 1
            if rank > registers[bucket]:
                registers[bucket] = rank

    def merge(self, other: Sketch) -> None:
        """Register-wise maximum: the sketch of the union. Idempotent and commutative.

        In place, with numpy over the register bytes: 1.7 us a merge against 15.6 us for the
        big-integer SWAR it replaces (a flusher's round merges each visitor set into six
        sketches, ~1,800 merges for 300 sets)."""
        mine = numpy.frombuffer(self.registers, dtype=numpy.uint8)
        numpy.maximum(mine, numpy.frombuffer(other.registers, dtype=numpy.uint8), out=mine)

    def merge_pairs(self, pairs: Iterable[tuple[int, int]]) -> None:
        registers = self.registers
        for bucket, rank in pairs:
            if rank > registers[bucket]:
                registers[bucket] = rank

    def pairs(self) -> list[tuple[int, int]]:
        """The non-empty registers as (bucket, rank)."""
        registers = self.registers
        return list(zip(compress(range(M), registers), filter(None, registers), strict=True))

    def is_empty(self) -> bool:
        return self.registers.count(0) == M

    def count(self) -> int:
        registers = bytes(self.registers)
        histogram = [registers.count(rank) for rank in range(_SHIFT + 2)]
        total = sum(n * 2.0**-rank for rank, n in enumerate(histogram) if n)
        estimate = _ALPHA * M * M / total
        zeros = histogram[0]
        if estimate <= 2.5 * M and zeros:
            estimate = M * math.log(M / zeros)
        return round(estimate)

    def to_bytes(self) -> bytes:
        """Sparse (bucket, rank) pairs while few registers are set, else compressed registers."""
        registers = self.registers
        if (M - registers.count(0)) * 3 < M:
            # compress/filter walk the registers in C: the flusher serialises every touched
            # sketch each round, and a Python loop over 4,096 registers showed in profiles.
            buckets = array("H", compress(range(M), registers))
            if sys.byteorder == "big":
                buckets.byteswap()
            return _SPARSE + buckets.tobytes() + bytes(filter(None, registers))
        return _DENSE + zlib.compress(bytes(registers))

    @classmethod
    def from_bytes(cls, data: bytes) -> Sketch:
        kind, body = data[:1], data[1:]
        if kind == _DENSE:
            return cls(zlib.decompress(body))
        if kind != _SPARSE or len(body) % 3:
            raise ValueError("not a serialised sketch")
        n = len(body) // 3
        buckets = array("H")
        buckets.frombytes(body[: 2 * n])
        if sys.byteorder == "big":
            buckets.byteswap()
        sketch = cls()
        sketch.merge_pairs(zip(buckets, body[2 * n :], strict=True))
        return sketch

    def copy(self) -> Sketch:
        return Sketch(self.registers)


def union(sketches: Iterable[Sketch]) -> Sketch:
    merged = Sketch()
    for sketch in sketches:
        merged.merge(sketch)
    return merged
