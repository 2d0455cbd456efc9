"""What every CountryResolver promises the tap, held against each one (the iptocc database
and the fixed table tests and simulations use): an ISO code in capitals, or ``ZZ`` for an
address it cannot place, whatever it is given; never an exception on the hot path."""

from __future__ import annotations

import pytest

from northgate.analytics.capture.countries import CountryResolver, IptoccResolver, StaticResolver
from northgate.analytics.capture.dimensions import UNKNOWN_COUNTRY

KNOWN = {"8.8.8.8": "US", "2001:4860:4860::8888": "US"}


@pytest.fixture(params=["iptocc", "static"])
def resolver(request: pytest.FixtureRequest) -> CountryResolver:
    return IptoccResolver() if request.param == "iptocc" else StaticResolver(dict(KNOWN))


@pytest.mark.parametrize(("address", "country"), KNOWN.items())
def test_a_known_address_has_its_country(
    resolver: CountryResolver, address: str, country: str
) -> None:
    assert resolver(address) == country
    assert resolver(address) == country  # the same answer again (memoised or not)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "192.0.2.1", "::1", "fe80::1", "", "unknown", "1.2.3",
     "999.1.1.1", "\x00", "é" * 40, "::ffff:zz"],
)  # fmt: skip
def test_an_address_it_cannot_place_is_zz(resolver: CountryResolver, address: str) -> None:
    assert resolver(address) == UNKNOWN_COUNTRY


def test_answers_are_two_capital_letters(resolver: CountryResolver) -> None:
    for n in range(0, 256, 7):
        country = resolver(f"{n}.{n}.1.1")
        assert len(country) == 2 and country.isascii() and country.isupper()
