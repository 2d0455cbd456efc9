"""Country of a client address, from an offline database shipped as a package.

The default resolver uses ``iptocc`` (RIR delegation data, MIT/Apache-2.0, IPv4 and IPv6,
about 0.1 us a look-up). Another source only has to implement :class:`CountryResolver`.
Private, loopback, link-local, reserved and unparseable addresses are ``ZZ`` (unknown):
the registries never delegate the IANA special-purpose blocks, so ``iptocc`` knows no
country for them (tests/analytics/test_capture_rules.py checks this against ``ipaddress``
on every such block and on random addresses). Asking ``ipaddress``'s is_global first made
resolving a new client take 21-23 us instead of 14-15.5 us.
"""

from __future__ import annotations

from typing import Final, Protocol

import iptocc

from northgate.analytics.capture.addresses import parse_address
from northgate.analytics.capture.dimensions import UNKNOWN_COUNTRY

_CACHE_LIMIT: Final = 100_000


class CountryResolver(Protocol):
    def __call__(self, address: str) -> str:
        """ISO 3166-1 alpha-2 code of ``address``, or ``ZZ`` when it is not known."""
        ...


class IptoccResolver:
    """:class:`CountryResolver` over ``iptocc``, memoised (bounded) for repeat visitors."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def __call__(self, address: str) -> str:
        country = self._cache.get(address)
        if country is None:
            country = self.lookup(address)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[address] = country
        return country

    @staticmethod
    def lookup(address: str) -> str:
        parsed = parse_address(address)
        if parsed is None:
            return UNKNOWN_COUNTRY
        code = iptocc.country_code(str(parsed))
        return code.upper() if code and len(code) == 2 else UNKNOWN_COUNTRY


class StaticResolver:
    """A resolver from a fixed table, for tests and simulations (unknown → ``ZZ``)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    def __call__(self, address: str) -> str:
        return self.table.get(address, UNKNOWN_COUNTRY)
