"""Arrivals in memory: counted on the hot path, resolved into a batch off it.

The hot path (``Recorder.arrive``, called by the tap for every request) is a counter of raw
arrivals (``northgate.analytics.capture.arrivals``: a header scan, a raw key, one increment;
compiled from C where it was built). Nothing awaits, nothing is written.

:meth:`Recorder.take` (the flusher, every few seconds) swaps the counter's contents out, with
no await between reading and clearing, so an arrival is in exactly one batch, then resolves
each *distinct* raw key once: client address, country, bot, visitor hash, section, outcome.
Resolutions of clients are memoised (bounded, in memory only, emptied whenever a salt
changes), so a returning visitor costs a dictionary look-up. Raw addresses never leave this
process: the batch holds countries and visitor hashes only.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from typing import Any, Final

from northgate.analytics.capture.addresses import ClientAddress
from northgate.analytics.capture.aggregate import Batch
from northgate.analytics.capture.arrivals import Counter, RawKey, Taken
from northgate.analytics.capture.bots import BotRules
from northgate.analytics.capture.countries import CountryResolver
from northgate.analytics.capture.dimensions import (
    MINUTE,
    UNKNOWN_COUNTRY,
    ArrivalKey,
    Outcome,
    Section,
    VisitorKey,
)
from northgate.analytics.capture.outcomes import OUTCOME_HINT, SECTION_HINT, outcome_of
from northgate.analytics.capture.salts import DAY, DailySalts
from northgate.analytics.capture.sections import SectionClassifier, is_section
from northgate.core.clock import UnixClock, unix_now
from northgate.core.lang import Lang, language_of_path

try:
    from northgate.analytics.capture._arrivals import Arrivals
except ImportError as missing:  # not compiled here: the specification, twice the cost
    from northgate.analytics.capture.arrivals import Arrivals  # type: ignore[assignment]

    logging.getLogger(__name__).warning(
        "analytics: the compiled counter is missing (%s); counting in Python, about twice "
        "the tap's cost a request (reinstall with a C compiler: pip install -e .)",
        missing,
    )

_MINUTES_PER_DAY: Final = DAY // MINUTE
_MEMO_LIMIT: Final = 200_000
# Status of a request whose application raised.
RAISED: Final = -1

Client = tuple[str, int | None, bool]  # country, visitor hash (None for bots), bot


class Recorder:
    def __init__(
        self,
        *,
        countries: CountryResolver,
        salts: DailySalts,
        addresses: ClientAddress | None = None,
        sections: SectionClassifier | None = None,
        bots: BotRules | None = None,
        clock: UnixClock = unix_now,
    ) -> None:
        self.countries = countries
        self.salts = salts
        self.addresses = addresses or ClientAddress()
        self.sections = sections or SectionClassifier()
        self.bots = bots or BotRules()
        self.clock = clock
        self.counter: Counter = Arrivals(
            # Read X-Forwarded-For only when a proxy may set it.
            wants_forwarded_for=bool(self.addresses.trusted),
            outcome_hint=OUTCOME_HINT,
            section_hint=SECTION_HINT,
        )
        # Arrivals counted elsewhere (the edge's counters), added in bulk: key -> arrivals.
        self._added: dict[RawKey, int] = {}
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
        """One finished request. ``status`` 0: no response; ``RAISED``: an exception.
        (The tap calls ``counter.arrive`` itself: no Python frame in between.)"""
        self.counter.arrive(started, scope, status, retry_after, state)

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

    def add(self, raw_key: RawKey, arrivals: int) -> None:
        """``arrivals`` already counted under one raw key (the layout of
        ``northgate.analytics.capture.arrivals``): the edge's counters, a second at a time."""
        added = self._added
        added[raw_key] = added.get(raw_key, 0) + arrivals

    def pending(self) -> int:
        """Arrivals recorded and not yet taken."""
        return self.counter.pending() + sum(self._added.values())

    # ------------------------------------------------------------------ off the hot path

    def take(self) -> Batch:
        return self.resolve(self.swap())

    def swap(self) -> Taken:
        """The raw arrivals so far, handed over whole (nothing built: cheap at any size);
        the counter starts afresh. Call it on the event loop: an arrival is then in exactly
        one swap. Read what it returns once, with ``resolve``."""
        taken = self.counter.swap()
        if not self._added:
            return taken
        added, self._added = self._added, {}
        return itertools.chain(taken, added.items())

    def resolve(self, taken: Taken) -> Batch:
        """Raw arrivals into a batch. Touches only what it is given, the memos below and
        read-only tables, so the flusher runs it in a thread, off the event loop; one caller
        at a time."""
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
        for raw_key, n in taken:
            (minute, path, peer, forwarded_for, agent, status, retry_after, hint,
             section_hint) = raw_key  # fmt: skip
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
        lang = language_of_path(path)
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
