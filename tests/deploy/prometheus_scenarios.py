"""The 2016 election night and a normal week as `promtool test rules` input series.

Writes ``deploy/prometheus/tests/election_night_test.yml`` (``python -m
tests.deploy.prometheus_scenarios``); tests/deploy/test_prometheus_rules.py checks that the
committed file is what this writes, then runs promtool on it.

Figures from ../shared/INCIDENT.md, times Eastern, test time 0 = Tuesday 1 November 2016,
00:00 (a week before): ~17,000 arrivals an hour at 23:00 a week earlier; on 8 November
servers at 80 % of capacity at 17:00 and saturated at 23:00 with ~200,000 an hour; the
United States' share went from its usual ~10 % to ~50 %. Capacity is therefore 200,000 an
hour (three nodes). Demand between the reported points is interpolated linearly; only the
last week's day and election day carry samples (the days between are empty: no rule looks
at them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "prometheus" / "rules" / "northgate.rules.yml"
OUTPUT = REPO / "deploy" / "prometheus" / "tests" / "election_night_test.yml"

DAY_MINUTES = 24 * 60
SEGMENT = 10  # minutes of constant rate in the input series
NODES = 3
CAPACITY_PER_HOUR = 200_000
# Thousands of arrivals an hour at each hour, 00:00 to 24:00, on an ordinary Tuesday.
NORMAL: list[float] = [
    6,
    5,
    4,
    4,
    4,
    5,
    8,
    12,
    16,
    20,
    22,
    24,
    25,
    25,
    24,
    23,
    22,
    21,
    20,
    20,
    19,
    18,
    18,
    17,
    12,
]
# Election day: ordinary until noon, then climbing: 80 % of capacity at 17:00 (160,000 an
# hour), a straight line from there to capacity at 23:00, past it after.
ELECTION: list[float] = [
    *NORMAL[:12],
    40,
    70,
    100,
    125,
    145,
    160,
    166.667,
    173.333,
    180,
    186.667,
    193.333,
    200,
    210,
]
# Shares of arrivals by country, usual, and on election day at 12:00 and 23:00.
USUAL_SHARES = {"US": 0.10, "CA": 0.70, "ZZ": 0.20}
ELECTION_SHARES_23H = {"US": 0.50, "CA": 0.37, "ZZ": 0.13}

# What must happen on election night, and when (time after the 12:00 climb starts).
FIRES = {
    # 3x last week crossed at ~13:05; 15 minutes pending; rates over 5 minutes.
    "NorthgateSurgeWeekOverWeek": ("7d13h", "7d13h30m"),
    # US share > 2x and +15 points from ~16:05 (rates over 15 minutes, 15 pending).
    "NorthgateCountryShareAnomaly": ("7d15h", "7d16h45m"),
    # 80 % at 17:00, 5 minutes pending.
    "NorthgateCapacityHigh": ("7d16h50m", "7d17h10m"),
    # Saturation at 23:00; forecast under 2 x 30 min from ~22:00: fires 45+ minutes ahead,
    # more than the provisioning time.
    "NorthgateSaturationForecast": ("7d21h30m", "7d22h15m"),
}
QUIET_TIMES = ("7d12h", "7d13h30m", "7d16h45m", "7d17h10m", "7d22h15m", "7d23h30m")


def hourly_rate(profile: list[float], minute: int) -> float:
    """Arrivals an hour at ``minute`` of the day, linear between hour marks."""
    hour, within = divmod(minute, 60)
    low, high = profile[hour], profile[hour + 1]
    return 1000 * (low + (high - low) * within / 60)


def counter(rate_per_minute: Callable[[int], float]) -> str:
    """A counter's samples for two days a week apart, in promtool's expanding notation:
    constant increments over ``SEGMENT``-minute steps, the week between left empty."""
    parts: list[str] = []
    value = 0.0
    for day_start in (0, 7 * DAY_MINUTES):
        if day_start:
            parts.append(f"_x{6 * DAY_MINUTES}")
        for start in range(day_start, day_start + DAY_MINUTES, SEGMENT):
            # The segment's rate is the curve's at its middle: no lag added to the curve.
            step = round(rate_per_minute(start + SEGMENT // 2), 3)
            parts.append(f"{value:.3f}+{step}x{SEGMENT - 1}")
            value += step * SEGMENT
    return " ".join(parts)


def share(country: str, minute: int, election: bool) -> float:
    of_day = minute % DAY_MINUTES
    if not election or minute < 7 * DAY_MINUTES or of_day < 12 * 60:
        return USUAL_SHARES[country]
    progress = min(1.0, (of_day - 12 * 60) / (11 * 60))
    usual, then = USUAL_SHARES[country], ELECTION_SHARES_23H[country]
    return usual + (then - usual) * progress


def input_series(election: bool) -> list[dict[str, str]]:
    def demand(minute: int) -> float:
        profile = ELECTION if election and minute >= 7 * DAY_MINUTES else NORMAL
        return hourly_rate(profile, minute % DAY_MINUTES) / 60

    node = 'instance="node-{n}:8000",job="northgate"'
    first = node.format(n=1)
    series = [
        {
            "series": f'northgate_arrivals_total{{section="eta",outcome="served",{first}}}',
            "values": counter(demand),
        }
    ]
    for country in USUAL_SHARES:
        series.append(
            {
                "series": f'northgate_arrivals_by_country_total{{country="{country}",{first}}}',
                "values": counter(lambda m, c=country: demand(m) * share(c, m, election)),  # type: ignore[misc]
            }
        )
    per_node = round(CAPACITY_PER_HOUR / 3600 / NODES, 4)
    for n in range(1, NODES + 1):
        series.append(
            {
                "series": f"northgate_capacity_requests_per_second{{{node.format(n=n)}}}",
                "values": f"{per_node}x{8 * DAY_MINUTES}",
            }
        )
    return series


def alerts() -> dict[str, dict[str, Any]]:
    rules = yaml.safe_load(RULES.read_text())
    return {
        rule["alert"]: rule
        for group in rules["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def expected(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    rule = alerts()[name]
    return {
        "exp_labels": {**rule["labels"], **(labels or {})},
        "exp_annotations": rule["annotations"],
    }


def cases(election: bool) -> Iterator[dict[str, Any]]:
    if not election:
        for name in FIRES:
            for when in QUIET_TIMES:
                yield {"eval_time": when, "alertname": name, "exp_alerts": []}
        return
    for name, (before, after) in FIRES.items():
        labels = {"country": "US"} if name == "NorthgateCountryShareAnomaly" else None
        yield {"eval_time": before, "alertname": name, "exp_alerts": []}
        yield {"eval_time": after, "alertname": name, "exp_alerts": [expected(name, labels)]}


def document() -> str:
    tests = [
        {
            "name": name,
            "interval": "1m",
            "input_series": input_series(election),
            "alert_rule_test": list(cases(election)),
        }
        for name, election in (
            ("2016 election night: warned in time", True),
            ("an ordinary week: no page", False),
        )
    ]
    header = "".join(f"# {line}".rstrip() + "\n" for line in (__doc__ or "").strip().splitlines())
    header += "# Generated by `python -m tests.deploy.prometheus_scenarios`: do not edit.\n"
    body: str = yaml.safe_dump(
        {
            "rule_files": ["../rules/northgate.rules.yml"],
            "evaluation_interval": "5m",
            "tests": tests,
        },
        sort_keys=False,
        width=1_000_000,
    )
    return header + body


if __name__ == "__main__":
    OUTPUT.write_text(document())
    sys.stdout.write(f"wrote {OUTPUT}\n")
