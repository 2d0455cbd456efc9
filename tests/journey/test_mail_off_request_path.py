"""A mail relay that is down never reaches a visitor: e-mail is a job, never sent in a request."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import select

from northgate.app import create_app
from northgate.settings import Settings
from northgate.storage.db import Database
from northgate.storage.models import OutboxJob
from tests.support.journey import csrf_of
from tests.support.servers import free_port


async def test_a_dead_mail_relay_does_not_touch_the_resume_link_request(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    # Nothing listens on this port: an SMTP connection made in the request would fail it.
    settings = make_settings(database_url=sqlite_url, smtp_host="127.0.0.1", smtp_port=free_port())
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.post("/en/eta/apply")).status_code == 303
        page = await client.get("/en/eta/apply/save")
        sent = await client.post(
            "/en/eta/apply/save",
            data={"csrf_token": csrf_of(page.text), "email": "zoe@example.org"},
        )
    assert sent.status_code == 200 and "We have e-mailed you a link" in sent.text
    database = Database(sqlite_url)
    try:
        async with database.session() as session:
            kinds = (await session.execute(select(OutboxJob.kind))).scalars().all()
    finally:
        await database.close()
    assert kinds == ["email"]
