"""Tell a dependency that is unavailable from a fault in our own code.

An outage looks like: a connection refused, reset or timed out; a connection SQLAlchemy
had to invalidate; PostgreSQL refusing work while it starts, stops or is out of
connections (SQLSTATE classes 08, 53 and 57P); SQLite unable to open, lock or write its
file; Redis unreachable. Anything else (a constraint violated, bad SQL) stays a bug: a 500
with its traceback.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator

import redis.exceptions
from sqlalchemy.exc import DBAPIError

DATABASE = "database"
REDIS = "redis"

# What a handler must catch to see every outage; dependency_of() then decides.
OUTAGE_TYPES: tuple[type[Exception], ...] = (DBAPIError, OSError, redis.exceptions.RedisError)

_POSTGRES_SQLSTATES = ("08", "53", "57P")
_SQLITE_MESSAGES = (
    "unable to open database file",
    "disk i/o error",
    "database is locked",
    "readonly database",
    "database or disk is full",
)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else current.__cause__ or current.__context__
        )


def _sqlstate(error: BaseException) -> str:
    for name in ("sqlstate", "pgcode"):
        value = getattr(error, name, None)
        if isinstance(value, str):
            return value
    return ""


def dependency_of(error: BaseException) -> str | None:
    """``"database"`` or ``"redis"`` when ``error`` means that dependency is unavailable."""
    for cause in _causes(error):
        if isinstance(cause, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return REDIS
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return DATABASE
        if _sqlstate(cause).startswith(_POSTGRES_SQLSTATES):
            return DATABASE
        if isinstance(cause, sqlite3.OperationalError):
            message = str(cause).lower()
            if any(known in message for known in _SQLITE_MESSAGES):
                return DATABASE
        # The database driver connecting (asyncpg raises these unwrapped): refused, reset,
        # timed out, or the name did not resolve.
        if isinstance(cause, ConnectionError | TimeoutError | socket.gaierror):
            return DATABASE
    return None
