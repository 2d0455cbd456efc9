"""The "report a problem on this page" form: saved when valid, explained when not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy import select

from northgate.app import create_app
from northgate.core.asgi import ASGIApp, Message
from northgate.settings import Settings
from northgate.site.feedback import MAX_DETAILS
from northgate.storage.db import Database
from northgate.storage.models import PageFeedback
from tests.support.asgi import Recorder, http_scope
from tests.support.html import Document, parse_html

FeedbackRow = tuple[str, str, str, str]


async def saved(database_url: str) -> list[FeedbackRow]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = (await session.scalars(select(PageFeedback).order_by(PageFeedback.id))).all()
    finally:
        await database.close()
    return [(row.page_key, row.lang, row.problem, row.details) for row in rows]


def error_summary(document: Document) -> list[tuple[str | None, str]]:
    """(link target or None, message) of each item in the error summary, in order."""
    (summary,) = [e for e in document.elements if e.attrs.get("role") == "alert"]
    start = document.elements.index(summary)
    items: list[tuple[str | None, str]] = []
    for element in document.elements[start + 1 :]:
        if element.tag == "h1":  # the summary is followed by the page heading
            break
        if element.tag == "li":
            items.append((None, " ".join(element.text.split())))
        elif element.tag == "a" and items:
            items[-1] = (element.attrs["href"], items[-1][1])
    return items


def summary_messages(document: Document) -> list[str]:
    return [message for _, message in error_summary(document)]


async def test_a_valid_report_is_saved_on_each_backend(
    database_url: str, make_settings: Callable[..., Settings]
) -> None:
    app = create_app(make_settings(database_url=database_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        english = await client.post(
            "/en/feedback",
            data={
                "page": "eta-who-needs",
                "problem": "unclear",
                "details": "  Line one\r\nline two  ",
            },
        )
        french = await client.post("/fr/retroaction", data={"page": "home", "problem": "link"})
    for response, lang in ((english, "en"), (french, "fr")):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert parse_html(response.text).find_all("html")[0].attrs["lang"] == lang
    document = parse_html(english.text)
    assert [" ".join(h1.text.split()) for h1 in document.find_all("h1")] == [
        "Thank you for your feedback"
    ]
    assert "/en/eta/who-needs-an-eta" in document.hrefs()  # back to the page reported on
    assert await saved(database_url) == [
        ("eta-who-needs", "en", "unclear", "Line one\nline two"),
        ("home", "fr", "link", ""),
    ]


@pytest.fixture
async def form_client(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url=sqlite_url, max_body_bytes=4096))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def post_invalid(
    client: httpx.AsyncClient, data: dict[str, str], path: str = "/en/feedback"
) -> Document:
    response = await client.post(path, data=data)
    assert response.status_code == 422, response.text[:500]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    return parse_html(response.text)


async def test_missing_problem_is_explained(
    form_client: httpx.AsyncClient, sqlite_url: str
) -> None:
    document = await post_invalid(form_client, {"page": "eta", "details": "keep me"})
    assert document.find_all("html")[0].attrs["lang"] == "en"
    assert summary_messages(document) == ["Select what the problem is"]
    (textarea,) = document.find_all("textarea")
    assert textarea.text == "keep me"
    assert await saved(sqlite_url) == []


async def test_missing_problem_in_french_answers_in_french(
    form_client: httpx.AsyncClient, sqlite_url: str
) -> None:
    document = await post_invalid(form_client, {"page": "eta"}, path="/fr/retroaction")
    assert document.find_all("html")[0].attrs["lang"] == "fr"
    assert len(error_summary(document)) == 1
    assert await saved(sqlite_url) == []


async def test_details_over_the_limit_are_refused_and_kept(
    form_client: httpx.AsyncClient, sqlite_url: str
) -> None:
    details = "<b>é</b> & " * (MAX_DETAILS // 10 + 1)
    assert len(details.strip()) > MAX_DETAILS
    document = await post_invalid(
        form_client, {"page": "eta", "problem": "wrong", "details": details}
    )
    assert summary_messages(document) == [f"Details must be {MAX_DETAILS} characters or fewer"]
    (textarea,) = document.find_all("textarea")
    assert textarea.text == details
    checked = [i.attrs["value"] for i in document.find_all("input") if "checked" in i.attrs]
    assert checked == ["wrong"]
    assert await saved(sqlite_url) == []


async def test_details_at_the_limit_are_accepted(
    form_client: httpx.AsyncClient, sqlite_url: str
) -> None:
    details = "x" * MAX_DETAILS
    response = await form_client.post(
        "/en/feedback", data={"page": "eta", "problem": "wrong", "details": details + "\r\n"}
    )
    assert response.status_code == 200
    assert await saved(sqlite_url) == [("eta", "en", "wrong", details)]


@pytest.mark.parametrize(
    "data",
    [
        {"page": "no-such-page", "problem": "wrong"},
        {"page": "", "problem": "wrong"},
        {"problem": "wrong"},  # no page field at all
    ],
    ids=["unknown", "empty", "absent"],
)
async def test_unknown_page_key_is_refused(
    form_client: httpx.AsyncClient, sqlite_url: str, data: dict[str, str]
) -> None:
    document = await post_invalid(form_client, data)
    assert len(error_summary(document)) == 1
    assert await saved(sqlite_url) == []


async def test_unknown_problem_is_refused(form_client: httpx.AsyncClient, sqlite_url: str) -> None:
    document = await post_invalid(form_client, {"page": "eta", "problem": "rude"})
    assert summary_messages(document) == ["Select what the problem is"]
    assert await saved(sqlite_url) == []


@pytest.mark.parametrize("details", ["", "   \r\n  "])
async def test_other_needs_details(
    form_client: httpx.AsyncClient, sqlite_url: str, details: str
) -> None:
    document = await post_invalid(
        form_client, {"page": "eta", "problem": "other", "details": details}
    )
    assert summary_messages(document) == ["Describe the problem, or choose another option"]
    assert await saved(sqlite_url) == []


@pytest.mark.parametrize(
    "data",
    [
        {"page": "eta"},
        {"page": "eta", "problem": "other"},
        {"page": "eta", "problem": "wrong", "details": "x" * (MAX_DETAILS + 1)},
        {"page": "nope", "problem": "wrong"},
    ],
    ids=["problem", "details-required", "details-too-long", "page"],
)
async def test_error_summary_links_lead_to_the_field(
    form_client: httpx.AsyncClient, data: dict[str, str]
) -> None:
    document = await post_invalid(form_client, data)
    ids = document.ids()
    assert error_summary(document)
    for href, _ in error_summary(document):
        if href is not None:
            assert href.startswith("#")
            assert href[1:] in ids, f"error summary link {href} leads nowhere"


async def test_a_declared_oversized_body_is_413_and_nothing_is_saved(
    form_client: httpx.AsyncClient, sqlite_url: str
) -> None:
    response = await form_client.post(
        "/en/feedback", data={"page": "eta", "problem": "other", "details": "x" * 5000}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert parse_html(response.text).find_all("html")[0].attrs["lang"] == "en"
    assert await saved(sqlite_url) == []


async def test_a_streamed_oversized_body_is_413_and_nothing_is_saved(
    form_client: httpx.AsyncClient, sqlite_url: str
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"page=eta&problem=other&details="
        for _ in range(10):
            yield b"x" * 1000

    response = await form_client.post(
        "/fr/retroaction",
        content=body(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert parse_html(response.text).find_all("html")[0].attrs["lang"] == "fr"
    assert await saved(sqlite_url) == []


async def test_a_body_the_server_cannot_deliver_is_a_4xx_not_a_500(
    app: ASGIApp, sqlite_url: str
) -> None:
    """granian reports a malformed chunked body as ``http.disconnect`` while the client still
    waits for an answer; that is the client's error, not ours."""
    messages: list[Message] = [
        {"type": "http.request", "body": b"page=eta&problem=wr", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    send = Recorder()
    scope = http_scope(
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"transfer-encoding", b"chunked"),
        ]
    )
    await app(scope, receive, send)
    assert 400 <= send.status < 500
    assert await saved(sqlite_url) == []
