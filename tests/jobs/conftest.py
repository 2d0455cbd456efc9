from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from northgate.storage.db import Database
from tests.notify.smtp import smtp_server

__all__ = ["database", "smtp_server"]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.close()
