"""How the route table is written and read: a route, its gate class and analytics
section, and the lookup of the route a request path belongs to. The table itself is
northgate.core.routes.

A route **matches** a request path ``exact`` (the path itself), as a ``tree`` (the path and
everything below it: question pages, resume tokens, payment ids), or ``below`` (only what
lies under the path and no other route names: the catch-all of an area such as ``/api/``).
A path segment written ``{name}`` stands for any one segment (FastAPI's path parameters).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from northgate.core.lang import Lang

Section = Literal["information", "eta", "payment", "status", "api", "assets", "ops"]
SECTIONS: Final[tuple[Section, ...]] = get_args(Section)

Match = Literal["exact", "tree", "below"]


class GateClass(enum.IntEnum):
    """How much a request matters to the admission gate, from least to most protected.

    - ``CRITICAL``: a step of an application already admitted (submit, pay, return from the
      bank). Never shed.
    - ``DEFAULT``: the journey. Shed only when the node is at its concurrency limit.
    - ``SHEDDABLE``: status look-ups, e-mail re-sends, analytics beacons, reports. Shed first.
    - ``BYPASS``: not the gate's business (pages, assets, probes, operations).
    """

    BYPASS = 0
    SHEDDABLE = 1
    DEFAULT = 2
    CRITICAL = 3


@dataclass(frozen=True)
class Gate:
    """What the gate does with a request: its class, and whether it needs a pass (without
    one it waits in line)."""

    klass: GateClass
    needs_pass: bool


READ: Final = frozenset({"GET", "HEAD"})
WRITE: Final = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Route:
    name: str
    paths: Mapping[Lang, str]
    section: Section
    gate: Gate
    match: Match = "exact"
    # Overrides of ``gate`` for reads (GET, HEAD) and for writes (POST, PUT, PATCH).
    reads: Gate | None = None
    writes: Gate | None = None

    def path(self, lang: Lang = "en") -> str:
        return self.paths[lang]

    def gate_for(self, method: str) -> Gate:
        if self.reads is not None and method in READ:
            return self.reads
        if self.writes is not None and method in WRITE:
            return self.writes
        return self.gate

    @property
    def templated(self) -> bool:
        return any("{" in path for path in self.paths.values())


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", path)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


class RouteTable:
    """Finds the route a request path belongs to.

    The most specific route wins: a route named by exactly that path, then a templated
    route (``/applications/{application_id}``), then the ``tree`` route whose path is the
    longest prefix, then the ``below`` catch-all of the innermost area.
    """

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.routes = routes
        self._exact: dict[str, Route] = {}
        self._templated: list[tuple[re.Pattern[str], Route]] = []
        self._trees: dict[str, Route] = {}
        self._areas: dict[str, Route] = {}
        for route in routes:
            for template in set(route.paths.values()):
                if route.templated:
                    self._templated.append((_template(template), route))
                    continue
                # An exact route is more specific than a tree over the same path.
                if route.match != "below" and (
                    route.match == "exact" or template not in self._exact
                ):
                    self._exact[template] = route
                if route.match == "tree":
                    self._trees[template] = route
                elif route.match == "below":
                    self._areas[template] = route

    def find(self, path: str) -> Route | None:
        found = self._exact.get(path)
        if found is not None:
            return found
        for pattern, route in self._templated:
            if pattern.fullmatch(path):
                return route
        prefixes = list(_prefixes(path))
        for prefix in prefixes:
            found = self._trees.get(prefix)
            if found is not None:
                return found
        for prefix in prefixes:
            found = self._areas.get(prefix)
            if found is not None:
                return found
        return None

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)

    def index(self) -> TableIndex:
        """The lookup structures ``find`` reads, in its order, for a reader in another
        language that must find the same route (the nginx edge's route map)."""
        return TableIndex(
            dict(self._exact),
            [(template, route) for route in self.routes if route.templated
             for template in sorted(set(route.paths.values()))],
            dict(self._trees),
            dict(self._areas),
        )  # fmt: skip


@dataclass(frozen=True)
class TableIndex:
    exact: Mapping[str, Route]
    templated: list[tuple[str, Route]]  # (path template, route), in ``find``'s order
    trees: Mapping[str, Route]
    areas: Mapping[str, Route]


def _prefixes(path: str) -> Iterator[str]:
    """The proper prefixes of ``path`` that end before a slash, longest first:
    ``/a/b/c`` → ``/a/b``, ``/a``."""
    end = path.rfind("/")
    while end > 0:
        yield path[:end]
        end = path.rfind("/", 0, end)
