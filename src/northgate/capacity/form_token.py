"""CSRF tokens of the operators' forms (the event calendar).

Operators sign in with HTTP Basic, which a browser then sends with every request to the
site, another site's form posts included: the credentials alone do not show that the
operator meant to post. The page that shows a form gives the browser a random ``ng_ops``
cookie and the form a token signed over it (``core.signing``, a key of its own); another
site can make a browser post, but can read neither the cookie nor the page.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Final

from northgate.core.signing import Purpose, derive_key, hmac_sha256, same_signature

COOKIE_NAME: Final = "ng_ops"
_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{43}")


def new_cookie() -> str:
    return secrets.token_urlsafe(32)


def valid_cookie(value: str | None) -> str | None:
    return value if value is not None and _SHAPE.fullmatch(value) else None


def token_for(secret: bytes, cookie: str) -> str:
    digest = hmac_sha256(derive_key(secret, Purpose.OPS_FORM), f"csrf:{cookie}".encode())
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_valid(secret: bytes, cookie: str | None, submitted: str | None) -> bool:
    checked = valid_cookie(cookie)
    if checked is None or not submitted or not _SHAPE.fullmatch(submitted):
        return False
    return same_signature(submitted, token_for(secret, checked))
