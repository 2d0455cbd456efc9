"""Operators only: a bearer token, or the same token as the password of HTTP Basic.

Basic lets a browser without JavaScript open the operators' page (it asks for the password
itself); API clients send ``Authorization: Bearer <token>``. The check is
:func:`northgate.core.bearer.authorized`. With no token configured, operator endpoints
refuse everyone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import HTTPException, Request

from northgate.core.bearer import authorized

REALM = 'Basic realm="Northgate operators", charset="UTF-8"'


def operator_only(token: str) -> Callable[[Request], Awaitable[None]]:
    """The dependency that lets only holders of ``token`` (the operators') through."""

    async def require_operator(request: Request) -> None:
        if not token:
            raise HTTPException(403, "operator access is disabled: set NORTHGATE_OPERATOR_TOKEN")
        if not authorized(request.headers.get("authorization", ""), token):
            raise HTTPException(401, "operator token required", headers={"WWW-Authenticate": REALM})

    return require_operator
