"""An application whose clock the test moves: session timeouts, follow-ups, expiries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from northgate.app import create_app
from northgate.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ClockedApp:
    client: httpx.AsyncClient
    web: Any  # the FastAPI application inside the edge, for its state
    settings: Settings
    clock: Clock


def web_app_of(app: Any) -> Any:
    """The FastAPI application behind the edge middleware."""
    while hasattr(app, "app"):
        app = app.app
    return app


@asynccontextmanager
async def clocked_app(settings: Settings, base_url: str = "http://t") -> AsyncIterator[ClockedApp]:
    app = create_app(settings)
    web = web_app_of(app)
    clock = Clock()
    web.state.clock = clock
    # The worker and its job handlers keep their own clocks; point them at the same one.
    worker = web.state.services.worker
    worker.clock = clock
    for handler in worker.handlers.values():
        if hasattr(handler, "clock"):
            handler.clock = clock
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield ClockedApp(client, web, settings, clock)
