"""The capacity forecaster against the 2016 surge, replayed: forecast error at a 1-hour
horizon, the interval's coverage, and how early saturation is foreseen; and a normal week,
where nothing may be forecast to saturate.

The curve is ``northgate.testing.surge2016`` (seed 2016; the interval's width was
calibrated on seeds 1-3, so this is out of sample): 17,000 arrivals an hour at 23:00 the
week before, 80 % of capacity (200,000 an hour, three nodes) at 17:00, saturation around
23:00. From every 5 minutes between 12:00 and 23:00 Eastern the forecaster sees the three
hours before, last week's curve and no calendar, as on the ops page (northgate.capacity),
and forecasts 12 hours ahead.

Scores:
- next-hour error: |forecast arrivals in the next hour - actual| / actual (target: mean <= 25 %);
- 1-hour point error and coverage: the 5-minute bucket ending one hour ahead, and whether
  it fell inside the 80 % interval;
- time to saturation: at each o'clock from 13:00, when saturation is expected (and the
  interval) against when the replayed demand first reached capacity (15-minute mean);
- normal week: the same origins with no surge; saturation must never be forecast.

Usage: .venv/bin/python -m bench.forecast           ; writes bench/results/forecast.json
       .venv/bin/python -m bench.forecast --quick   ; smoke test, nothing written
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from typing import Any

from bench.harness.entry import QUICK_HELP, run_main
from bench.harness.errors import BenchError
from bench.harness.records import machine_info, write_results
from northgate.capacity.forecast import HISTORY_MINUTES, HORIZON_MINUTES, Forecast, forecast
from northgate.testing.surge2016 import (
    CAPACITY_PER_HOUR,
    EASTERN,
    NODES,
    SURGE_DAY,
    Replay,
    replay,
)

CAPACITY = CAPACITY_PER_HOUR / 60
SEED = 2016
FIRST_ORIGIN = SURGE_DAY + dt.timedelta(hours=12)
LAST_ORIGIN = SURGE_DAY + dt.timedelta(hours=23)
TARGET_NEXT_HOUR_ERROR = 0.25


def _forecast_at(r: Replay, now: dt.datetime) -> Forecast:
    i = r.index(now)
    return forecast(
        now=now,
        recent=r.surge[i - HISTORY_MINUTES : i],
        last_week=r.last_week[i - HISTORY_MINUTES : i + HORIZON_MINUTES],
        multipliers=[1.0] * (HISTORY_MINUTES + HORIZON_MINUTES),
        capacity=CAPACITY,
    )


def _local(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(EASTERN).strftime("%a %H:%M")


def _saturated_at(r: Replay) -> dt.datetime:
    """The first minute the replayed demand's 15-minute mean reaches capacity."""
    for i in range(15, len(r.surge)):
        if sum(r.surge[i - 15 : i]) / 15 >= CAPACITY:
            return r.start + dt.timedelta(minutes=i)
    raise BenchError("the replayed curve never reaches capacity")


def _summary(errors: list[float]) -> dict[str, float]:
    ordered = sorted(errors)
    return {
        "mean": round(statistics.fmean(errors), 4),
        "median": round(statistics.median(errors), 4),
        "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 4),
        "max": round(ordered[-1], 4),
    }


