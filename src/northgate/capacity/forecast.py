"""The arrivals forecaster: trend on top of the same hour last week and the event calendar.

Pure code, no I/O. What it models is the *ratio* of arrivals to what was expected: last
week's arrivals at the same minute, times the calendar's multiplier there. A surge like
2016's (12x last week by 23:00) is a ratio rising steadily while the daily curve under it
falls in the evening; modelling the ratio keeps the daily shape from being read as a trend.
The log of the ratio, in buckets of a few minutes, gets exponential-smoothing state space
models (statsmodels' ETS: no trend, additive trend, damped trend) averaged with Akaike
weights (AICc), whose prediction intervals (80 % by default, widened: see ``_fit``) become
the interval on arrivals. Where there
is no last week (a new site) the baseline is flat and the model follows arrivals alone.

Rates are arrivals per minute throughout; capacity is in the same unit (the composition
of measured per-node capacity and the nodes running, see ``northgate.capacity.service``).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

STEP_MINUTES: Final = 5
HISTORY_MINUTES: Final = 180
HORIZON_MINUTES: Final = 12 * 60
INTERVAL: Final = 0.8
# The arrivals of the last minutes that make "now": short enough to follow a surge, long
# enough that one noisy minute does not swing utilisation.
LEVEL_MINUTES: Final = 15
# Fewer buckets than this and no model is fitted: the ratio is held at its recent mean.
MIN_BUCKETS: Final = 8
# Less than this many arrivals a minute last week is no baseline to compare with.
MIN_BASELINE_PER_MINUTE: Final = 1.0

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Point:
    """The forecast for one bucket: arrivals per minute expected, and the interval."""

    start: dt.datetime
    expected: float
    low: float
    high: float


@dataclass(frozen=True)
class Saturation:
    """When arrivals reach capacity: first as the interval's upper bound, as expected, and
    as its lower bound. ``None``: not within the horizon."""

    earliest: dt.datetime | None
    expected: dt.datetime | None
    latest: dt.datetime | None


@dataclass(frozen=True)
class Forecast:
    now: dt.datetime
    step_minutes: int
    level: float  # arrivals per minute over the last LEVEL_MINUTES
    last_week_level: float  # the same minutes last week
    capacity: float  # arrivals per minute all nodes together sustain
    points: tuple[Point, ...]
    saturation: Saturation
    method: str  # the model with the most weight, or "flat" without enough history
    interval: float = INTERVAL

    @property
    def utilisation(self) -> float:
        return self.level / self.capacity if self.capacity > 0 else math.inf

    @property
    def week_ratio(self) -> float | None:
        return self.level / self.last_week_level if self.last_week_level > 0 else None

    @property
    def peak(self) -> Point | None:
        return max(self.points, key=lambda p: p.expected, default=None)

    def time_to_saturation(self) -> dt.timedelta | None:
        at = self.saturation.expected
        return None if at is None else at - self.now

    def hour_ahead(self) -> float:
        """Arrivals expected in the next hour (the figure the benchmark scores)."""
        per_hour = 60 // self.step_minutes
        return sum(p.expected for p in self.points[:per_hour]) * self.step_minutes


def _buckets(values: Sequence[float] | Floats, step: int) -> Floats:
    """Per-minute values summed into buckets of ``step`` minutes, whole buckets only, the
    newest bucket ending at the last value (a partial oldest bucket is dropped)."""
    array = np.asarray(values, dtype=np.float64)
    usable = len(array) // step * step
    summed: Floats = array[len(array) - usable :].reshape(-1, step).sum(axis=1)
    return summed


def _forward_buckets(values: Sequence[float] | Floats, step: int) -> Floats:
    array = np.asarray(values, dtype=np.float64)
    usable = len(array) // step * step
    summed: Floats = array[:usable].reshape(-1, step).sum(axis=1)
    return summed


def _fit(ratio: Floats, steps: int, interval: float) -> tuple[Floats, Floats, Floats, str]:
    """Forecast ``steps`` buckets of the log ratio: mean, lower and upper bounds."""
    if len(ratio) < MIN_BUCKETS:
        return _flat(ratio, steps, interval)
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    endog = pd.Series(ratio)
    fits: list[tuple[float, str, Floats, Floats, Floats]] = []
    with warnings.catch_warnings():
        # Convergence chatter on short, smooth series: the AICc weights judge the fits.
        warnings.simplefilter("ignore")
        for name, trend, damped in (
            ("level", None, False),
            ("trend", "add", False),
            ("damped trend", "add", True),
        ):
            try:
                fitted = ETSModel(endog, error="add", trend=trend, damped_trend=damped).fit(
                    disp=False
                )
                frame = fitted.get_prediction(
                    start=len(ratio), end=len(ratio) + steps - 1
                ).summary_frame(alpha=1 - interval)
            except (ValueError, np.linalg.LinAlgError):
                continue
            score = float(fitted.aicc)
            mean = frame["mean"].to_numpy(dtype=np.float64)
            # The model's interval assumes independent errors and known parameters;
            # arrivals wander (a busy quarter of an hour tends to follow a busy one) and
            # the trend is itself an estimate. Widened by the larger of the residuals'
            # AR(1) long-run variance factor and WIDEN, calibrated on replayed curves
            # (testing.surge2016, seeds 1-3, surge and normal weeks) so that about
            # INTERVAL of outcomes fall inside; bench/forecast.py measures the coverage
            # on another seed.
            widen = max(_autocorrelation_factor(np.asarray(fitted.resid, dtype=np.float64)), WIDEN)
            low = mean - widen * (mean - frame["pi_lower"].to_numpy(dtype=np.float64))
            high = mean + widen * (frame["pi_upper"].to_numpy(dtype=np.float64) - mean)
            if math.isfinite(score) and all(np.isfinite(x).all() for x in (mean, low, high)):
                fits.append((score, name, mean, low, high))
    if not fits:
        return _flat(ratio, steps, interval)
    # Akaike weights: each model counts as much as the data support it, so the forecast
    # does not jump when two models fit almost equally well and the choice flips.
    best = min(score for score, *_ in fits)
    weights = [math.exp(-(score - best) / 2) for score, *_ in fits]
    share = np.asarray(weights, dtype=np.float64) / sum(weights)
    mean, low, high = (
        np.sum([w * f[k] for w, f in zip(share, fits, strict=True)], axis=0) for k in (2, 3, 4)
    )
    leading = max(zip(weights, fits, strict=True), key=lambda pair: pair[0])[1][1]
    return mean, low, high, leading


MAX_WIDEN: Final = 3.0
WIDEN: Final = 1.5


def _autocorrelation_factor(residuals: Floats) -> float:
    """sqrt((1 + r) / (1 - r)) for the lag-1 autocorrelation r of ``residuals`` (r >= 0),
    at most MAX_WIDEN: how much wider than independent errors' an interval must be."""
    if len(residuals) < 4 or min(np.std(residuals[:-1]), np.std(residuals[1:])) == 0:
        return 1.0
    r = float(np.corrcoef(residuals[:-1], residuals[1:])[0, 1])
    if not math.isfinite(r) or r <= 0:
        return 1.0
    return min(math.sqrt((1 + r) / (1 - r)), MAX_WIDEN)


