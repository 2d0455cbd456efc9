"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from northgate.core.routes import path
from northgate.outage.classify import DATABASE, REDIS
from northgate.scaling import NODE_HEADER
from northgate.web.dependencies import DatabaseDep, RedisDep, SettingsDep, WatchDep

router = APIRouter(include_in_schema=False)

# A readiness probe that hangs is worse than one that fails: the balancer waits on it.
READY_TIMEOUT_SECONDS = 2.0
_NO_STORE = {"cache-control": "no-store"}


@router.get(path("ops.healthz"))
async def healthz(settings: SettingsDep) -> JSONResponse:
    """The process is up and its event loop answers.

    It names itself (the address it listens on), so that a probe sent through nginx tells
    which node answered: `northgate scale` checks that way that a new node takes traffic.
    nginx answers /healthz to the operators' network only.
    """
    headers = {**_NO_STORE, NODE_HEADER: f"{settings.host}:{settings.port}"}
    return JSONResponse({"status": "ok"}, headers=headers)


@router.get(path("ops.readyz"))
async def readyz(database: DatabaseDep, redis: RedisDep, watch: WatchDep) -> JSONResponse:
    """The process can do useful work: its database answers.

    Redis is reported but does not decide readiness: without it each node falls back to
    local state and keeps serving, which beats being taken out of the balancer.
    """
    body: dict[str, Any] = {"status": "ok", "database": "ok"}
    status = 200
    # Failures are reported to the dependency watch, which logs changes of state: a
    # balancer probing every second must not write a line per probe.
    try:
        await asyncio.wait_for(database.ping(), READY_TIMEOUT_SECONDS)
    except Exception as error:  # any failure means "not ready", never a 500
        watch.failed(DATABASE, error)
        body.update(status="unavailable", database="unreachable")
        status = 503
    else:
        watch.recovered(DATABASE)
    if redis is not None:
        try:
            await asyncio.wait_for(redis.ping(), READY_TIMEOUT_SECONDS)
            body["redis"] = "ok"
            watch.recovered(REDIS)
        except Exception as error:
            watch.failed(REDIS, error)
            body["redis"] = "unreachable"
    return JSONResponse(body, status_code=status, headers=_NO_STORE)
