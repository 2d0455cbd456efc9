"""Operators only: a bearer token, or the same token as the password of HTTP Basic.

Basic lets a browser without JavaScript open the operators' page (it asks for the password
itself); API clients send ``Authorization: Bearer <token>``. The comparison is constant-time.
With no token configured, operator endpoints refuse everyone.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi import HTTPException, Request

REALM = 'Basic realm="Northgate operators", charset="UTF-8"'


def presented_token(authorization: str) -> str:
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return credentials.strip()
    if scheme == "basic":
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


def is_operator(authorization: str, token: str) -> bool:
    if not token:
        return False
    return hmac.compare_digest(presented_token(authorization).encode(), token.encode())


async def require_operator(request: Request) -> None:
    token: str = request.app.state.settings.operator_token.get_secret_value()
    if not token:
        raise HTTPException(403, "operator access is disabled: set NORTHGATE_OPERATOR_TOKEN")
    if not is_operator(request.headers.get("authorization", ""), token):
        raise HTTPException(401, "operator token required", headers={"WWW-Authenticate": REALM})
