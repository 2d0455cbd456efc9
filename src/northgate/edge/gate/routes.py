"""Which requests the gate looks at, and how much each matters.

Information pages and assets never get here (the cached site answers them first). Of the
rest, the route a path belongs to in the route table (northgate.core.routes) decides; a path
the table does not name is ``BYPASS`` (a 404), so a new route is ungated until the table
names it with a class.

Classes, from most to least protected:

- ``CRITICAL``: a step of an application already admitted (submit, pay, return from the
  bank). Never shed. With ``needs_pass=False`` it is not even queued: someone coming back
  from the payment page must reach the confirmation, or they retry and pay twice.
- ``DEFAULT``: the journey. Needs a pass; shed (503 + Retry-After) only when the node is
  at its concurrency limit.
- ``SHEDDABLE``: status look-ups, e-mail re-sends, analytics beacons, reports. Shed first,
  as soon as the node nears its limit.
- ``BYPASS``: health, readiness, operations, pages, the feedback form.
"""

from __future__ import annotations

from northgate.core.routes import TABLE
from northgate.core.routing import Gate, GateClass, RouteTable

ANY = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The gate's names for the core's: a class, and a class with whether a pass is needed.
RequestClass = GateClass
Route = Gate

BYPASS_ROUTE = Route(RequestClass.BYPASS, needs_pass=False)


def classify(method: str, path: str, table: RouteTable = TABLE) -> Route:
    """The class of one request, by method and path (the route the path belongs to)."""
    if method not in ANY:
        return BYPASS_ROUTE
    route = table.find(path)
    return BYPASS_ROUTE if route is None else route.gate_for(method)


class RouteCache:
    """``classify`` memoised per (method, path), bounded: paths repeat."""

    def __init__(self, limit: int = 10_000) -> None:
        self._cache: dict[tuple[str, str], Route] = {}
        self._limit = limit

    def __call__(self, method: str, path: str) -> Route:
        key = (method, path)
        route = self._cache.get(key)
        if route is None:
            route = classify(method, path)
            if len(self._cache) >= self._limit:
                self._cache.clear()
            self._cache[key] = route
        return route
