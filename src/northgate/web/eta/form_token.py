"""The CSRF token of forms posted before there is a draft: start an application, look up a
status, re-send an e-mail.

Forms of an open application carry a token bound to its draft (``session.csrf_token``).
Before that there is no draft to bind to, so the page that shows such a form gives the
browser a random ``ng_form`` cookie and the form a token signed over it, in the same format
as the draft's. Another site can make a browser post a form, but cannot read the cookie or
the page, so it cannot send the matching token: without it nothing is created, sent or
looked up, and no draft cookie is replaced.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import Response

from northgate.web.eta import session as draft_session

COOKIE_NAME = "ng_form"
# secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet; anything else is not ours.
_COOKIE_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def _bound(cookie: str) -> str:
    # A namespace of its own: a form token can never stand for a draft's, or the reverse.
    return f"form:{cookie}"


def _cookie(request: Request) -> str | None:
    value = request.cookies.get(COOKIE_NAME)
    return value if value is not None and _COOKIE_SHAPE.fullmatch(value) else None


def token_for(request: Request, key: bytes) -> tuple[str, str | None]:
    """The token for this browser's forms, and the cookie to set when it has none yet."""
    cookie = _cookie(request)
    new = None
    if cookie is None:
        cookie = new = secrets.token_urlsafe(32)
    return draft_session.csrf_token(key, _bound(cookie)), new


def set_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(COOKIE_NAME, value, httponly=True, secure=secure, samesite="lax", path="/")


def valid(request: Request, key: bytes, form: Mapping[str, str]) -> bool:
    cookie = _cookie(request)
    return cookie is not None and draft_session.csrf_valid(
        key, _bound(cookie), form.get("csrf_token")
    )
