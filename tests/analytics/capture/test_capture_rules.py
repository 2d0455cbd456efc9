"""Sections, bots, outcomes and countries: the dimensions of one arrival."""

from __future__ import annotations

import ipaddress
import random

import pytest

from northgate.analytics.capture.bots import BotRules, is_bot
from northgate.analytics.capture.countries import IptoccResolver, StaticResolver
from northgate.analytics.capture.outcomes import outcome_of
from northgate.analytics.capture.sections import SectionClassifier

INFORMATION = ["/en/", "/fr/", "/en/eta", "/fr/ave", "/en/eta/who-needs-an-eta"]


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/en/eta", "information"),
        ("/fr/ave", "information"),
        ("/en/eta/who-needs-an-eta", "information"),
        ("/en/no-such-page", "information"),
        ("/en/eta/check", "eta"),
        ("/en/eta/apply", "eta"),
        ("/fr/ave/demande/passeport", "eta"),
        ("/en/eta/resume/abc", "eta"),
        ("/en/eta/apply/pay", "payment"),
        ("/fr/ave/demande/paiement", "payment"),
        ("/en/eta/apply/payment-return", "payment"),
        ("/sandbox-pay/pay_123", "payment"),
        ("/api/v1/applications/x/payments", "payment"),
        ("/en/eta/status", "status"),
        ("/fr/ave/etat/renvoyer", "status"),
        ("/api/v1/status", "status"),
        ("/api/v1/eligibility", "api"),
        ("/api/v1/applications", "api"),
        ("/assets/3f2a/css/northgate.css", "assets"),
        ("/favicon.ico", "assets"),
        ("/healthz", "ops"),
        ("/ops/analytics", "ops"),
        ("/api/v1/analytics/live", "ops"),
        ("/api/docs", "ops"),
    ],
)
def test_sections(path: str, section: str) -> None:
    assert SectionClassifier(INFORMATION)(path) == section


def test_assets_stay_assets_when_the_site_lists_them_among_its_responses() -> None:
    # northgate.app passes every cached response of the site, assets included, as the
    # information paths; assets were counted as information pages.
    classify = SectionClassifier([*INFORMATION, "/assets/3f2a/css/northgate.css", "/robots.txt"])
    assert classify("/assets/3f2a/css/northgate.css") == "assets"
    assert classify("/robots.txt") == "assets"
    assert classify("/en/eta") == "information"


@pytest.mark.parametrize(
    "agent",
    [
        b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        b"Mozilla/5.0 (compatible; bingbot/2.0)",
        b"curl/8.5.0",
        b"python-requests/2.31",
        b"Go-http-client/1.1",
        b"Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0",
        b"",
        b"   ",
    ],
)
def test_bots(agent: bytes) -> None:
    assert is_bot(agent)
    assert BotRules()(agent)


@pytest.mark.parametrize(
    "agent",
    [
        b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1",
        b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
        b"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    ],
)
def test_people(agent: bytes) -> None:
    assert not is_bot(agent)


@pytest.mark.parametrize(
    ("status", "hint", "retry_after", "raised", "outcome"),
    [
        (200, None, False, False, "served"),
        (304, None, False, False, "served"),
        (302, None, False, False, "served"),
        (200, "queued", False, False, "queued"),  # the waiting room is a 200
        (503, "shed", True, False, "shed"),
        (503, None, True, False, "shed"),
        (429, None, True, False, "shed"),
        (503, None, False, False, "server_error"),
        (500, None, False, False, "server_error"),
        (404, None, False, False, "client_error"),
        (413, None, False, False, "client_error"),
        (None, None, False, False, "client_error"),  # the client left before an answer
        (200, None, False, True, "server_error"),  # raised after starting
        (None, "queued", False, True, "server_error"),
        (200, "bogus", False, False, "served"),  # unknown hints are ignored
        (200, 42, False, False, "served"),
    ],
)
def test_outcomes(
    status: int | None, hint: object, retry_after: bool, raised: bool, outcome: str
) -> None:
    assert outcome_of(status, hint=hint, retry_after=retry_after, raised=raised) == outcome


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("8.8.8.8", "US"),
        ("24.48.0.1", "CA"),
        ("1.1.1.1", "AU"),
        ("81.2.69.160", "GB"),
        ("2001:4860:4860::8888", "US"),
        ("2607:f2c0::1", "CA"),
        ("192.168.0.1", "ZZ"),
        ("10.0.0.1", "ZZ"),
        ("127.0.0.1", "ZZ"),
        ("::1", "ZZ"),
        ("fe80::1", "ZZ"),
        ("100.64.0.1", "ZZ"),
        ("not an address", "ZZ"),
    ],
)
def test_countries_from_iptocc(address: str, country: str) -> None:
    resolver = IptoccResolver()
    assert resolver(address) == country
    assert resolver(address) == country  # memoised


# The IANA special-purpose blocks (RFC 6890 and updates), multicast and the reserved rest.
SPECIAL_BLOCKS = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
    "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
]  # fmt: skip


def _not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not address.is_global or address.is_multicast


def test_no_country_for_special_purpose_addresses() -> None:
    """The resolver asks iptocc directly; the registries must know no country for any
    address that ipaddress does not call global (what the resolver checked before)."""
    samples = []
    for block in SPECIAL_BLOCKS:
        network = ipaddress.ip_network(block)
        last = network.num_addresses - 1
        samples += [network[0], network[last // 3], network[last // 2], network[last]]
    rng = random.Random(6890)
    samples += [ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(20_000)]
    samples += [ipaddress.IPv6Address(rng.getrandbits(128)) for _ in range(2_000)]
    checked = [a for a in samples if _not_public(a)]
    assert len(checked) > 2_000  # private, reserved and multicast space among the random ones
    wrong = {str(a): IptoccResolver.lookup(str(a)) for a in checked}
    assert {a: code for a, code in wrong.items() if code != "ZZ"} == {}


def test_the_resolver_is_replaceable() -> None:
    assert StaticResolver({"192.0.2.1": "FR"})("192.0.2.1") == "FR"
    assert StaticResolver({})("192.0.2.1") == "ZZ"
