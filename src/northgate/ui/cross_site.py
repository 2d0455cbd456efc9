"""Was a form posted by another site? For forms on pre-rendered pages, which cannot carry a
per-visitor token (the feedback form on every information page).

Browsers say where a request comes from: ``Sec-Fetch-Site`` (all current browsers) or, on
a POST, ``Origin``. A request without either is not from a browser that another site could
drive, so it is let through: the check stops cross-site forgery, not scripts.
"""

from __future__ import annotations

from fastapi import Request


def cross_site(request: Request, public_origin: str) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "cross-site"
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    own.add(public_origin.rstrip("/"))
    return origin not in own
