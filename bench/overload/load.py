"""The load: open-loop Poisson applicants (polite clients that come back after
Retry-After) and closed-loop clients, tallied into HdrHistograms.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from bench.overload.client import FRESH, Answer, Pool, request_bytes
from bench.overload.settings import TIMEOUT


def histogram() -> Any:
    return HdrHistogram(1, 60_000_000, 3)


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)
    arrivals: int = 0
    polls: int = 0
    created_at_once: int = 0  # 201 on the applicant's first request
    created_after_waiting: int = 0  # 201 on a later poll
    still_waiting: int = 0  # in line when the phase ended
    created: Any = field(default_factory=histogram)  # latency of 201 answers
    refused: Any = field(default_factory=histogram)  # latency of queued/shed answers
    in_line: Any = field(default_factory=histogram)  # arrival -> 201, for those who waited
    lag: Any = field(default_factory=histogram)  # actual send time - intended send time
    first_error: str = ""

    def add(self, outcome: str, micros: int) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        target = self.created if outcome == "created" else self.refused
        target.record_value(max(1, micros))


async def send_one(pool: Pool, raw: bytes, intended: float, tally: Tally) -> Answer | None:
    delay = intended - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
    tally.lag.record_value(max(1, int((time.perf_counter() - intended) * 1e6)))
    try:
        answer = await asyncio.wait_for(pool.request(raw), TIMEOUT)
    except TimeoutError:
        tally.add("timeout", int(TIMEOUT * 1e6))
        return None
    except (OSError, asyncio.IncompleteReadError, ValueError) as error:
        tally.add("failed", int((time.perf_counter() - intended) * 1e6))
        tally.first_error = tally.first_error or repr(error)
        return None
    micros = int((time.perf_counter() - intended) * 1e6)
    if answer.status == 201:
        tally.add("created", micros)
    elif answer.status == 503 and answer.gate in ("queued", "shed") and answer.retry_after:
        tally.add(answer.gate, micros)
    else:
        tally.add(f"error {answer.status}", micros)
        if not tally.first_error:
            tally.first_error = f"{answer.status}: {answer.body[:300]!r}"
    return answer


async def applicant(pool: Pool, arrival: float, end: float, tally: Tally) -> None:
    """One new applicant: submit; if told to wait, come back after Retry-After with the
    cookie jar (the place in line), until admitted or the phase ends."""
    tally.arrivals += 1
    raw, intended, first = FRESH, arrival, True
    while True:
        answer = await send_one(pool, raw, intended, tally)
        if answer is None:
            return
        if answer.status == 201:
            if first:
                tally.created_at_once += 1
            else:
                tally.created_after_waiting += 1
                tally.in_line.record_value(max(1, int((intended - arrival) * 1e6)))
            return
        if answer.retry_after is None or answer.status != 503:
            return
        next_time = intended + answer.retry_after
        if next_time >= end:
            tally.still_waiting += 1
            return
        if answer.visitor:
            raw = request_bytes(answer.visitor)
        intended, first = next_time, False
        tally.polls += 1


async def open_loop(port: int, rate: float, seconds: float, seed: int = 7) -> Tally:
    rng = random.Random(seed)
    pool, tally = Pool(port), Tally()
    start = time.perf_counter() + 0.2
    end = start + seconds
    t, tasks = start, []
    while True:
        t += rng.expovariate(rate)
        if t >= end:
            break
        tasks.append(asyncio.create_task(applicant(pool, t, end, tally)))
        if len(tasks) % 100 == 0:  # schedule about half a second ahead
            await asyncio.sleep(max(0.0, t - time.perf_counter() - 0.5))
    await asyncio.gather(*tasks)
    pool.close()
    return tally


async def closed_loop(port: int, concurrency: int, seconds: float) -> Tally:
    """``concurrency`` fresh clients, each sending its next request when the last is done."""
    pool, tally = Pool(port), Tally()
    end = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < end:
            await send_one(pool, FRESH, time.perf_counter(), tally)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    pool.close()
    return tally