def score(r: Replay, every: int) -> dict[str, Any]:
    next_hour, point, inside, timings, seconds = [], [], [], [], []
    saturating: list[str] = []
    origins = 0
    now = FIRST_ORIGIN
    while now <= LAST_ORIGIN:
        started = time.perf_counter()
        f = _forecast_at(r, now)
        seconds.append(time.perf_counter() - started)
        i = r.index(now)
        actual = sum(r.surge[i : i + 60])
        next_hour.append(abs(f.hour_ahead() - actual) / actual)
        bucket = f.points[60 // f.step_minutes - 1]
        observed = sum(r.surge[i + 60 - f.step_minutes : i + 60]) / f.step_minutes
        point.append(abs(bucket.expected - observed) / observed)
        inside.append(bucket.low <= observed <= bucket.high)
        if f.saturation.expected is not None:
            saturating.append(_local(now) or "")
        if now.minute == 0 and now >= SURGE_DAY + dt.timedelta(hours=13):
            timings.append(
                {
                    "at": _local(now),
                    "utilisation": round(f.utilisation, 3),
                    "saturation_earliest": _local(f.saturation.earliest),
                    "saturation_expected": _local(f.saturation.expected),
                    "saturation_latest": _local(f.saturation.latest),
                    "method": f.method,
                }
            )
        origins += 1
        now += dt.timedelta(minutes=every)
    return {
        "origins": origins,
        "next_hour_error": _summary(next_hour),
        "one_hour_point_error": _summary(point),
        "one_hour_interval_coverage": round(sum(inside) / len(inside), 3),
        "origins_forecasting_saturation": len(saturating),
        "first_origin_forecasting_saturation": saturating[0] if saturating else None,
        "by_hour": timings,
        "forecast_ms_median": round(statistics.median(seconds) * 1000, 1),
    }


def measure(every: int) -> dict[str, Any]:
    minutes = 48 * 60  # from 18:00 the day before to past the last origin's horizon
    surge = replay(seed=SEED, minutes=minutes)
    normal = replay(seed=SEED, minutes=minutes, surge=False)
    saturated = _saturated_at(surge)
    result = {
        "curve": {
            "source": "northgate.testing.surge2016",
            "seed": SEED,
            "capacity_per_hour": CAPACITY_PER_HOUR,
            "nodes": NODES,
            "replayed_saturation": _local(saturated),
            "origins": f"every {every} min, {_local(FIRST_ORIGIN)} to {_local(LAST_ORIGIN)}",
            "history_minutes": HISTORY_MINUTES,
            "horizon_minutes": HORIZON_MINUTES,
        },
        "surge": score(surge, every),
        "normal_week": score(normal, every),
        "target_next_hour_error_mean": TARGET_NEXT_HOUR_ERROR,
    }
    return result


def report(result: dict[str, Any]) -> None:
    surge, normal = result["surge"], result["normal_week"]
    print(f"2016 curve: saturation replayed at {result['curve']['replayed_saturation']}")
    for name, block in (("surge", surge), ("normal week", normal)):
        e, p = block["next_hour_error"], block["one_hour_point_error"]
        print(
            f"{name:12} next-hour error mean {e['mean']:.1%} median {e['median']:.1%} "
            f"p90 {e['p90']:.1%} max {e['max']:.1%}; 1-h point error mean {p['mean']:.1%}; "
            f"80% interval coverage {block['one_hour_interval_coverage']:.0%}; "
            f"origins forecasting saturation {block['origins_forecasting_saturation']}"
            f"/{block['origins']}; {block['forecast_ms_median']} ms a forecast"
        )
    print("time to saturation, surge (at: utilisation, expected [earliest, latest]):")
    for row in surge["by_hour"]:
        print(
            f"  {row['at']}: {row['utilisation']:.0%}, {row['saturation_expected']} "
            f"[{row['saturation_earliest']}, {row['saturation_latest']}] ({row['method']})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=5, help="minutes between origins")
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP + " (hourly origins)")
    args = parser.parse_args()
    if args.quick:
        args.every = 60
    result = measure(args.every)
    report(result)
    mean = result["surge"]["next_hour_error"]["mean"]
    if args.quick:
        print("quick smoke run: nothing written")
        return
    path = write_results(
        "forecast", {"machine": machine_info(packages=("statsmodels", "numpy")), **result}
    )
    print(f"wrote {path}")
    if mean > TARGET_NEXT_HOUR_ERROR:
        raise BenchError(
            f"next-hour error {mean:.1%} is above the {TARGET_NEXT_HOUR_ERROR:.0%} target"
        )


if __name__ == "__main__":
    run_main(main)
