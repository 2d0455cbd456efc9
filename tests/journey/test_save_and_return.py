"""Save and come back later: the e-mailed link resumes the application in a new session;
an idle session ends and says so, without losing saved answers."""

from __future__ import annotations

import email
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from northgate.settings import Settings
from tests.support.clocked import ClockedApp, clocked_app
from tests.support.journey import ADULT_FORM, csrf_of, fill_application, start_application


@pytest.fixture
async def setup(
    sqlite_url: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[ClockedApp]:
    settings = make_settings(database_url=sqlite_url, embedded_worker=False)
    async with clocked_app(settings) as clocked:
        yield clocked


def _resume_link(mail_dir: Path) -> str:
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                found = re.search(r"https?://\S+/resume/\S+", payload.decode())
                if found:
                    return found.group(0)
    raise AssertionError("no resume link was e-mailed")


async def test_resume_link_opens_the_application_in_a_new_browser(
    setup: ClockedApp,
) -> None:
    client, services, settings = setup.client, setup.services, setup.settings
    await fill_application(client)
    save_page = await client.get("/en/eta/apply/save")
    sent = await client.post(
        "/en/eta/apply/save",
        data={"csrf_token": csrf_of(save_page.text), "email": "zoe@example.org"},
    )
    assert sent.status_code == 200
    assert "zoe@example.org" in sent.text
    await services.worker.run_once()
    link = _resume_link(Path(settings.mail_dir))

    old_cookie = client.cookies.get("ng_draft")
    fresh = httpx.AsyncClient(transport=client._transport, base_url="http://t")
    async with fresh:
        opened = await fresh.get(link.replace(settings.public_origin, ""))
        assert opened.status_code == 303
        review = await fresh.get(opened.headers["location"])
        assert "Zoë Anne" in review.text
    # The old session no longer opens the application (shared computers).
    client.cookies.set("ng_draft", old_cookie or "")
    stale = await client.get("/en/eta/apply/check-your-answers")
    assert stale.status_code == 303


async def test_bad_email_for_the_link_is_refused_with_a_message(
    setup: ClockedApp,
) -> None:
    client = setup.client
    await start_application(client)
    page = await client.get("/en/eta/apply/save")
    refused = await client.post(
        "/en/eta/apply/save", data={"csrf_token": csrf_of(page.text), "email": "zoe@"}
    )
    assert refused.status_code == 422
    assert "correct format" in refused.text


async def test_idle_session_ends_and_answers_stay_saved(
    setup: ClockedApp,
) -> None:
    client, clock = setup.client, setup.clock
    review = await fill_application(client)
    assert review.status_code == 200
    assert "session-timeout" in review.text  # the warning is on the page
    clock.now += timedelta(minutes=61)
    ended = await client.get("/en/eta/apply/check-your-answers")
    assert ended.status_code == 303
    assert ended.headers["location"].endswith("/session-ended")
    page = await client.get(ended.headers["location"])
    assert "answers you saved are kept" in page.text


async def test_unknown_resume_link_is_a_clear_404(
    setup: ClockedApp,
) -> None:
    client = setup.client
    response = await client.get("/fr/ave/reprendre/not-a-real-token")
    assert response.status_code == 404
    assert 'lang="fr"' in response.text
    assert ADULT_FORM  # the fixture data is shared with the other journey tests
