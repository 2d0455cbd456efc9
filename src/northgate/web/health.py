"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

# A readiness probe that hangs is worse than one that fails: the balancer waits on it.
READY_TIMEOUT_SECONDS = 2.0
_NO_STORE = {"cache-control": "no-store"}


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is up and its event loop answers."""
    return JSONResponse({"status": "ok"}, headers=_NO_STORE)


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """The process can do useful work: its database answers."""
    try:
        await asyncio.wait_for(request.app.state.database.ping(), READY_TIMEOUT_SECONDS)
    except Exception as error:  # any failure means "not ready", never a 500
        log.warning("readiness check failed: %s", error)
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"}, status_code=503,
            headers=_NO_STORE,
        )
    return JSONResponse({"status": "ok", "database": "ok"}, headers=_NO_STORE)
