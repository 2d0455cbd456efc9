"""The forecaster's own warnings: what the ops page shows when no Alertmanager is
configured (and beside it when one is). Pure code; the thresholds are the issue's:
80 % utilisation (the 2016 alert), saturation forecast sooner than twice the time to add a
node, a 3x week-over-week surge, an event needing more nodes than are running."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from northgate.capacity.advice import EventAdvice
from northgate.capacity.forecast import Forecast

UTILISATION: Final = 0.8
SURGE_RATIO: Final = 3.0
# An event's advice becomes a warning this long before its "scale by" time.
EVENT_NOTICE: Final = dt.timedelta(hours=24)

Severity = Literal["page", "warning"]


@dataclass(frozen=True)
class Warning:
    code: str  # saturated | utilisation | saturation_soon | saturation_ahead | surge | event
    severity: Severity
    at: dt.datetime | None = None  # when saturation or scale-by falls
    value: float | None = None  # utilisation, ratio or nodes, as the code says
    event: str | None = None


def warnings_of(
    forecast: Forecast,
    provisioning: dt.timedelta,
    events: Sequence[EventAdvice] = (),
) -> list[Warning]:
    found: list[Warning] = []
    if forecast.utilisation >= 1:
        found.append(Warning("saturated", "page", forecast.now, forecast.utilisation))
    elif forecast.utilisation >= UTILISATION:
        found.append(Warning("utilisation", "warning", value=forecast.utilisation))
    saturation = forecast.saturation.expected
    if saturation is not None and forecast.utilisation < 1:
        soon = saturation - forecast.now < 2 * provisioning
        found.append(
            Warning("saturation_soon" if soon else "saturation_ahead",
                    "page" if soon else "warning", saturation)
        )  # fmt: skip
    ratio = forecast.week_ratio
    if ratio is not None and ratio >= SURGE_RATIO:
        found.append(Warning("surge", "warning", value=ratio))
    for advice in events:
        if advice.more_nodes and advice.scale_by - forecast.now <= EVENT_NOTICE:
            found.append(
                Warning("event", "warning", advice.scale_by, advice.nodes_needed, advice.event.name)
            )
    return found
