"""Active alerts from Alertmanager's API (v2), for the ops page.

Only what is firing and neither silenced nor inhibited: what an operator would be paged
for. An Alertmanager that does not answer is reported as such (the page then stands on the
forecaster's own warnings), never as "no alerts".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import urllib.request
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

TIMEOUT_SECONDS: Final = 2.0
# Alertmanager's own API, relative to its address (not one of ours).
_ALERTS: Final = "api/v2/alerts"
_QUERY: Final = urlencode({"active": "true", "silenced": "false", "inhibited": "false"})


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    summary: str
    since: dt.datetime | None


@dataclass(frozen=True)
class Alerts:
    configured: bool
    reachable: bool
    alerts: tuple[Alert, ...] = ()
    error: str = ""


def _since(text: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_alerts(body: Any) -> tuple[Alert, ...]:
    if not isinstance(body, list):
        raise ValueError("Alertmanager answered something other than a list of alerts")
    out = []
    for item in body:
        labels = item.get("labels", {}) if isinstance(item, dict) else {}
        notes = item.get("annotations", {}) if isinstance(item, dict) else {}
        out.append(
            Alert(
                name=str(labels.get("alertname", "?")),
                severity=str(labels.get("severity", "")),
                summary=str(notes.get("summary") or notes.get("description") or ""),
                since=_since(item.get("startsAt")) if isinstance(item, dict) else None,
            )
        )
    return tuple(sorted(out, key=lambda a: (a.severity != "page", a.name)))


def _fetch(url: str) -> Any:
    # The scheme is checked (http or https) by active_alerts before this runs.
    request = urllib.request.Request(  # noqa: S310
        f"{url.rstrip('/')}/{_ALERTS}?{_QUERY}", headers={"accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        return json.loads(response.read())


async def active_alerts(url: str) -> Alerts:
    if not url:
        return Alerts(configured=False, reachable=False)
    if not url.startswith(("http://", "https://")):
        return Alerts(True, False, error="the Alertmanager address must start with http(s)://")
    try:
        body = await asyncio.to_thread(_fetch, url)
        return Alerts(True, True, parse_alerts(body))
    except (OSError, ValueError) as error:
        return Alerts(True, False, error=str(error) or type(error).__name__)