def _flat(ratio: Floats, steps: int, interval: float) -> tuple[Floats, Floats, Floats, str]:
    """Too little history for a model: the recent mean, with a spread that grows like a
    random walk's from what little variation there is (at least 20 %)."""
    recent = ratio[-3:] if len(ratio) else np.zeros(1)
    centre = float(recent.mean())
    sigma = max(float(np.std(np.diff(ratio))) if len(ratio) > 2 else 0.0, math.log(1.2))
    z = _normal_quantile(0.5 + interval / 2)
    spread = z * sigma * np.sqrt(np.arange(1, steps + 1, dtype=np.float64))
    mean = np.full(steps, centre)
    return mean, mean - spread, mean + spread, "flat"


def _normal_quantile(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def forecast(
    *,
    now: dt.datetime,
    recent: Sequence[float],
    last_week: Sequence[float],
    multipliers: Sequence[float],
    capacity: float,
    horizon_minutes: int = HORIZON_MINUTES,
    step_minutes: int = STEP_MINUTES,
    interval: float = INTERVAL,
) -> Forecast:
    """Forecast arrivals per minute from ``now`` for ``horizon_minutes``.

    ``recent``: arrivals of each complete minute up to ``now``, oldest first.
    ``last_week`` and ``multipliers``: per minute, aligned with ``recent`` and running on
    ``horizon_minutes`` past it: last week's arrivals at the same minute (one week earlier in
    the operators' time zone) and the event calendar's multiplier (1 outside events).
    ``capacity``: arrivals per minute all nodes sustain.
    """
    history = len(recent)
    if len(last_week) != history + horizon_minutes or len(multipliers) != len(last_week):
        raise ValueError("last_week and multipliers must cover recent and the horizon")
    step = step_minutes
    expected_before = np.asarray(last_week, dtype=np.float64) * np.asarray(
        multipliers, dtype=np.float64
    )
    has_baseline = history > 0 and (float(np.mean(last_week[:history])) >= MIN_BASELINE_PER_MINUTE)
    if not has_baseline:
        # No last week to lean on: a flat baseline (with the calendar still applied).
        expected_before = np.asarray(multipliers, dtype=np.float64)
    seen = _buckets(recent, step)
    base_seen = _buckets(expected_before[:history], step)
    base_ahead = _forward_buckets(expected_before[history:], step)
    # +1 keeps the logarithm finite for empty buckets and weighs little against real counts.
    ratio = np.log((seen + 1) / (base_seen + 1))
    mean, low, high, method = _fit(ratio, len(base_ahead), interval)
    per_minute = 1 / step

    def arrivals(log_ratio: Floats) -> Floats:
        values = ((base_ahead + 1) * np.exp(log_ratio) - 1) * per_minute
        return np.maximum(values, 0.0)

    expected, lows, highs = arrivals(mean), arrivals(low), arrivals(high)
    starts = [now + dt.timedelta(minutes=step * i) for i in range(len(base_ahead))]
    points = tuple(
        Point(start, float(e), float(lo), float(hi))
        for start, e, lo, hi in zip(starts, expected, lows, highs, strict=True)
    )
    window = min(LEVEL_MINUTES, history)
    level = float(np.mean(recent[history - window :])) if window else 0.0
    last_week_level = float(np.mean(last_week[history - window : history])) if window else 0.0
    return Forecast(
        now=now,
        step_minutes=step,
        level=level,
        last_week_level=last_week_level,
        capacity=capacity,
        points=points,
        saturation=_saturation(now, level, capacity, points),
        method=method,
        interval=interval,
    )


def _saturation(
    now: dt.datetime, level: float, capacity: float, points: Sequence[Point]
) -> Saturation:
    if level >= capacity:
        return Saturation(now, now, now)

    def first(attribute: str) -> dt.datetime | None:
        return next((p.start for p in points if getattr(p, attribute) >= capacity), None)

    return Saturation(first("high"), first("expected"), first("low"))
