"""Database URLs as users write them, mapped to the async drivers Northgate runs on."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


class UnsupportedDatabase(ValueError):
    pass


def async_url(url: str) -> URL:
    """``postgresql://…`` → ``postgresql+asyncpg://…``; ``sqlite:///…`` → aiosqlite."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in _ASYNC_DRIVERS:
        raise UnsupportedDatabase(
            f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://…"
        )
    if "+" in parsed.drivername and parsed.drivername not in _ASYNC_DRIVERS.values():
        raise UnsupportedDatabase(f"use an async driver, not {parsed.drivername!r}")
    return parsed.set(drivername=_ASYNC_DRIVERS[backend])


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"
