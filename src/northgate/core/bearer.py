"""Operator credentials: a configured token presented as ``Authorization: Bearer <token>``,
or (where a browser without JavaScript must get in) as the password of HTTP Basic.

One parser and one constant-time comparison for every operator endpoint. A scheme is
matched without regard to case (RFC 9110, section 11.1). With no token configured,
nobody matches: an endpoint without a token is off. Pure code.
"""

from __future__ import annotations

import base64
import binascii

from northgate.core.signing import same_secret


def presented_token(authorization: str | bytes, *, basic: bool = True) -> str:
    """The credential in an ``Authorization`` header value; "" when there is none.

    A header arriving as bytes is read as ISO-8859-1, as HTTP servers do."""
    if isinstance(authorization, bytes):
        authorization = authorization.decode("latin-1")
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return credentials.strip()
    if scheme == "basic" and basic:
        encoded = credentials.strip()
        # base64 of a str with non-ASCII characters raises ValueError, not binascii.Error.
        if not encoded.isascii():
            return ""
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return ""


def authorized(authorization: str | bytes | None, token: str, *, basic: bool = True) -> bool:
    """Whether ``authorization`` presents ``token`` (Bearer, or Basic when ``basic``)."""
    if not token or not authorization:
        return False
    return same_secret(presented_token(authorization, basic=basic), token)
