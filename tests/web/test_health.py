"""Liveness and readiness over real databases and a real Redis."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from northgate.app import create_app
from northgate.settings import Settings
from tests.support.servers import RedisServer, free_port


async def _get(app: object, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path)


async def test_ready_when_the_database_answers(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(database_url=database_url))
    response = await _get(app, "/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert (await _get(app, "/healthz")).json() == {"status": "ok"}


async def test_not_ready_when_postgres_is_unreachable(
    make_settings: Callable[..., Settings],
) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    app = create_app(make_settings(database_url=dead))
    response = await _get(app, "/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert (await _get(app, "/healthz")).status_code == 200


async def test_redis_is_reported_but_its_loss_keeps_the_node_ready(
    sqlite_url: str, redis_server: RedisServer, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(database_url=sqlite_url, redis_url=redis_server.url))
    assert (await _get(app, "/readyz")).json()["redis"] == "ok"
    dead = create_app(
        make_settings(database_url=sqlite_url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    )
    response = await _get(dead, "/readyz")
    assert response.status_code == 200
    assert response.json()["redis"] == "unreachable"
