"""An application whose clock the test moves: session timeouts, follow-ups, expiries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from northgate.app import edge_app
from northgate.composition import Services, build
from northgate.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ClockedApp:
    client: httpx.AsyncClient
    services: Services
    settings: Settings
    clock: Clock


def web_app_of(app: Any) -> Any:
    """The FastAPI application behind the edge middleware."""
    while hasattr(app, "app"):
        app = app.app
    return app


@asynccontextmanager
async def clocked_app(settings: Settings, base_url: str = "http://t") -> AsyncIterator[ClockedApp]:
    clock = Clock()
    services = build(settings, clock=clock)
    transport = httpx.ASGITransport(app=edge_app(services))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield ClockedApp(client, services, settings, clock)
