"""The client address: X-Forwarded-For only from trusted proxies, read from the right."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from northgate.analytics.capture.addresses import ClientAddress, parse_address

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


def reference_resolve(resolver: ClientAddress, peer: str | None, xff: bytes | None) -> str | None:
    """The resolution spelled out with ``ipaddress`` alone (as it was before the fast paths)."""
    if not resolver.trusted or xff is None or peer is None:
        return peer
    peer_address = parse_address(peer)
    if peer_address is None or not resolver.is_trusted(peer_address):
        return peer
    client: str | None = peer
    for hop in reversed(xff.decode("latin-1").split(",")[-16:]):
        address = parse_address(hop)
        if address is None:
            return client
        client = str(address)
        if not resolver.is_trusted(address):
            return client
    return client


octets = st.one_of(st.integers(0, 255).map(str), st.sampled_from(["00", "07", "256", "1e1", ""]))
ipv4ish = st.lists(octets, min_size=3, max_size=5).map(".".join)
hops = st.one_of(
    ipv4ish,
    st.sampled_from(["10.0.0.1", "10.255.255.255", "11.0.0.0", "127.0.0.1", "8.8.8.8"]),
    st.tuples(ipv4ish, st.integers(0, 70000)).map(lambda t: f"{t[0]}:{t[1]}"),
    st.sampled_from(["::1", "fd00::5", "2001:db8::1", "[2001:db8::1]:443", "::ffff:10.0.0.9"]),
    st.sampled_from(["", " ", "garbage", "unknown", "1.2.3.4\t", "\u00a01.2.3.4"]),
).flatmap(lambda hop: st.sampled_from([hop, f" {hop}", f"{hop} ", f"  {hop}  "]))


@settings(max_examples=500, deadline=None)
@given(
    peer=st.one_of(st.none(), st.sampled_from(["127.0.0.1", "10.1.1.1", "8.8.8.8", "::1", "x"])),
    chain=st.one_of(st.none(), st.lists(hops, max_size=6).map(",".join)),
)
def test_fast_paths_resolve_as_ipaddress_does(peer: str | None, chain: str | None) -> None:
    xff = None if chain is None else chain.encode("latin-1", "replace")
    for resolver in (PROXIES, ClientAddress(["10.0.0.0/8"]), ClientAddress()):
        assert resolver.resolve(peer, xff) == reference_resolve(resolver, peer, xff)
        assert resolver.resolve(peer, xff) == reference_resolve(resolver, peer, xff)  # memo
