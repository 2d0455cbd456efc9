"""The database stops while people are applying, then comes back.

A real PostgreSQL is stopped mid-traffic (fast shutdown, as systemd does) and started
again; SQLite is made unavailable by another process holding its write lock past the
busy timeout. Meanwhile: journey pages answer the bilingual 503 page with Retry-After
(JSON for the API), answers just posted come back in a form to send again, information
pages stay up, the gate admits nobody new (people keep their place), the log says it in
a few lines without tracebacks; afterwards everything works and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from html import unescape
from urllib.parse import urlsplit

import httpx
import pytest

from northgate.app import create_app
from northgate.core.asgi import ASGIApp
from northgate.settings import Settings
from northgate.storage.migrate import upgrade
from tests.support.journey import (
    ADULT_FORM,
    csrf_of,
    fill_application,
    start_application,
    step_form,
)
from tests.support.servers import PostgresServer

HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
ACTION = re.compile(r'<form method="post" action="([^"]*)"')
# What the page says, in each language: unavailable for a moment (not "busy", not "error").
UNAVAILABLE = {"en": "unavailable for a moment", "fr": "momentanément indisponible"}


@asynccontextmanager
async def browser(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def until_ready(client: httpx.AsyncClient, deadline_seconds: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_seconds
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the database did not come back"
        await asyncio.sleep(0.2)


def kept_form(page: httpx.Response) -> tuple[str, list[tuple[str, str]]]:
    """The form of the 503 page that sends again what was posted: (action, fields)."""
    action = ACTION.search(page.text)
    assert action, page.text[:500]
    return unescape(action.group(1)), [
        (unescape(n), unescape(v)) for n, v in HIDDEN.findall(page.text)
    ]


def assert_unavailable_page(response: httpx.Response, lang: str) -> None:
    assert response.status_code == 503, response.text[:300]
    assert 1 <= int(response.headers["retry-after"]) <= 120
    assert response.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}"' in response.text
    assert UNAVAILABLE[lang] in response.text
    assert "Something went wrong" not in response.text


def tracebacks(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.exc_info]


async def start_step(client: httpx.AsyncClient, lang: str) -> tuple[str, str]:
    started = await start_application(client, lang)
    assert started.status_code == 303
    step = started.headers["location"]
    page = await client.get(step)
    assert page.status_code == 200
    return step, csrf_of(page.text)


@pytest.mark.postgres
async def test_postgres_stopped_mid_traffic_and_restarted(
    outage_postgres: PostgresServer,
    make_settings: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = outage_postgres.create_database("outage")
    await asyncio.to_thread(upgrade, url)
    app = create_app(make_settings(database_url=url, embedded_worker=False))
    caplog.set_level(logging.INFO)
    async with browser(app) as en, browser(app) as fr, browser(app) as newcomer:
        await fill_application(en)
        fr_step, fr_csrf = await start_step(fr, "fr")

        # Traffic keeps coming while the database stops.
        statuses: list[int] = []
        traffic_on = True

        async def traffic() -> None:
            while traffic_on:
                statuses.append((await en.get("/en/eta/apply/check-your-answers")).status_code)
                await asyncio.sleep(0.005)

        running = asyncio.create_task(traffic())
        await asyncio.sleep(0.2)
        caplog.clear()
        await asyncio.to_thread(outage_postgres.halt)
        seen_before = len(statuses)
        await asyncio.sleep(0.5)

        # The journey: the 503 page in the visitor's language, with Retry-After.
        assert_unavailable_page(await en.get("/en/eta/apply/check-your-answers"), "en")
        assert_unavailable_page(await fr.get(fr_step), "fr")
        # Answers just posted are not thrown away: they come back in a form to send again.
        answers = step_form(urlsplit(fr_step).path, ADULT_FORM, "fr")
        posted = await fr.post(fr_step, data={"csrf_token": fr_csrf, **answers})
        assert_unavailable_page(posted, "fr")
        assert "Rien n’est perdu" in posted.text and "Réessayer" in posted.text
        action, kept = kept_form(posted)
        assert action == fr_step
        assert dict(kept) == {"csrf_token": fr_csrf, **answers}
        # The API answers JSON.
        api = await en.get("/api/v1/applications/" + "A" * 22)  # well formed, unknown
        assert api.status_code == 503 and api.headers["retry-after"]
        assert api.json()["error"] == "unavailable"
        # Information pages stay up; readiness says not ready.
        assert (await newcomer.get("/en/")).status_code == 200
        assert (await newcomer.get("/readyz")).status_code == 503
        # Capacity lost: a new visitor is given a place in line, not admitted.
        waiting = await newcomer.get("/en/eta/apply")
        assert waiting.headers["x-northgate-gate"] == "queued"
        assert "ng_pass" not in newcomer.cookies and "ng_visitor" in newcomer.cookies
        api_newcomer = await newcomer.get("/api/v1/questions", headers={"cookie": ""})
        assert api_newcomer.status_code == 503 and api_newcomer.headers["retry-after"]

        await asyncio.to_thread(outage_postgres.resume)
        await until_ready(newcomer)
        traffic_on = False
        await running
        assert set(statuses) <= {200, 503} and 503 in statuses, sorted(set(statuses))
        during = len(statuses) - seen_before

        # Back: the kept answers are saved by sending the form again, the review and the
        # submission work, and the visitor in line is admitted.
        resent = await fr.post(action, data=dict(kept))
        assert resent.status_code == 303, resent.text[:300]
        assert urlsplit(resent.headers["location"]).path != fr_step
        again = await fr.get(fr_step)
        assert re.search(r'<input[^>]*value="myself"[^>]*checked', again.text)
        review = await en.get("/en/eta/apply/check-your-answers")
        assert review.status_code == 200
        submitted = await en.post(
            "/en/eta/apply/check-your-answers", data={"csrf_token": csrf_of(review.text)}
        )
        assert submitted.status_code == 303
        assert submitted.headers["location"] == "/en/eta/apply/pay"
        admitted = await newcomer.get("/en/eta/apply")
        assert admitted.status_code == 200 and "ng_pass" in newcomer.cookies

    # A few lines about the outage, not one (let alone a traceback) per request.
    watch_lines = [r.getMessage() for r in caplog.records if r.name == "northgate.outage.watch"]
    assert during > 20
    assert sum("database unavailable" in line for line in watch_lines) == 1, watch_lines
    assert any("database available again" in line for line in watch_lines), watch_lines
    assert len(watch_lines) <= 4, watch_lines
    assert tracebacks(caplog.records) == []


async def test_sqlite_locked_past_its_busy_timeout(
    make_settings: Callable[..., Settings], sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(database_url=sqlite_url, embedded_worker=False))
    caplog.set_level(logging.INFO)
    async with browser(app) as client:
        step, csrf = await start_step(client, "en")
        answers = step_form(urlsplit(step).path, ADULT_FORM, "en")
        # Another process (a backup, a migration) holds the write lock.
        holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            posted = await client.post(step, data={"csrf_token": csrf, **answers})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert_unavailable_page(posted, "en")
        action, kept = kept_form(posted)
        assert action == step and dict(kept) == {"csrf_token": csrf, **answers}
        await until_ready(client)
        resent = await client.post(action, data=dict(kept))
        assert resent.status_code == 303 and urlsplit(resent.headers["location"]).path != step
    assert tracebacks(caplog.records) == []
