"""Alembic environment: migrations run over the same async drivers as the application."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from northgate.schema import metadata
from northgate.storage.db import make_engine
from northgate.storage.urls import async_url, is_sqlite

config = context.config
# Every package's tables (northgate.schema), not only storage's own.
target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table.
        render_as_batch=is_sqlite(connection.engine.url),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline(url: str) -> None:
    context.configure(url=async_url(url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


url = config.get_main_option("sqlalchemy.url") or ""
if context.is_offline_mode():
    run_migrations_offline(url)
else:
    asyncio.run(_run_online(url))
