"""Which section of the site a path belongs to: the section its route has in the route
table (northgate.core.routes).

Information pages are the catalogue the site serves from memory (given at start-up), plus
anything the table does not name (a mistyped page is still someone looking for information).
A path the table names only by its area (``/en/eta/…``, ``/api/…``, ``/ops/…``) is counted in
that area's section.

An inner component can override this for one request with
``scope["state"]["northgate.section"]`` (see ``northgate.edge.tap``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, TypeGuard

from northgate.analytics.capture.dimensions import SECTIONS, Section
from northgate.core.routes import TABLE
from northgate.core.routing import RouteTable

_CACHE_LIMIT: Final = 20_000
_VALID: Final = frozenset(SECTIONS)


def is_section(value: object) -> TypeGuard[Section]:
    return isinstance(value, str) and value in _VALID


class SectionClassifier:
    """Maps a path to a section; results are memoised (bounded) because paths repeat."""

    def __init__(self, information_paths: Iterable[str] = (), table: RouteTable = TABLE) -> None:
        self._information = frozenset(information_paths)
        self._table = table
        self._cache: dict[str, Section] = {}

    def __call__(self, path: str) -> Section:
        section = self._cache.get(path)
        if section is None:
            section = self.classify(path)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[path] = section
        return section

    def classify(self, path: str) -> Section:
        route = self._table.find(path)
        # Assets first: the site's cached responses, which name the information pages,
        # include them too.
        if route is not None and route.section == "assets":
            return "assets"
        if path in self._information or route is None:
            return "information"
        return route.section
