"""Which requests the gate looks at, and how much each matters: the route table, as data.

Information pages and assets never get here (the cached site answers them first). Of the
rest, the first matching rule decides; anything no rule names is ``BYPASS`` (a 404, the
feedback form), so a new route is ungated until someone adds it here on purpose.

Classes, from most to least protected:

- ``CRITICAL``: a step of an application already admitted (submit, pay, return from the
  bank). Never shed. With ``needs_pass=False`` it is not even queued: someone coming back
  from the payment page must reach the confirmation, or they retry and pay twice.
- ``DEFAULT``: the journey. Needs a pass; shed (503 + Retry-After) only when the node is
  at its concurrency limit.
- ``SHEDDABLE``: status look-ups, e-mail re-sends, analytics beacons, reports. Shed first,
  as soon as the node nears its limit.
- ``BYPASS``: health, readiness, operations, everything unlisted.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

ANY = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
READ = frozenset({"GET", "HEAD"})
WRITE = frozenset({"POST", "PUT", "PATCH"})


class RequestClass(enum.IntEnum):
    BYPASS = 0
    SHEDDABLE = 1
    DEFAULT = 2
    CRITICAL = 3


@dataclass(frozen=True)
class Rule:
    pattern: str  # a regular expression matched against the whole path
    methods: frozenset[str]
    klass: RequestClass
    needs_pass: bool
    why: str

    def matches(self, method: str, path: str) -> bool:
        return method in self.methods and _compiled(self.pattern).fullmatch(path) is not None


@dataclass(frozen=True)
class Route:
    klass: RequestClass
    needs_pass: bool


BYPASS_ROUTE = Route(RequestClass.BYPASS, needs_pass=False)

_APPLY = r"/(?:en/eta/apply|fr/ave/demande)"
_ETA = r"/(?:en/eta|fr/ave)"

RULES: tuple[Rule, ...] = (
    # Operations and probes: never gated (the gate answers /ops/gate itself).
    Rule(r"/(?:healthz|readyz|metrics)", ANY, RequestClass.BYPASS, False, "probes"),
    Rule(r"/ops/(?:reports|analytics)(?:/.*)?", ANY, RequestClass.SHEDDABLE, False, "reports"),
    Rule(r"/ops/.*", ANY, RequestClass.BYPASS, False, "operators"),
    Rule(r"/api/(?:docs|openapi\.json)(?:/.*)?", ANY, RequestClass.BYPASS, False, "API docs"),
    # Money and finished applications: never shed, never queued once paying.
    Rule(r"/sandbox-pay(?:/.*)?", ANY, RequestClass.CRITICAL, False, "the bank's page"),
    Rule(
        _APPLY + r"/(?:payment-return|retour-paiement)(?:/.*)?",
        ANY,
        RequestClass.CRITICAL,
        False,
        "back from the bank: must land, or people pay twice",
    ),
    Rule(
        _APPLY + r"/(?:confirmation|session-ended|session-terminee)(?:/.*)?",
        READ,
        RequestClass.DEFAULT,
        False,
        "the reference after payment; the notice that a session ended",
    ),
    Rule(
        _APPLY + r"/(?:check-your-answers|verifier-vos-reponses|pay|paiement)",
        WRITE,
        RequestClass.CRITICAL,
        True,
        "submit and pay",
    ),
    Rule(r"/api/v1/applications(?:/.*)?", WRITE, RequestClass.CRITICAL, True, "API submit"),
    # Shed first.
    Rule(_ETA + r"/(?:status|etat)(?:/.*)?", ANY, RequestClass.SHEDDABLE, True, "status, resend"),
    Rule(r"/api/v1/analytics(?:/.*)?", ANY, RequestClass.SHEDDABLE, False, "beacons"),
    Rule(r"/api/v1/status(?:/.*)?", ANY, RequestClass.SHEDDABLE, True, "API status"),
    # Do I need an eTA? Cheap and answers most visitors (US citizens do not): never queued.
    Rule(_ETA + r"/(?:check|verifier)(?:/.*)?", ANY, RequestClass.DEFAULT, False, "triage"),
    Rule(r"/api/v1/eligibility", ANY, RequestClass.DEFAULT, False, "triage, the same on the API"),
    # The journey.
    Rule(_APPLY + r"(?:/.*)?", ANY, RequestClass.DEFAULT, True, "application steps"),
    Rule(_ETA + r"/(?:resume|reprendre)(?:/.*)?", ANY, RequestClass.DEFAULT, True, "resume"),
    Rule(r"/api/v1/.*", ANY, RequestClass.DEFAULT, True, "API"),
)

# Cheap first test: a path outside these prefixes cannot match a gated rule.
_GATED_PREFIXES = ("/en/eta", "/fr/ave", "/api/v1/", "/sandbox-pay", "/ops/")


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def classify(method: str, path: str, rules: tuple[Rule, ...] = RULES) -> Route:
    """The class of one request, by method and path (first matching rule)."""
    if not path.startswith(_GATED_PREFIXES):
        return BYPASS_ROUTE
    for rule in rules:
        if rule.matches(method, path):
            return Route(rule.klass, rule.needs_pass)
    return BYPASS_ROUTE


class RouteCache:
    """``classify`` memoised per (method, path), bounded: paths repeat, regexes cost."""

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
