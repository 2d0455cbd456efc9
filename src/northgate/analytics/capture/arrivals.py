"""Counting raw arrivals: the one thing the tap does for every request.

Per request: one header scan for the user agent (and ``X-Forwarded-For`` when a proxy is
trusted), one raw key (minute, path, peer, forwarded-for, user agent, status, Retry-After,
the inner components' hints) and one increment. Nothing is resolved, awaited or written here;
``Recorder.resolve`` turns the raw keys into countries, sections and visitors off the hot path.

Two implementations with one behaviour:

- :class:`Arrivals` below, in Python: the specification, and the fallback where the compiled
  one was not built.
- ``northgate.analytics.capture._arrivals.Arrivals``, in C (``_arrivals.c``): what the tap uses. The
  Python one costs ~9,000 instructions a request, ~8 % of a cached page served by the embedded
  default, against a 5 % budget; nearly all of it is generic work on strings that are new
  with every request (bench/README.md, "analytics"). tests/analytics/test_arrivals.py
  checks that both give the same batches for the same requests.

A swap hands over what was counted as an iterator of (raw key, arrivals) pairs, read once,
and starts afresh. It builds nothing: the swap runs on the event loop, and a round can hold
hundreds of thousands of distinct arrivals (the compiled one builds each raw key as it is
read, in the flusher's thread). An arrival is in exactly one swap: neither implementation
awaits or lets other Python code run between handing over and starting afresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from northgate.analytics.capture.dimensions import MINUTE

RawKey = tuple[Any, ...]
# What a swap takes: (raw key, arrivals) pairs, each raw key once (its minute an int).
Taken = Iterator[tuple[RawKey, int]]


class Counter(Protocol):
    def arrive(
        self, started: float, scope: Any, status: int, retry_after: bool, state: Any
    ) -> None: ...

    def swap(self) -> Taken: ...

    def pending(self) -> int: ...

    def __len__(self) -> int: ...


class Arrivals:
    """Raw arrivals counted in memory, by the hash of their raw key.

    Why the hash and not the tuple: a server hands over new strings with every request, so a
    dictionary keyed by the tuple compares all nine values with the stored key twice (look-up,
    then store). An integer key compares in one step; the tuple is kept once, the first time
    its hash is seen. Two different tuples with the same 64-bit hash would share a counter
    (with string hashing keyed at random per process, about 1 in 10^11 for a round of 20,000
    distinct arrivals): the total stays exact, one arrival's attribution would be off. The C
    implementation compares the keys and has no such case.
    """

    def __init__(self, *, wants_forwarded_for: bool, outcome_hint: str, section_hint: str) -> None:
        self._wants_forwarded_for = wants_forwarded_for
        self._outcome_hint = outcome_hint
        self._section_hint = section_hint
        self._counts: dict[int, int] = {}
        self._raw: dict[int, RawKey] = {}

    def arrive(
        self, started: float, scope: Any, status: int, retry_after: bool, state: Any
    ) -> None:
        agent = b""
        forwarded_for: bytes | None = None
        if self._wants_forwarded_for:
            for name, value in scope["headers"]:
                if name == b"user-agent":
                    agent = value
                elif name == b"x-forwarded-for":
                    # Several headers are one list, in order.
                    forwarded_for = value if forwarded_for is None else forwarded_for + b"," + value
        else:
            for name, value in scope["headers"]:
                if name == b"user-agent":
                    agent = value
                    break
        client = scope.get("client")
        if state:
            hint = state.get(self._outcome_hint)
            section = state.get(self._section_hint)
        else:
            hint = section = None
        key = (
            int(started // MINUTE),
            scope["path"],
            client[0] if client else None,
            forwarded_for,
            agent,
            status,
            retry_after,
            hint,
            section,
        )
        tag = hash(key)
        counts = self._counts
        count = counts.get(tag)
        if count is None:
            counts[tag] = 1
            self._raw[tag] = key
        else:
            counts[tag] = count + 1

    def swap(self) -> Taken:
        counts, raw = self._counts, self._raw
        self._counts, self._raw = {}, {}
        return ((raw[tag], n) for tag, n in counts.items())

    def pending(self) -> int:
        return sum(self._counts.values())

    def __len__(self) -> int:
        """Distinct raw keys counted since the last swap."""
        return len(self._counts)
