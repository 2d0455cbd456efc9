"""The line: numbered tickets, a head, and who is still there. Pure code, no I/O.

Tickets are consecutive integers handed out at the back. A ticket is *live* while its
holder keeps polling: it dies when admitted or when not seen for ``abandon_after`` seconds,
so abandoned places never stall the line. A visitor's position is the number of live
tickets in front of theirs, counted with a Fenwick tree in O(log n). The Redis backend keeps
the same state as bitmaps (``northgate.edge.gate.lua``); this is the in-process twin, and
both pass the same tests.

Before a scheduled opening, visitors take pre-tickets ``1..P``; at opening, tickets
``1..P`` become live at once and each pre-ticket maps to one of them through a keyed random
permutation (:mod:`northgate.edge.gate.shuffle`), so arriving early buys no better place.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass


class _Fenwick:
    """Prefix sums of 0/1 flags over 1..n, growing by doubling (n stays a power of two)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = 1 << max(0, size - 1).bit_length()
        self.tree = array("i", [0]) * (self.size + 1)

    def _grow(self, needed: int) -> None:
        # Node i sums flags (i - lowbit(i), i], whatever n is: doubling n = 2^k leaves the
        # old nodes as they are; of the new ones only node 2n reaches below n + 1 (it sums
        # everything), and the rest cover new, empty tickets. O(n) copying, instead of
        # re-adding every flag (which showed in the waiting room's profile under overload).
        while self.size < needed:
            total = self.prefix(self.size)
            self.tree.extend(array("i", [0]) * self.size)
            self.size *= 2
            self.tree[self.size] = total

    def add(self, index: int, delta: int) -> None:
        if index > self.size:
            self._grow(index)
        while index <= self.size:
            self.tree[index] += delta
            index += index & -index

    def prefix(self, index: int) -> int:
        index = min(index, self.size)
        total = 0
        while index > 0:
            total += self.tree[index]
            index -= index & -index
        return total

    def range(self, first: int, last: int) -> int:
        if last < first:
            return 0
        return self.prefix(last) - self.prefix(first - 1)


@dataclass(frozen=True)
class Place:
    ticket: int
    position: int  # live tickets in front


class TicketQueue:
    def __init__(self, abandon_after: float) -> None:
        self.abandon_after = abandon_after
        self.head = 1  # no live ticket below this
        self.tail = 0  # last ticket handed out
        self.live = 0
        self.opened_at: float | None = None
        self.prequeued = 0
        self._seen: dict[int, float] = {}  # live tickets, least recently polled first
        self._flags = _Fenwick()

    def __len__(self) -> int:
        return self.live

    def is_live(self, ticket: int, now: float) -> bool:
        seen = self._seen.get(ticket)
        return seen is not None and now - seen <= self.abandon_after

    def join(self, now: float) -> Place:
        self.tail += 1
        ticket = self.tail
        self._seen[ticket] = now
        self._flags.add(ticket, 1)
        self.live += 1
        return Place(ticket, self.live - 1)

    def touch(self, ticket: int, now: float) -> Place | None:
        """Record a poll; the holder's place, or None when the ticket is not live."""
        if not self.is_live(ticket, now):
            if ticket in self._seen:
                self._drop(ticket)
            return None
        del self._seen[ticket]
        self._seen[ticket] = now  # re-inserted: the dict stays ordered by last poll
        return Place(ticket, self._flags.range(self.head, ticket - 1))

    def leave(self, ticket: int) -> None:
        """The holder was admitted (or gave up): the place is free."""
        if ticket in self._seen:
            self._drop(ticket)
        self._advance_head()

    def _drop(self, ticket: int) -> None:
        del self._seen[ticket]
        self._flags.add(ticket, -1)
        self.live -= 1

    def _advance_head(self) -> None:
        while self.head <= self.tail and self.head not in self._seen:
            self.head += 1

    def sweep(self, now: float, budget: int = 10_000) -> int:
        """Drop up to ``budget`` abandoned tickets, oldest first; how many were dropped."""
        stale: list[int] = []
        for ticket, seen in self._seen.items():  # oldest poll first
            if now - seen <= self.abandon_after or len(stale) >= budget:
                break
            stale.append(ticket)
        for ticket in stale:
            self._drop(ticket)
        self._advance_head()
        return len(stale)

    def prejoin(self) -> int:
        self.prequeued += 1
        return self.prequeued

    def open(self, now: float) -> None:
        """Make pre-tickets 1..P live (the line was closed, so it is empty)."""
        if self.opened_at is not None:
            return
        self.opened_at = now
        for ticket in range(self.tail + 1, self.prequeued + 1):
            self._seen[ticket] = now
            self._flags.add(ticket, 1)
            self.live += 1
        self.tail = max(self.tail, self.prequeued)
        self._advance_head()
