"""Which section of the site a path belongs to.

Information pages are the catalogue the site serves from memory (given at start-up), plus
anything unrecognised (a mistyped page is still someone looking for information). The rest
is told by the path, in English and French:

- ``/assets/…``, ``/favicon.ico``, ``/robots.txt``: assets
- ``/ops/…``, ``/healthz``, ``/readyz``, ``/metrics``, ``/api/v1/analytics``, API docs: ops
- ``/api/…``: the API (partners, airlines)
- a path segment naming payment (``pay``, ``payment-return``, ``paiement``, ``sandbox-pay``…):
  payment
- a path segment naming status look-up (``status``, ``statut``, ``etat``): status
- anything else under an eTA or application prefix (``/en/eta/…``, ``/fr/ave/…``,
  ``/en/apply``, ``/fr/demande``): the eTA journey

An inner component can override this for one request with
``scope["state"]["northgate.section"]`` (see ``northgate.edge.tap``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final, TypeGuard

from northgate.analytics.dimensions import SECTIONS, Section

_OPS_EXACT: Final = frozenset({"/healthz", "/readyz", "/metrics"})
_OPS_PREFIXES: Final = ("/ops/", "/api/v1/analytics", "/api/docs", "/api/openapi.json")
_ASSET_EXACT: Final = frozenset({"/favicon.ico", "/robots.txt", "/sitemap.xml"})
_PAYMENT = re.compile(r"(^|-)(pay|payments?|paiement|payer|gateway)($|-)")
_STATUS_WORDS: Final = frozenset({"status", "statut", "etat", "état"})
_JOURNEY_WORDS: Final = frozenset(
    {"eta", "ave", "apply", "application", "applications", "demande", "demandes", "resume"}
)
_CACHE_LIMIT: Final = 20_000
_VALID: Final = frozenset(SECTIONS)


def is_section(value: object) -> TypeGuard[Section]:
    return isinstance(value, str) and value in _VALID


class SectionClassifier:
    """Maps a path to a section; results are memoised (bounded) because paths repeat."""

    def __init__(self, information_paths: Iterable[str] = ()) -> None:
        self._information = frozenset(information_paths)
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
        # Assets first: the site's cached responses, which name the information pages,
        # include them too.
        if path.startswith("/assets/") or path in _ASSET_EXACT:
            return "assets"
        if path in self._information:
            return "information"
        if path in _OPS_EXACT or path.startswith(_OPS_PREFIXES):
            return "ops"
        segments = [segment for segment in path.lower().split("/") if segment]
        words = set(segments)
        if any(_PAYMENT.search(segment) for segment in segments):
            return "payment"
        if words & _STATUS_WORDS:
            return "status"
        if segments and segments[0] == "api":
            return "api"
        if words & _JOURNEY_WORDS:
            return "eta"
        return "information"
