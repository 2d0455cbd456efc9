"""The origin links are built on, and whether it is where this server can be reached.

Links in pages and e-mails use ``NORTHGATE_PUBLIC_ORIGIN``; without it, the address
``serve`` listens on. A public origin that names another host or port is normal behind a
proxy, and a mistake otherwise (every e-mailed link dead): ``serve`` says so in one line.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Listening on every address names no host a link could use: links take the loopback one.
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 (recognised, not bound)
LOOPBACK = "127.0.0.1"


def _host_in_url(host: str) -> str:
    try:
        is_v6 = ipaddress.ip_address(host).version == 6
    except ValueError:
        is_v6 = False
    return f"[{host}]" if is_v6 else host


def listening_origin(host: str, port: int) -> str:
    """``http://HOST:PORT`` for a server listening there."""
    shown = LOOPBACK if host in WILDCARD_HOSTS else host
    return f"http://{_host_in_url(shown)}:{port}"


def disagreement(public_origin: str, host: str, port: int) -> str | None:
    """Why links built on ``public_origin`` may not reach a server on ``host:port``; None
    when they do."""
    listening = f"http://{_host_in_url(host or '0.0.0.0')}:{port}"  # noqa: S104
    parts = urlsplit(public_origin)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        origin_port = parts.port or default_port
    except ValueError:
        origin_port = None
    if host in WILDCARD_HOSTS:
        if public_origin == listening_origin(host, port):
            return (
                f"serving on every address ({listening}) but links in pages and e-mails "
                f"use {public_origin}: set NORTHGATE_PUBLIC_ORIGIN to the address people use"
            )
        same = origin_port == port
    else:
        same = parts.hostname == host.strip("[]") and origin_port == port
    if same:
        return None
    return (
        f"links in pages and e-mails use NORTHGATE_PUBLIC_ORIGIN={public_origin}, but this "
        f"server listens on {listening}: right behind a proxy that forwards there, "
        "otherwise every link is dead"
    )
