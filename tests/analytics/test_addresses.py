"""The client address: X-Forwarded-For only from trusted proxies, read from the right."""

from __future__ import annotations

import pytest

from northgate.analytics.addresses import ClientAddress, parse_address

PROXIES = ClientAddress(["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"])


@pytest.mark.parametrize(
    ("peer", "xff", "expected"),
    [
        # No proxy configured: the socket peer, whatever the header says.
        ("203.0.113.9", b"8.8.8.8", "203.0.113.9"),
        # Untrusted peer: its header is ignored (anyone can write one).
        ("198.51.100.7", b"8.8.8.8", "198.51.100.7"),
        # Trusted proxy: the address it received the request from.
        ("127.0.0.1", b"8.8.8.8", "8.8.8.8"),
        # Chain of trusted proxies: skip them from the right.
        ("10.1.2.3", b"8.8.8.8, 10.9.9.9", "8.8.8.8"),
        # Whatever the client wrote to the left of the first untrusted hop is ignored.
        ("127.0.0.1", b"6.6.6.6, 8.8.8.8", "8.8.8.8"),
        ("127.0.0.1", b"1.1.1.1, 8.8.8.8, 10.0.0.5", "8.8.8.8"),
        # IPv6, with brackets and ports as proxies write them.
        ("::1", b"2001:4860:4860::8888", "2001:4860:4860::8888"),
        ("127.0.0.1", b"[2001:4860:4860::8888]:443", "2001:4860:4860::8888"),
        ("127.0.0.1", b"81.2.69.160:51234", "81.2.69.160"),
        # Garbage from a client behind the proxy: stop at the last believable hop.
        ("127.0.0.1", b"not-an-address, 8.8.8.8", "8.8.8.8"),
        ("127.0.0.1", b"8.8.8.8, garbage", "127.0.0.1"),
        # Every hop trusted: the left-most one is the client.
        ("127.0.0.1", b"10.0.0.1, 10.0.0.2", "10.0.0.1"),
        # No header: the peer.
        ("127.0.0.1", None, "127.0.0.1"),
    ],
)
def test_client_address(peer: str, xff: bytes | None, expected: str) -> None:
    resolver = ClientAddress() if expected == "203.0.113.9" else PROXIES
    assert resolver.resolve(peer, xff) == expected


def test_ipv4_mapped_ipv6_is_the_ipv4_address() -> None:
    assert str(parse_address("::ffff:8.8.8.8")) == "8.8.8.8"
    assert ClientAddress(["127.0.0.1"]).resolve("::ffff:127.0.0.1", b"8.8.8.8") == "8.8.8.8"


def test_a_long_forged_chain_is_bounded() -> None:
    chain = b", ".join([b"10.0.0.1"] * 10_000)
    assert PROXIES.resolve("127.0.0.1", chain) == "10.0.0.1"
