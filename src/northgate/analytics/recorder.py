"""Arrivals in memory: the hot path, and their resolution into a batch off the hot path.

The hot path (:meth:`Recorder.arrive`, called by the tap for every request) does the least
that keeps every fact: one header scan for the user agent (and ``X-Forwarded-For`` when a
proxy is trusted), one tuple of raw values (minute, path, peer, forwarded-for, user agent,
status, hints) and one increment, keyed by the tuple's hash. Nothing awaits, nothing is
written.

Why the hash and not the tuple: a server hands over new strings with every request, so a
dictionary keyed by the tuple compares all nine values with the stored key twice (look-up,
then store), a third of the recording's instructions (measured with valgrind, bench/README.md).
An integer key compares in one step; the tuple is kept once, the first time its hash is
seen. Two different tuples with the same 64-bit hash would share a counter: with string
hashing keyed at random per process, about 1 in 10^11 for a round of 20,000 distinct
arrivals. The total is exact either way; only that one arrival's attribution would be off.

:meth:`Recorder.take` (the flusher, every few seconds) swaps the dictionaries out, with no
await between reading and clearing, so an arrival is in exactly one batch, then resolves
each *distinct* raw key once: client address, country, bot, visitor hash, section, outcome.
Resolutions of clients are memoised (bounded, in memory only, emptied whenever a salt
changes), so a returning visitor costs a dictionary look-up. Raw addresses never leave this
process: the batch holds countries and visitor hashes only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Final

from northgate.analytics.addresses import ClientAddress
from northgate.analytics.aggregate import Batch
from northgate.analytics.bots import BotRules
from northgate.analytics.countries import CountryResolver
from northgate.analytics.dimensions import (
    MINUTE,
    UNKNOWN_COUNTRY,
    ArrivalKey,
    Lang,
    Outcome,
    Section,
    VisitorKey,
)
from northgate.analytics.outcomes import OUTCOME_HINT, SECTION_HINT, outcome_of
from northgate.analytics.salts import DAY, DailySalts
from northgate.analytics.sections import SectionClassifier, is_section

_MINUTES_PER_DAY: Final = DAY // MINUTE
_MEMO_LIMIT: Final = 200_000
# Status of a request whose application raised.
RAISED: Final = -1

Client = tuple[str, int | None, bool]  # country, visitor hash (None for bots), bot
RawKey = tuple[Any, ...]
# What a swap takes: arrivals per raw key's hash, and each raw key by its hash.
Taken = tuple[dict[int, int], dict[int, RawKey]]


class Recorder:
    def __init__(
        self,
        *,
        countries: CountryResolver,
        salts: DailySalts,
        addresses: ClientAddress | None = None,
        sections: SectionClassifier | None = None,
        bots: BotRules | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.countries = countries
        self.salts = salts
        self.addresses = addresses or ClientAddress()
        self.sections = sections or SectionClassifier()
        self.bots = bots or BotRules()
        self.clock = clock
        self.arrivals: dict[int, int] = {}  # hash of a raw key: arrivals
        self._raw: dict[int, RawKey] = {}  # hash of a raw key: the key, as first seen
        # Read X-Forwarded-For only when a proxy may set it.
        self._wants_forwarded_for = bool(self.addresses.trusted)
        self._clients: dict[tuple[int, str | None, bytes | None, bytes], Client] = {}
        self._routes: dict[tuple[Any, ...], tuple[Section, Lang, Outcome]] = {}
        self._salt_version = -1

    # ------------------------------------------------------------------ hot path

    def arrive(
        self,
        started: float,
        scope: dict[str, Any] | Any,
        status: int,
        retry_after: bool,
        state: dict[str, Any] | None,
    ) -> None:
        """One finished request. ``status`` 0: no response; ``RAISED``: an exception."""
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
            hint = state.get(OUTCOME_HINT)
            section = state.get(SECTION_HINT)
        else:
            hint = section = None
        key = (
            started // MINUTE,  # a float: int() is left to ``take``
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
        arrivals = self.arrivals
        count = arrivals.get(tag)
        if count is None:
            arrivals[tag] = 1
            self._raw[tag] = key
        else:
            arrivals[tag] = count + 1

    def record(
        self,
        *,
        started: float,
        path: str,
        peer: str | None,
        headers: Iterable[tuple[bytes, bytes]],
        outcome: Outcome,
        section: Section | None = None,
    ) -> None:
        """An arrival described directly (simulations, tests), with the outcome already known."""
        state = {OUTCOME_HINT: outcome, SECTION_HINT: section}
        scope = {"path": path, "headers": list(headers), "client": (peer, 0) if peer else None}
        self.arrive(started, scope, 200, False, state)

    def pending(self) -> int:
        """Arrivals recorded and not yet taken."""
        return sum(self.arrivals.values())

    # ------------------------------------------------------------------ off the hot path

    def take(self) -> Batch:
        return self.resolve(self.swap())

    def swap(self) -> Taken:
        """The raw arrivals so far, and new empty dictionaries for the next ones. No await
        may come between reading and clearing: an arrival is in exactly one swap."""
        taken = self.arrivals, self._raw
        self.arrivals, self._raw = {}, {}
        return taken

    def resolve(self, taken: Taken) -> Batch:
        """Raw arrivals into a batch. Touches only the memos below and read-only tables, so
        the flusher runs it in a thread, off the event loop; one caller at a time."""
        if self.salts.version != self._salt_version:
            self._clients.clear()
            self._salt_version = self.salts.version
        routes, clients = self._routes, self._clients
        if len(routes) >= _MEMO_LIMIT:
            routes.clear()
        # Plain tuples in the loop (it runs once per distinct raw key, 10,000s a round);
        # the few distinct results become named keys at the end.
        counts: dict[tuple[Any, ...], int] = {}
        visitors: dict[tuple[int, Section, str], set[int]] = {}
        arrivals, raw = taken
        for tag, n in arrivals.items():
            (minute, path, peer, forwarded_for, agent, status, retry_after, hint,
             section_hint) = raw[tag]  # fmt: skip
            minute = int(minute)
            client_key = (minute // _MINUTES_PER_DAY, peer, forwarded_for, agent)
            client = clients.get(client_key)
            if client is None:
                if len(clients) >= _MEMO_LIMIT:
                    clients.clear()
                client = clients[client_key] = self.client(*client_key)
            country, visitor, bot = client
            route_key = (path, status, retry_after, hint, section_hint)
            route = routes.get(route_key)
            if route is None:
                route = routes[route_key] = self.route(*route_key)
            section, lang, outcome = route
            key = (minute, section, lang, country, outcome, bot)
            counts[key] = counts.get(key, 0) + n
            if visitor is not None:
                vkey = (minute, section, country)
                hashes = visitors.get(vkey)
                if hashes is None:
                    hashes = visitors[vkey] = set()
                hashes.add(visitor)
        batch = Batch()
        batch.counts.update((ArrivalKey(*key), n) for key, n in counts.items())
        batch.visitors.update((VisitorKey(*vkey), hashes) for vkey, hashes in visitors.items())
        return batch

    def route(
        self, path: str, status: int, retry_after: bool, hint: object, section_hint: object
    ) -> tuple[Section, Lang, Outcome]:
        """Section, language and outcome of a request (memoised by ``resolve``: they repeat)."""
        section: Section = section_hint if is_section(section_hint) else self.sections(path)
        outcome = outcome_of(
            status or None, hint=hint, retry_after=retry_after, raised=status == RAISED
        )
        lang: Lang = "fr" if path.startswith("/fr/") or path == "/fr" else "en"
        return section, lang, outcome

    def client(
        self, day: int, peer: str | None, forwarded_for: bytes | None, agent: bytes
    ) -> Client:
        """Country, visitor hash and bot verdict of a client on ``day`` (memoised by
        ``resolve``: clients repeat)."""
        address = self.addresses.resolve(peer, forwarded_for)
        country = self.countries(address) if address else UNKNOWN_COUNTRY
        bot = self.bots(agent)
        visitor = None if bot or not address else self.salts.visitor(day, address, agent)
        return country, visitor, bot
