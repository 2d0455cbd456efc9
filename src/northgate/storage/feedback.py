"""Where the "report a problem on this page" answers are kept: one row per report."""

from __future__ import annotations

from northgate.storage.db import Database
from northgate.storage.models import PageFeedback


async def save_feedback(
    database: Database, *, page_key: str, lang: str, problem: str, details: str
) -> None:
    async with database.session() as session:
        session.add(PageFeedback(page_key=page_key, lang=lang, problem=problem, details=details))
        await session.commit()
