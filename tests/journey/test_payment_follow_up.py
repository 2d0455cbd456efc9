"""A submitted application still unpaid an hour later gets one reminder; a paid one none."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from northgate.settings import Settings
from northgate.testing.samples import COMPLETE_ANSWERS as ANSWERS
from tests.support.clocked import ClockedApp, clocked_app


@pytest.fixture
async def setup(
    database_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[ClockedApp]:
    settings = make_settings(database_url=database_url, embedded_worker=False)
    async with clocked_app(settings, base_url="http://api") as clocked:
        yield clocked


def _subjects(directory: Path) -> list[str]:
    return [
        str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"])
        for p in sorted(directory.glob("*.eml"))
    ]


async def test_unpaid_application_gets_one_reminder_in_its_language(
    setup: ClockedApp,
) -> None:
    client, services, settings, clock = (
        setup.client,
        setup.services,
        setup.settings,
        setup.clock,
    )
    created = await client.post("/api/v1/applications", json={"answers": ANSWERS})
    assert created.status_code == 201
    worker = services.worker
    await worker.run_once()
    assert _subjects(Path(settings.mail_dir)) == []  # not before the hour is up
    clock.now += timedelta(hours=1, minutes=1)
    for _ in range(3):
        await worker.run_once()
    subjects = _subjects(Path(settings.mail_dir))
    assert len(subjects) == 1
    assert "n’est pas payée" in subjects[0]  # correspondence language is French
    clock.now += timedelta(hours=2)
    await worker.run_once()
    assert len(_subjects(Path(settings.mail_dir))) == 1


async def test_paid_application_gets_no_reminder(
    setup: ClockedApp,
) -> None:
    client, services, settings, clock = (
        setup.client,
        setup.services,
        setup.settings,
        setup.clock,
    )
    created = (await client.post("/api/v1/applications", json={"answers": ANSWERS})).json()
    link = (await client.post(f"/api/v1/applications/{created['id']}/payments")).json()
    card = {"number": "4242424242424242", "expiry": "12/39", "cvc": "123", "name": "E L"}
    back = await client.post(link["redirect_url"], data=card)
    await client.get(back.headers["location"])
    clock.now += timedelta(hours=1, minutes=1)
    for _ in range(4):
        await services.worker.run_once()
    subjects = _subjects(Path(settings.mail_dir))
    assert not any("pas payée" in subject for subject in subjects), subjects
