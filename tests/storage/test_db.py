"""The PostgreSQL pool (storage/db.py): with its pre-ping, a restart of the server costs no
request once the server is back, and reads need no transaction."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from northgate.storage.db import Database
from tests.support.servers import PostgresServer


@pytest.mark.postgres
async def test_the_pool_heals_after_postgres_restarts(outage_postgres: PostgresServer) -> None:
    database = Database(outage_postgres.create_database("heal"))
    try:
        # Several pooled connections, idle while the server restarts.
        await asyncio.gather(*(database.ping() for _ in range(3)))
        await asyncio.to_thread(outage_postgres.halt)
        await asyncio.to_thread(outage_postgres.resume)
        failures = 0
        for _ in range(5):
            try:
                await database.ping()
            except DBAPIError:
                failures += 1
        assert failures == 0
        await asyncio.gather(*(database.ping() for _ in range(3)))
    finally:
        await database.close()


@pytest.mark.postgres
async def test_reads_run_outside_a_transaction(outage_postgres: PostgresServer) -> None:
    database = Database(outage_postgres.create_database("reads"))
    try:
        # Each statement of a read is a transaction of its own; a session's share one.
        query = text("SELECT txid_current()")
        async with database.reader() as session:
            assert await session.scalar(query) != await session.scalar(query)
        async with database.session() as session:
            assert await session.scalar(query) == await session.scalar(query)
    finally:
        await database.close()
