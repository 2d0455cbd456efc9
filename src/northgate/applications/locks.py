"""Serialise every change to one application: payment start and settle, the decision.

PostgreSQL: ``SELECT … FOR UPDATE`` on the application row; concurrent transactions for
the same application queue behind it, others run in parallel.

SQLite has one writer per database and no row locks. The Python driver opens its
transaction lazily, at the first INSERT/UPDATE, so reads issued before that run outside
any transaction and could act on stale data. Making a (no-op) UPDATE the first statement
takes the write lock at once, like ``BEGIN IMMEDIATE``, waiting up to ``busy_timeout``;
every read after it sees the latest committed state and nobody can change it until we
commit.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.storage.db import dialect_name
from northgate.storage.models import Application


async def lock_application(session: AsyncSession, application_id: int) -> Application | None:
    """The application, locked for the rest of the caller's transaction; None if absent."""
    if dialect_name(session) == "sqlite":
        await session.execute(
            update(Application)
            .where(Application.id == application_id)
            .values(status=Application.status)
            .execution_options(synchronize_session=False)
        )
        query = select(Application).where(Application.id == application_id)
    else:
        query = select(Application).where(Application.id == application_id).with_for_update()
    # populate_existing: a row cached in this session from before the lock may be stale.
    result = await session.execute(query.execution_options(populate_existing=True))
    return result.scalar_one_or_none()
