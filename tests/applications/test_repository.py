"""A complete application created submitted in one INSERT, on both backends: a reference
already taken draws another; any other conflict (the same idempotency record) is not
swallowed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from northgate.applications import repository
from northgate.storage.db import Database
from northgate.storage.models import Application

NOW = datetime(2016, 11, 8, 23, 0, tzinfo=UTC)


def references(*values: str) -> Iterator[str]:
    yield from values


async def create(database: Database, token_hash: str, draw: Iterator[str]) -> Application:
    async with database.session() as session:
        application = await repository.create_submitted(
            session,
            lang="fr",
            question_set_version="test",
            draft_token_hash=token_hash,
            answers={"surname": "Tremblay"},
            new_reference=lambda: next(draw),
            contact={"email": "t@example.org", "correspondence_lang": "fr"},
            now=NOW,
        )
        await session.commit()
        return application


async def test_a_taken_reference_is_drawn_again_without_losing_the_application(
    database: Database,
) -> None:
    first = await create(database, "a" * 64, references("AAAA-AAAA-AAAA"))
    second = await create(database, "b" * 64, references("AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB"))
    assert (first.reference, second.reference) == ("AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB")
    assert (second.status, second.version, second.answers) == (
        "submitted",
        1,
        {"surname": "Tremblay"},
    )
    assert (second.email, second.correspondence_lang) == ("t@example.org", "fr")
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 2


async def test_the_same_idempotency_record_twice_is_a_conflict_not_a_retry(
    database: Database,
) -> None:
    await create(database, "c" * 64, references("CCCC-CCCC-CCCC"))
    with pytest.raises(IntegrityError):
        await create(database, "c" * 64, references("DDDD-DDDD-DDDD"))


async def test_references_running_out_is_an_error_not_a_loop(database: Database) -> None:
    await create(database, "e" * 64, references("EEEE-EEEE-EEEE"))
    with pytest.raises(RuntimeError, match="unique reference"):
        await create(database, "f" * 64, references(*["EEEE-EEEE-EEEE"] * 5))
