"""Redis stopped under a node: the journey keeps working on local state, readiness says
so, and the log has one line each way instead of one per probe."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from northgate.app import create_app
from northgate.settings import Settings
from tests.support.servers import RedisServer


@pytest.mark.redis
async def test_redis_stopped_and_started_again(
    make_settings: Callable[..., Settings], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer()
    server.start()
    try:
        app = create_app(make_settings(database_url=sqlite_url, redis_url=server.url))
        transport = httpx.ASGITransport(app=app)
        caplog.set_level(logging.INFO)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/readyz")).json()["redis"] == "ok"
            port = server.port
            server.stop()
            for _ in range(5):
                ready = await client.get("/readyz")
                assert ready.status_code == 200 and ready.json()["redis"] == "unreachable"
            started = await client.post("/en/eta/apply")
            assert started.status_code == 303
            assert (await client.get(started.headers["location"])).status_code == 200
            server = RedisServer()
            server.port = port
            server.start()
            assert (await client.get("/readyz")).json()["redis"] == "ok"
    finally:
        server.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "northgate.outage.watch"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("redis unavailable: ")
    assert lines[1].startswith("redis available again")
    assert not [r for r in caplog.records if r.name.startswith("northgate") and r.exc_info]
