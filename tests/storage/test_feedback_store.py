"""Reader reports are stored for real on both backends, through the HTTP form."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select

from northgate.app import create_app
from northgate.settings import Settings
from northgate.storage.db import Database
from northgate.storage.models import PageFeedback


async def test_report_is_saved_and_thanked(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(database_url=database_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(
            "/fr/retroaction",
            data={"page": "eta", "problem": "other", "details": "Le lien « Aide » ne marche pas"},
        )
    assert response.status_code == 200
    assert "Merci" in response.text
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = (await session.scalars(select(PageFeedback))).all()
    finally:
        await database.close()
    assert [(r.page_key, r.lang, r.problem, r.details) for r in rows] == [
        ("eta", "fr", "other", "Le lien « Aide » ne marche pas")
    ]
    assert rows[0].created_at is not None
