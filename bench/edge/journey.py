"""Visitors, each wanting a whole journey, arriving open loop (seeded Poisson); and one
visitor at a time in a closed loop, for the capacity and the unloaded latency.

A journey over HTTP, the simplest faithful one (tests/journey/test_payment_follow_up.py
does it through the API): read the information page (a file nginx serves), submit the
application (``POST /api/v1/applications``: the gated request, answered 201 with a pass, or
the waiting room, 503 + Retry-After, where the visitor keeps polling as told), start the
payment (``POST .../payments``), pay at the sandbox bank (card form, 303) and read the
return page. Every request's latency is taken from its *intended* send time: the arrival,
the end of the previous step, or the poll time the room gave."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from bench.edge.client import Answer, Pool, request
from bench.edge.settings import BODY, CARD, PAGE, SUBMIT

PAGE_REQUEST = request("GET", PAGE, {}, accept="text/html")


def histogram() -> HdrHistogram:
    return HdrHistogram(1, 120_000_000, 2)  # microseconds, up to 2 minutes


@dataclass
class Tally:
    arrivals: int = 0
    completed: int = 0  # journeys paid (payment settled, pass ended) within the phase
    saw_room: int = 0  # visitors answered the waiting room at least once
    polls: int = 0
    waiting: int = 0  # in line right now
    peak_waiting: int = 0
    room_answers: int = 0
    gave_up_in_line: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    admitted: HdrHistogram = field(default_factory=histogram)  # every request after the room
    journey: HdrHistogram = field(default_factory=histogram)  # arrival to confirmation
    room: HdrHistogram = field(default_factory=histogram)  # waiting-room answers
    page: HdrHistogram = field(default_factory=histogram)
    lag: HdrHistogram = field(default_factory=histogram)  # how late the generator sent
    errors: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.counts["error"] += 1
        if len(self.errors) < 10:
            self.errors.append(what)


def _us(since: float) -> int:
    return max(1, int((time.perf_counter() - since) * 1e6))


async def _sleep_until(t: float) -> None:
    delay = t - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


async def _step(
    pool: Pool, raw: bytes, intended: float, tally: Tally, hist: HdrHistogram
) -> Answer:
    """One request of an admitted visitor. A 503 with Retry-After (the gate shed it: an
    OPEN page such as the confirmation is shed at the node's limit) is sent again after
    the time it says, as a polite client does; the latency is that of the final answer,
    from the first intended send time."""
    tally.lag.record_value(_us(intended))
    while True:
        answer = await pool.request(raw)
        if answer.status != 503 or answer.retry_after is None:
            hist.record_value(_us(intended))
            return answer
        tally.counts[f"retried {answer.gate or 'busy'}"] += 1
        await asyncio.sleep(answer.retry_after)


async def journey(pool: Pool, arrival: float, end: float, tally: Tally) -> None:
    """One visitor's whole journey, or as far as it gets before ``end``."""
    await _sleep_until(arrival)
    tally.arrivals += 1
    jar: dict[str, str] = {}
    try:
        page = await _step(pool, PAGE_REQUEST, arrival, tally, tally.page)
        if page.status != 200:
            return tally.error(f"page {page.status}")
        intended, in_line = time.perf_counter(), False
        while True:
            tally.lag.record_value(_us(intended))
            answer = await pool.request(request("POST", SUBMIT, jar, body=BODY))
            (tally.admitted if answer.status == 201 else tally.room).record_value(_us(intended))
            jar.update(answer.cookies)
            if answer.status == 201:
                break
            if answer.status != 503 or answer.retry_after is None:
                return tally.error(f"submit {answer.status} {answer.body[:120]!r}")
            tally.room_answers += 1
            tally.counts[f"room {answer.gate}"] += 1
            if not in_line:
                in_line = True
                tally.saw_room += 1
                tally.waiting += 1
                tally.peak_waiting = max(tally.peak_waiting, tally.waiting)
            intended = time.perf_counter() + answer.retry_after
            if intended >= end:
                tally.waiting -= 1
                tally.gave_up_in_line += 1
                return None
            await _sleep_until(intended)
            tally.polls += 1
        if in_line:
            tally.waiting -= 1
        created = json.loads(answer.body)
        pay = f"{SUBMIT}/{created['id']}/payments"
        link = await _step(
            pool, request("POST", pay, jar), time.perf_counter(), tally, tally.admitted
        )
        if link.status not in (200, 201):
            return tally.error(f"payments {link.status} {link.body[:120]!r}")
        jar.update(link.cookies)
        bank = json.loads(link.body)["redirect_url"]
        charge = request(
            "POST",
            bank,
            jar,
            body=CARD,
            content_type="application/x-www-form-urlencoded",
            accept="text/html",
        )
        back = await _step(pool, charge, time.perf_counter(), tally, tally.admitted)
        if back.status != 303 or back.location is None:
            return tally.error(f"bank {back.status} {back.body[:120]!r}")
        jar.update(back.cookies)
        # The bank sends the visitor back to the return page, which settles the payment
        # and redirects to the confirmation: the journey is done (paid, pass ended) when
        # it does. The confirmation is then read once, not waited for: it is an OPEN page
        # the gate sheds at the node's limit (503 + Retry-After), and a journey that has
        # paid must not count as lost because its receipt page was busy.
        fetch = request("GET", back.location, jar, accept="text/html")
        settled = await _step(pool, fetch, time.perf_counter(), tally, tally.admitted)
        if settled.status != 303 or settled.location is None:
            return tally.error(f"payment return {settled.status} {settled.body[:120]!r}")
        if "confirmation" not in settled.location:
            return tally.error(f"payment not approved: sent to {settled.location}")
        if time.perf_counter() <= end:
            tally.completed += 1
            tally.journey.record_value(_us(arrival))
        jar.update(settled.cookies)
        receipt = await pool.request(request("GET", settled.location, jar, accept="text/html"))
        tally.counts[f"confirmation {receipt.status}"] += 1
    except (ConnectionError, OSError) as error:
        tally.error(f"connection: {error}")
    return None


async def open_loop(
    pool: Pool, rate: float, seconds: float, seed: int, tally: Tally, grace: float = 10.0
) -> None:
    """Poisson arrivals at ``rate`` for ``seconds``; journeys under way at the end may finish
    within ``grace`` (only those done by the end count as completed)."""
    rng = random.Random(seed)
    start = time.perf_counter() + 0.2
    end = start + seconds
    tasks: list[asyncio.Task[None]] = []
    t = start
    while True:
        t += rng.expovariate(rate)
        if t >= end:
            break
        tasks.append(asyncio.create_task(journey(pool, t, end, tally)))
        if len(tasks) % 200 == 0:  # schedule about half a second ahead
            await _sleep_until(t - 0.5)
    await _sleep_until(end)
    _, pending = await asyncio.wait(tasks, timeout=grace) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    tally.counts["unfinished_after_grace"] += len(pending)


async def closed_loop(pool: Pool, clients: int, seconds: float) -> Tally:
    """``clients`` visitors one after the other each, every one a whole journey."""
    tally = Tally()
    end = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < end:
            await journey(pool, time.perf_counter(), end + 60, tally)

    await asyncio.gather(*(client() for _ in range(clients)))
    return tally


def ms(hist: HdrHistogram, percentile: float) -> float | None:
    if hist.get_total_count() == 0:
        return None
    value: int = hist.get_value_at_percentile(percentile)
    return round(value / 1000, 2)


def latency(hist: HdrHistogram) -> dict[str, Any]:
    return {
        "count": hist.get_total_count(),
        "p50_ms": ms(hist, 50),
        "p99_ms": ms(hist, 99),
        "max_ms": ms(hist, 100),
    }


async def impatient_waiters(pool: Pool, clients: int, seconds: float, tally: Tally) -> None:
    """``clients`` visitors who join the line and poll again as soon as answered (not
    waiting for Retry-After): the room's answers back to back, for its cost per answer."""
    end = time.perf_counter() + seconds

    async def waiter() -> None:
        jar: dict[str, str] = {}
        while time.perf_counter() < end:
            answer = await pool.request(request("POST", SUBMIT, jar, body=BODY))
            jar.update(answer.cookies)
            if answer.status == 503 and answer.retry_after is not None:
                tally.room_answers += 1
                tally.counts[f"room {answer.gate}"] += 1
            else:
                tally.counts[f"other {answer.status}"] += 1
                jar = {}

    await asyncio.gather(*(waiter() for _ in range(clients)))
