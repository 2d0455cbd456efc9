"""Migrations run for real on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from northgate.schema import metadata
from northgate.storage.db import make_engine
from northgate.storage.migrate import downgrade, upgrade
from northgate.storage.urls import UnsupportedDatabase, async_url


async def _run(url: str, fn: Any) -> Any:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrations_create_the_models_schema(database_url: str) -> None:
    assert {"page_feedback", "alembic_version"} <= await _run(database_url, _tables)
    assert await _run(database_url, _diff) == []


async def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    # Alembic's env runs its own event loop, so it cannot run on the test's.
    await asyncio.to_thread(downgrade, database_url, "base")
    assert "page_feedback" not in await _run(database_url, _tables)
    await asyncio.to_thread(upgrade, database_url)
    assert "page_feedback" in await _run(database_url, _tables)


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    upgrade(database_url)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite"),
        ("postgresql://u:p@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_urls_map_to_async_drivers(given: str, driver: str) -> None:
    assert async_url(given).drivername == driver


@pytest.mark.parametrize("given", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db"])
def test_unsupported_urls_are_refused_with_a_reason(given: str) -> None:
    with pytest.raises(UnsupportedDatabase, match="use"):
        async_url(given)
