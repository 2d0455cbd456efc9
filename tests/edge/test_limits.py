"""RequestLimits: oversized or malformed requests get a 4xx page before any work is done."""

from __future__ import annotations

import httpx
import pytest

from northgate.core.asgi import ASGIApp, Message, Receive, Scope, Send
from northgate.core.lang import Lang
from northgate.edge.errors import ErrorPages
from northgate.edge.limits import RequestLimits
from northgate.ui.errors import ERROR_TEXTS
from tests.support.asgi import (
    Recorder,
    build_error_pages,
    chunked_receive,
    empty_receive,
    http_scope,
)
from tests.support.html import parse_html

MAX_BODY = 1024
MAX_URL = 256


@pytest.fixture(scope="module")
def errors() -> ErrorPages:
    return build_error_pages()[1]


class ReadingApp:
    """A stand-in application that reads the whole body, then answers 200 with its size."""

    def __init__(self) -> None:
        self.calls = 0
        self.received = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            self.received += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(self.received).encode()})


def limits(errors: ErrorPages, inner: ReadingApp) -> RequestLimits:
    return RequestLimits(inner, errors, max_body_bytes=MAX_BODY, max_url_bytes=MAX_URL)


def error_title(body: bytes) -> str:
    return " ".join(parse_html(body).find_all("h1")[0].text.split())


async def test_a_url_longer_than_the_limit_is_414(errors: ErrorPages) -> None:
    inner = ReadingApp()
    send = Recorder()
    await limits(errors, inner)(
        http_scope("/en/" + "a" * MAX_URL, method="GET"), empty_receive, send
    )
    assert inner.calls == 0
    assert send.status == 414
    assert send.headers[b"content-type"] == b"text/html; charset=utf-8"
    assert error_title(send.body) == ERROR_TEXTS[414]["en"].title


async def test_the_query_string_counts_towards_the_url_limit(errors: ErrorPages) -> None:
    inner = ReadingApp()
    send = Recorder()
    scope = http_scope("/fr/", method="GET", query_string=b"q=" + b"x" * MAX_URL)
    await limits(errors, inner)(scope, empty_receive, send)
    assert inner.calls == 0
    assert send.status == 414
    assert error_title(send.body) == ERROR_TEXTS[414]["fr"].title


async def test_a_url_at_the_limit_passes(errors: ErrorPages) -> None:
    inner = ReadingApp()
    send = Recorder()
    path = "/en/" + "a" * (MAX_URL - 4)
    await limits(errors, inner)(http_scope(path, method="GET"), empty_receive, send)
    assert inner.calls == 1
    assert send.status == 200


async def test_a_declared_body_over_the_limit_is_413_before_the_app_is_called(
    errors: ErrorPages,
) -> None:
    inner = ReadingApp()
    send = Recorder()
    receive, handed_out = chunked_receive([b"x" * (MAX_BODY + 1)])
    scope = http_scope(headers=[(b"content-length", str(MAX_BODY + 1).encode())])
    await limits(errors, inner)(scope, receive, send)
    assert inner.calls == 0
    assert handed_out == [0], "the body must not be read"
    assert send.status == 413
    assert send.headers[b"connection"] == b"close"
    assert error_title(send.body) == ERROR_TEXTS[413]["en"].title


async def test_a_declared_body_at_the_limit_passes(errors: ErrorPages) -> None:
    inner = ReadingApp()
    send = Recorder()
    receive, _ = chunked_receive([b"x" * MAX_BODY])
    scope = http_scope(headers=[(b"content-length", str(MAX_BODY).encode())])
    await limits(errors, inner)(scope, receive, send)
    assert send.status == 200
    assert send.body == str(MAX_BODY).encode()


@pytest.mark.parametrize(
    "content_length", [b"abc", b"-1", b"-0x10", b"1.5", b"", b"10, 10", b"\xff", b"9" * 5000]
)
async def test_a_malformed_content_length_is_400(errors: ErrorPages, content_length: bytes) -> None:
    inner = ReadingApp()
    send = Recorder()
    scope = http_scope("/fr/retroaction", headers=[(b"content-length", content_length)])
    await limits(errors, inner)(scope, empty_receive, send)
    assert inner.calls == 0
    assert send.status == 400
    assert error_title(send.body) == ERROR_TEXTS[400]["fr"].title


async def test_a_streamed_body_past_the_limit_is_413(errors: ErrorPages) -> None:
    inner = ReadingApp()
    send = Recorder()
    receive, handed_out = chunked_receive([b"x" * 400] * 10)  # 4000 bytes, no Content-Length
    await limits(errors, inner)(http_scope(), receive, send)
    assert inner.calls == 1
    assert inner.received <= MAX_BODY
    assert handed_out == [3], "reading must stop at the chunk that passes the limit"
    assert send.status == 413
    assert send.headers[b"connection"] == b"close"
    assert error_title(send.body) == ERROR_TEXTS[413]["en"].title


async def test_a_streamed_body_within_the_limit_passes(errors: ErrorPages) -> None:
    inner = ReadingApp()
    send = Recorder()
    receive, _ = chunked_receive([b"x" * 256] * 4)
    await limits(errors, inner)(http_scope(), receive, send)
    assert send.status == 200
    assert send.body == b"1024"


