"""``/metrics`` for Prometheus: operators only (the operators' bearer token).

Scraped with ``authorization: {credentials: TOKEN}`` in the scrape job
(``deploy/prometheus/prometheus.yml``); nginx also answers it to loopback only. Without a
token configured the endpoint refuses everyone, like every operator endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from northgate.analytics.auth import operator_only
from northgate.core.routes import path
from northgate.ops.metrics import NodeMetrics


def metrics_router(metrics: NodeMetrics, token: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(path("ops.metrics"), dependencies=[Depends(operator_only(token))])
    async def scrape() -> Response:
        body = await metrics.exposition()
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"})

    return router
