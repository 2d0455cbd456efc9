"""Operators only: a bearer token, or the same token as the password of HTTP Basic.

Basic lets a browser without JavaScript open the operators' page (it asks for the password
itself); API clients send ``Authorization: Bearer <token>``. The check is
:func:`northgate.core.bearer.authorized`. With no token configured, operator endpoints
refuse everyone.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from northgate.core.bearer import authorized

REALM = 'Basic realm="Northgate operators", charset="UTF-8"'


async def require_operator(request: Request) -> None:
    token: str = request.app.state.settings.operator_token.get_secret_value()
    if not token:
        raise HTTPException(403, "operator access is disabled: set NORTHGATE_OPERATOR_TOKEN")
    if not authorized(request.headers.get("authorization", ""), token):
        raise HTTPException(401, "operator token required", headers={"WWW-Authenticate": REALM})