async def test_a_body_too_large_after_the_response_started_sends_no_second_start(
    errors: ErrorPages,
) -> None:
    async def early_answer(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass

    send = Recorder()
    receive, _ = chunked_receive([b"x" * 600] * 4)
    middleware = RequestLimits(early_answer, errors, max_body_bytes=MAX_BODY, max_url_bytes=MAX_URL)
    await middleware(http_scope(), receive, send)
    assert [m["status"] for m in send.starts] == [200]


async def test_head_error_pages_have_no_body(errors: ErrorPages) -> None:
    send = Recorder()
    await limits(errors, ReadingApp())(
        http_scope("/" + "a" * MAX_URL, method="HEAD"), empty_receive, send
    )
    assert send.status == 414
    assert send.body == b""


async def test_other_scopes_pass_through(errors: ErrorPages) -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def no_send(message: Message) -> None:
        raise AssertionError(message)

    middleware = RequestLimits(inner, errors, max_body_bytes=MAX_BODY, max_url_bytes=MAX_URL)
    await middleware({"type": "lifespan", "asgi": {"version": "3.0"}}, empty_receive, no_send)
    assert seen == ["lifespan"]


async def test_the_real_app_answers_a_long_url_with_414(client: httpx.AsyncClient) -> None:
    response = await client.get("/en/" + "a" * 4096)
    assert response.status_code == 414
    assert response.headers["content-type"] == "text/html; charset=utf-8"


# --- Paths that are not UTF-8 --------------------------------------------------------------

# (raw path, the path as a server hands it on, the error page's language). Servers
# percent-decode the path and either keep undecodable bytes as surrogate escapes or replace
# them (uvicorn, httpx): both are refused, from the raw path or from the decoded one.
NOT_UTF8: list[tuple[bytes, str, Lang]] = [
    (b"/%80/", "/\udc80/", "en"),
    (b"/en/eta/resume/%80/", "/en/eta/resume/\udc80/", "en"),
    (b"/en/eta/resume/%80/", "/en/eta/resume/\ufffd/", "en"),
    (b"/fr/%C3%28", "/fr/\udcc3(", "fr"),  # a lead byte without its continuation
    (b"/fr/\xe9t\xe9", "/fr/\udce9t\udce9", "fr"),  # Latin-1 sent unescaped
    (b"/api/v1/applications/%ff", "/api/v1/applications/\udcff", "en"),
]
UTF8 = [
    (b"/fr/%C3%A9t%C3%A9", "/fr/été"),
    (b"/en/eta", "/en/eta"),
    (b"/en/a%2Fb%20c", "/en/a/b c"),
    (b"/%F0%9F%8D%81", "/\U0001f341"),
]


def scope_for(raw_path: bytes, path: str) -> Scope:
    scope = http_scope(method="GET")
    scope["raw_path"], scope["path"] = raw_path, path
    return scope


@pytest.mark.parametrize(("raw_path", "path", "lang"), NOT_UTF8)
async def test_a_path_that_is_not_utf8_is_400(
    errors: ErrorPages, raw_path: bytes, path: str, lang: Lang
) -> None:
    inner = ReadingApp()
    send = Recorder()
    await limits(errors, inner)(scope_for(raw_path, path), empty_receive, send)
    assert inner.calls == 0
    assert send.status == 400
    assert send.headers[b"content-type"] == b"text/html; charset=utf-8"
    assert error_title(send.body) == ERROR_TEXTS[400][lang].title


async def test_a_decoded_path_that_is_not_text_is_400_without_a_raw_path(
    errors: ErrorPages,
) -> None:
    scope = scope_for(b"", "/en/\udc80/")
    del scope["raw_path"]  # optional in ASGI
    send = Recorder()
    await limits(errors, ReadingApp())(scope, empty_receive, send)
    assert send.status == 400


@pytest.mark.parametrize(("raw_path", "path"), UTF8)
async def test_utf8_paths_pass(errors: ErrorPages, raw_path: bytes, path: str) -> None:
    inner = ReadingApp()
    send = Recorder()
    await limits(errors, inner)(scope_for(raw_path, path), empty_receive, send)
    assert inner.calls == 1
    assert send.status == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("raw_path", "path", "lang"), NOT_UTF8)
async def test_the_real_app_answers_a_path_that_is_not_utf8_with_400_not_500(
    app: ASGIApp, raw_path: bytes, path: str, lang: Lang, method: str
) -> None:
    """Regression: /en/eta/resume/%80/ reached FastAPI's trailing-slash redirect, which
    could not encode the path and raised: a 500."""
    scope = scope_for(raw_path, path)
    scope["method"] = method
    send = Recorder()
    await app(scope, empty_receive, send)
    assert send.status == 400
    assert error_title(send.body) == ERROR_TEXTS[400][lang].title


async def test_the_real_app_answers_an_undecodable_escape_with_400(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/en/eta/resume/%80/")
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/html; charset=utf-8"
