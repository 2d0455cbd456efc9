from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from northgate.storage.db import Database

__all__ = ["database"]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.close()
