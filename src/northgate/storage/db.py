"""The database connection: one async engine per process, configured per backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from northgate.storage.urls import async_url, is_sqlite

CONNECT_TIMEOUT_SECONDS = 5.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; NORMAL is durable at each checkpoint
    # and, in WAL mode, never corrupts; busy_timeout waits instead of failing on a lock.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    parsed: URL = async_url(url)
    if is_sqlite(parsed):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection per process: SQLite has one writer at a time, and a second
        # connection waiting for the lock polls with growing sleeps while whoever holds it
        # commits and takes it again; the pool's queue is fair and wakes the next session
        # at once (docs/decisions/0003-one-sqlite-connection-per-process.md). Sessions must
        # therefore never nest, nor hold a connection across outside I/O (jobs/worker.py).
        engine = create_async_engine(parsed, pool_size=1, max_overflow=0)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # A server that does not answer must not hold a request for asyncpg's default minute:
    # after CONNECT_TIMEOUT_SECONDS it is an outage (a 503 with Retry-After).
    # Pre-ping: a round trip on every checkout (measured 2026-12-06, one draft read through
    # the service, client CPU: 650 us with it, 440 us without), kept because without it a
    # restart of PostgreSQL failed requests after the server was back: each connection the
    # server had closed failed the first request that met it, and SQLAlchemy did not always
    # invalidate the rest (tests/jobs/test_worker_outage.py saw the database "down" again
    # after it had recovered). A request that meets a restart is worth more than 0.2 ms.
    return create_async_engine(
        parsed,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def upsert_insert(dialect: str) -> Any:
    """The INSERT construct with ON CONFLICT for this backend (both speak it)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class Database:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Reads that change nothing need no transaction: on PostgreSQL, no BEGIN before
        # and no ROLLBACK after the query (two round trips of three; measured 650 -> 580 us
        # of client CPU per draft read). Every statement still sees committed data only,
        # as each statement of a READ COMMITTED transaction does. SQLite's driver begins
        # a transaction only before a write, so there the plain sessions already are this.
        self.readers = (
            self.sessions
            if self.engine.dialect.name == "sqlite"
            else async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only: never commit anything through it."""
        async with self.readers() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()
