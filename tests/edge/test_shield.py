"""ErrorShield: an unhandled exception becomes the bilingual 500 page, never a traceback.
The same for the tap given error pages: it is the shield when analytics are on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from northgate.core.asgi import ASGIApp, Receive, Scope, Send
from northgate.core.lang import Lang
from northgate.edge.errors import ErrorPages
from northgate.edge.shield import ErrorShield
from northgate.edge.tap import Tap
from northgate.ui.errors import ERROR_TEXTS
from tests.edge.test_tap import make_recorder
from tests.support.asgi import Recorder, build_error_pages, empty_receive, http_scope
from tests.support.html import parse_html

SECRET = "password=hunter2 at /srv/northgate/app.py line 42"


@pytest.fixture(scope="module")
def errors() -> ErrorPages:
    return build_error_pages()[1]


Shield = Callable[[ASGIApp], ASGIApp]


@pytest.fixture(params=["error shield", "tap with error pages"])
def shield(request: pytest.FixtureRequest, errors: ErrorPages) -> Shield:
    if request.param == "error shield":
        return lambda app: ErrorShield(app, errors)
    return lambda app: Tap(app, make_recorder(), errors=errors)


async def crash(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError(SECRET)


def titles(body: bytes) -> list[str]:
    return [" ".join(h1.text.split()) for h1 in parse_html(body).find_all("h1")]


@pytest.mark.parametrize(
    ("path", "first", "second"),
    [("/en/eta", "en", "fr"), ("/fr/ave", "fr", "en"), ("/", "en", "fr")],
)
async def test_an_exception_becomes_the_bilingual_500_page(
    shield: Shield, path: str, first: Lang, second: Lang, caplog: pytest.LogCaptureFixture
) -> None:
    send = Recorder()
    with caplog.at_level(logging.ERROR, logger="northgate.edge.shield"):
        await shield(crash)(http_scope(path, method="GET"), empty_receive, send)
    assert send.status == 500
    assert send.headers[b"content-type"] == b"text/html; charset=utf-8"
    assert send.headers[b"cache-control"] == b"no-cache"
    assert int(send.headers[b"content-length"]) == len(send.body)
    assert titles(send.body) == [ERROR_TEXTS[500][first].title, ERROR_TEXTS[500][second].title]
    text = send.body.decode()
    assert SECRET not in text
    assert "Traceback" not in text and "RuntimeError" not in text
    assert any(record.exc_info and SECRET in str(record.exc_info[1]) for record in caplog.records)


async def test_head_gets_the_500_status_without_a_body(shield: Shield) -> None:
    send = Recorder()
    await shield(crash)(http_scope("/en/", method="HEAD"), empty_receive, send)
    assert send.status == 500
    assert send.body == b""


async def test_no_second_start_once_the_response_has_started(shield: Shield) -> None:
    async def crash_midway(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError(SECRET)

    send = Recorder()
    await shield(crash_midway)(http_scope("/en/", method="GET"), empty_receive, send)
    assert [m["status"] for m in send.starts] == [200]
    assert send.body == b"partial"


async def test_a_working_app_passes_through_untouched(shield: Shield) -> None:
    async def fine(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x", b"y")]})
        await send({"type": "http.response.body", "body": b"ok"})

    send = Recorder()
    await shield(fine)(http_scope("/en/", method="GET"), empty_receive, send)
    assert send.status == 201
    assert send.headers == {b"x": b"y"}
    assert send.body == b"ok"


def web_app_inside(app: ASGIApp) -> FastAPI:
    """The FastAPI application at the bottom of the edge's middleware chain."""
    layer: Any = app
    for _ in range(10):
        if isinstance(layer, FastAPI):
            return layer
        layer = layer.app
    raise AssertionError("no FastAPI application behind the edge")


@pytest.mark.parametrize(("path", "first"), [("/en/boom", "en"), ("/fr/boom", "fr")])
async def test_an_exception_in_a_route_of_the_real_app_gives_the_500_page(
    app: ASGIApp, path: str, first: Lang
) -> None:
    async def boom() -> None:
        raise RuntimeError(SECRET)

    web_app_inside(app).add_api_route(path, boom)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(path)
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert parse_html(response.text).find_all("html")[0].attrs["lang"] == first
    assert titles(response.content)[0] == ERROR_TEXTS[500][first].title
    assert SECRET not in response.text
    assert "Traceback" not in response.text
