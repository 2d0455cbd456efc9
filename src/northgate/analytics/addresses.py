"""The client's address: the socket peer, or ``X-Forwarded-For`` when the peer is trusted.

Only a proxy we run (nginx, the load balancer) may speak for the client. Each proxy appends
the address it received the request from, so the list is read from the right: skip every
trusted proxy and take the first address that is not one. Anything a client wrote further
left is ignored, since a client can put anything there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_MAX_HOPS: Final = 16


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``["10.0.0.0/8", "127.0.0.1", "::1"]`` → networks; a bare address is a /32 or /128."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


@lru_cache(maxsize=4096)
def parse_address(text: str) -> IPAddress | None:
    """An address from a socket or a header value; ``None`` if it is not one.

    Accepts ``[2001:db8::1]``, ``[2001:db8::1]:443`` and ``192.0.2.1:8080`` as proxies write them.
    """
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ClientAddress:
    """``resolve(peer, forwarded_for) -> address text`` under a trusted-proxy list."""

    def __init__(self, trusted: Iterable[str] = ()) -> None:
        self.trusted = parse_networks(trusted)

    def is_trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.trusted)

    def resolve(self, peer: str | None, forwarded_for: bytes | None) -> str | None:
        if not self.trusted or forwarded_for is None or peer is None:
            return peer
        peer_address = parse_address(peer)
        if peer_address is None or not self.is_trusted(peer_address):
            return peer
        hops = forwarded_for.decode("latin-1").split(",")[-_MAX_HOPS:]
        client: str | None = peer
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:
                # Garbage where an address should be: nothing left of it can be believed.
                return client
            client = str(address)
            if not self.is_trusted(address):
                return client
        return client
