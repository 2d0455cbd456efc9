"""Anomaly rules fire on the 2016 mix and stay quiet on a normal week (synthetic data)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest

from northgate.analytics.report.anomaly import ShareRules, country_shares, surge
from northgate.analytics.report.periods import period_between
from northgate.analytics.report.service import ReportService
from northgate.analytics.store.reading import Reader
from northgate.analytics.store.sql_store import SqlStore
from northgate.storage.db import Database
from tests.analytics.synthetic import (
    ELECTION_NIGHT,
    ELECTION_PER_HOUR,
    NORMAL,
    NORMAL_PER_HOUR,
    traffic,
    wobble,
)

WEEK_MINUTES = 7 * 24 * 60


def visitors(total: int, shares: dict[str, float], rng: random.Random) -> dict[str, int]:
    """Multinomial draw: sampling noise as real counts have it."""
    picked = rng.choices(list(shares), list(shares.values()), k=total)
    out: dict[str, int] = {}
    for country in picked:
        out[country] = out.get(country, 0) + 1
    return out


def baseline(rng: random.Random, weeks: int = 4) -> list[dict[str, int]]:
    return [visitors(NORMAL_PER_HOUR, wobble(NORMAL, rng, 0.12), rng) for _ in range(weeks)]


def test_election_night_us_share_is_flagged() -> None:
    rng = random.Random(2016)
    results = country_shares(visitors(ELECTION_PER_HOUR, ELECTION_NIGHT, rng), baseline(rng))
    flagged = {r.country: r for r in results if r.flagged}
    us = flagged["US"]
    assert us.direction == "above"
    assert us.share == pytest.approx(0.50, abs=0.01)
    assert 0.08 <= us.band[0] <= us.band[1] <= 0.13
    assert us.z > 10
    assert flagged["CA"].direction == "below"  # 37 % against a usual ~70 %
    assert results[0].flagged


@pytest.mark.parametrize("seed", range(25))
def test_a_normal_week_is_quiet(seed: int) -> None:
    rng = random.Random(seed)
    now = visitors(NORMAL_PER_HOUR, wobble(NORMAL, rng, 0.12), rng)
    assert [r for r in country_shares(now, baseline(rng)) if r.flagged] == []


def test_a_normal_week_is_quiet_even_against_a_single_baseline_week() -> None:
    rng = random.Random(7)
    now = visitors(NORMAL_PER_HOUR, wobble(NORMAL, rng, 0.12), rng)
    assert [r for r in country_shares(now, baseline(rng, weeks=1)) if r.flagged] == []


def test_too_few_visitors_are_never_flagged() -> None:
    rng = random.Random(1)
    results = country_shares({"US": 60, "CA": 40}, baseline(rng))
    assert not any(r.flagged for r in results)
    # The same shares with volume are flagged.
    assert any(r.flagged for r in country_shares({"US": 6000, "CA": 4000}, baseline(rng)))


def test_a_country_never_seen_before_is_flagged_only_with_volume() -> None:
    rng = random.Random(3)
    base = baseline(rng)
    now = visitors(NORMAL_PER_HOUR, NORMAL, rng)
    assert not any(r.flagged for r in country_shares({**now, "KP": 5}, base))
    flagged = [r.country for r in country_shares({**now, "KP": 900}, base) if r.flagged]
    assert flagged == ["KP"]


def test_no_baseline_no_verdict() -> None:
    assert country_shares({"US": 1000}, []) == []
    assert country_shares({}, [{"US": 10}]) == []


@pytest.mark.parametrize(
    ("now", "before", "flagged"),
    [
        ([120] * 15, [10] * 15, True),  # 12x for 15 minutes
        ([40] * 15, [10] * 15, True),  # 4x
        ([25] * 15, [10] * 15, False),  # 2.5x
        ([10] * 5 + [120] * 10, [10] * 15, False),  # only 10 minutes so far
        ([120] * 10 + [10] * 5, [10] * 15, False),  # over
        ([9] * 15, [0] * 15, False),  # from nothing, but below the minimum volume (150)
        ([5] * 15, [0] * 15, False),  # too small to mean anything
        ([50] * 15, [0] * 15, True),  # a section that had no traffic last week
    ],
)
def test_surge_rule(now: list[int], before: list[int], flagged: bool) -> None:
    assert surge("eta", now, before).flagged is flagged


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[SqlStore]:
    database = Database(sqlite_url)
    yield SqlStore(database)
    await database.close()


async def _fill(store: SqlStore, end_minute: int, per_hour: int, shares: dict[str, float],
                seed: int) -> None:  # fmt: skip
    """One hour ending at ``end_minute`` now, and the same hour in each of 4 previous weeks."""
    rng = random.Random(seed)
    now = traffic(end_minute - 60, 60, per_hour, shares, seed, f"now-{seed}")
    await store.apply(now, 0)
    for week in range(1, 5):
        past = traffic(end_minute - 60 - week * WEEK_MINUTES, 60, NORMAL_PER_HOUR,
                       wobble(NORMAL, rng, 0.12), seed + week, f"w{week}-{seed}")  # fmt: skip
        await store.apply(past, 0)


def _service(store: SqlStore) -> ReportService:
    return ReportService(Reader(store), timezone=ZoneInfo("UTC"), share_rules=ShareRules())


async def test_the_report_flags_election_night(store: SqlStore) -> None:
    end_minute = int(time.time() // 60)
    await _fill(store, end_minute, ELECTION_PER_HOUR, ELECTION_NIGHT, seed=2016)
    end = dt.datetime.fromtimestamp(end_minute * 60, dt.UTC)
    report = await _service(store).report(period_between(end - dt.timedelta(hours=1), end))
    flags = report.anomalies
    assert flags[0].startswith("US share ") and "% is above its usual 8." in flags[0]
    us = report.country_shares[0]
    assert (us.country, us.flagged, round(us.share, 2)) == ("US", True, 0.50)
    surging = {s.section for s in report.surges if s.flagged}
    assert {"all", "information", "eta"} <= surging
    visitors_now = report.totals["visitors"]
    assert visitors_now.ratio == pytest.approx(ELECTION_PER_HOUR / NORMAL_PER_HOUR, rel=0.08)
    assert report.totals["arrivals"].value == ELECTION_PER_HOUR // 60 * 60  # exact


async def test_the_report_is_quiet_on_a_normal_week(store: SqlStore) -> None:
    end_minute = int(time.time() // 60)
    await _fill(store, end_minute, NORMAL_PER_HOUR, wobble(NORMAL, random.Random(5), 0.1), seed=5)
    end = dt.datetime.fromtimestamp(end_minute * 60, dt.UTC)
    report = await _service(store).report(period_between(end - dt.timedelta(hours=1), end))
    assert report.anomalies == []
    assert report.totals["arrivals"].ratio == pytest.approx(1.0, abs=0.01)
