"""The jobs an application's changes schedule, and the port they are enqueued through.

The outbox belongs to ``northgate.jobs``, which runs these jobs and so depends on this
package; the service therefore receives the outbox's ``enqueue`` from whoever builds it
instead of importing it, and the two packages do not import each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

# The job kinds this package schedules; their handlers live in northgate.jobs.
EMAIL = "email"
PAYMENT_FOLLOW_UP = "payment-follow-up"


class Enqueue(Protocol):
    """``northgate.jobs.outbox.enqueue``: add a job in the caller's transaction; False
    if one with this dedupe key already exists."""

    async def __call__(
        self,
        session: AsyncSession,
        kind: str,
        dedupe_key: str,
        payload: Mapping[str, Any],
        available_at: datetime | None = None,
        *,
        now: datetime,
    ) -> bool: ...
