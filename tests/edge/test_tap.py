"""The tap: outermost, counts every arrival, and never changes what the visitor gets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from northgate.analytics.capture.arrivals import Arrivals
from northgate.analytics.capture.countries import StaticResolver
from northgate.analytics.capture.dimensions import ArrivalKey
from northgate.analytics.capture.recorder import Recorder
from northgate.analytics.capture.salts import DailySalts, MemorySaltStore
from northgate.core.asgi import Message, Receive, Scope, Send
from northgate.edge.tap import Tap
from tests.support.asgi import Recorder as SendRecorder
from tests.support.asgi import build_error_pages, empty_receive, http_scope

BROWSER = (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0")


def make_recorder() -> Recorder:
    return Recorder(
        countries=StaticResolver({"127.0.0.1": "CA"}),
        salts=DailySalts(MemorySaltStore()),
        clock=lambda: 1_700_000_000.0,
    )


def only_key(recorder: Recorder) -> ArrivalKey:
    ((key, n),) = recorder.take().counts.items()
    assert n == 1
    return key


def answer(status: int, headers: list[tuple[bytes, bytes]] | None = None, **state: str) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # Inner components often copy the scope: the state dict must still be the tap's.
        inner = dict(scope)
        inner["state"].update(state)
        await send({"type": "http.response.start", "status": status, "headers": headers or []})
        await send({"type": "http.response.body", "body": b"body"})

    return app


@pytest.mark.parametrize(
    ("app", "outcome"),
    [
        (answer(200), "served"),
        (answer(200, None, **{"northgate.outcome": "queued"}), "queued"),
        (answer(503, [(b"retry-after", b"20")], **{"northgate.outcome": "shed"}), "shed"),
        (answer(503, [(b"Retry-After", b"20")]), "shed"),
        (answer(503), "server_error"),
        (answer(404), "client_error"),
    ],
)
async def test_outcome_contract(app: Any, outcome: str) -> None:
    recorder = make_recorder()
    send = SendRecorder()
    scope = http_scope("/en/eta/apply", method="GET", headers=[BROWSER])
    await Tap(app, recorder)(scope, empty_receive, send)
    key = only_key(recorder)
    assert (key.outcome, key.section, key.country, key.bot) == (outcome, "eta", "CA", False)
    assert send.body == b"body"  # passed through untouched


async def test_the_section_hint_wins() -> None:
    recorder = make_recorder()
    app = answer(200, None, **{"northgate.section": "payment", "northgate.outcome": "queued"})
    await Tap(app, recorder)(http_scope("/en/wait", method="GET"), empty_receive, SendRecorder())
    key = only_key(recorder)
    assert (key.section, key.outcome) == ("payment", "queued")


async def test_an_exception_is_a_server_error_and_is_re_raised() -> None:
    recorder = make_recorder()

    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("inner failure")

    with pytest.raises(ValueError, match="inner failure"):
        await Tap(crash, recorder)(http_scope(method="GET"), empty_receive, SendRecorder())
    assert only_key(recorder).outcome == "server_error"


async def test_with_error_pages_an_exception_is_answered_500_and_counted_once() -> None:
    recorder = make_recorder()
    send = SendRecorder()

    async def crash(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("inner failure")

    await Tap(crash, recorder, errors=build_error_pages()[1])(
        http_scope(method="GET"), empty_receive, send
    )
    assert send.status == 500
    assert only_key(recorder).outcome == "server_error"


async def test_a_cancelled_request_is_counted_and_cancellation_passes_through() -> None:
    recorder = make_recorder()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(10)

    task = asyncio.create_task(Tap(slow, recorder)(http_scope(method="GET"), empty_receive,
                                                   SendRecorder()))  # fmt: skip
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert only_key(recorder).outcome == "client_error"


async def test_a_broken_recorder_never_breaks_the_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(Arrivals):
        def arrive(self, *args: Any) -> None:
            raise RuntimeError("analytics bug")

    broken = Recorder(countries=StaticResolver({}), salts=DailySalts(MemorySaltStore()))
    broken.counter = Broken(wants_forwarded_for=False, outcome_hint="", section_hint="")
    send = SendRecorder()
    await Tap(answer(200), broken)(http_scope(method="GET"), empty_receive, send)
    assert send.status == 200
    assert "could not record" in caplog.text


async def test_lifespan_and_websocket_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    recorder = make_recorder()
    tap = Tap(app, recorder)

    async def nothing(message: Message) -> None:
        return None

    await tap({"type": "lifespan"}, empty_receive, nothing)
    await tap({"type": "websocket", "path": "/"}, empty_receive, nothing)
    assert seen == ["lifespan", "websocket"]
    assert recorder.pending() == 0


async def test_nothing_is_written_per_request() -> None:
    """Recording is in memory only: no await happens between request and aggregate."""
    recorder = make_recorder()
    tap = Tap(answer(200), recorder)
    for _ in range(1000):
        await tap(http_scope(method="GET", headers=[BROWSER]), empty_receive, SendRecorder())
    assert len(recorder.counter) == 1  # the same request a thousand times: one counter
    batch = recorder.take()
    assert list(batch.counts.values()) == [1000]
    (visitors,) = batch.visitors.values()
    assert len(visitors) == 1  # one person
