"""The arrivals nginx could not hand to `northgate edge-log`: counted from nginx's error log.

The edge's Lua hands its counters over once a second (deploy/nginx/lua/northgate/counts.lua);
a datagram it could not send is noted at ``error`` in nginx's main error log (the timer has
no server, so not in the site's log) as "northgate: edge counts not handed over: N PATH
N PATH ... ;", arrivals by path: no address or block. Without the Lua module, nginx sends a
syslog line per request instead:

Delivery to the edge log is at most once (a Unix datagram, not retried). nginx cannot send
while nothing listens on the socket (edge-log stopped, restarting, crashed) or while the
socket's buffer is full, and for each such line it notes, at level ``warn``, "send() to
syslog failed while logging request" with the request line. deploy/nginx/northgate.conf
keeps that level for the site's error log, so each dropped arrival is one line there: this
module counts them by minute and by section, so a report's gap can be told from a quiet
hour. Those arrivals stay out of the analytics tables: their country, visitor and outcome
went with the line that was never sent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

# nginx's error log line: "2026/12/05 08:45:02 [warn] 10318#10318: *2 send() to syslog
# failed while logging request, client: ..., request: "GET /nope HTTP/1.1", ...".
_DROPPED: Final = re.compile(
    rb"^(?P<minute>\d{4}/\d\d/\d\d \d\d:\d\d):\d\d \[warn\] .*?"
    rb"send\(\) to syslog failed while logging request"
    rb'(?:.*?, request: "(?:[A-Z]+) (?P<target>[^ "]*))?'
)
# "2026/12/05 08:45:02 [error] 10318#10318: *3 [lua] counts.lua:150: note_dropped():
# northgate: edge counts not handed over: 2 /en/eta 1 /api/v1/applications ; (...)".
_COUNTS_DROPPED: Final = re.compile(
    rb"^(?P<minute>\d{4}/\d\d/\d\d \d\d:\d\d):\d\d \[error\] .*?"
    rb"northgate: edge counts not handed over: (?P<items>.*?) ;"
)
_ITEM: Final = re.compile(rb"(\d+) (\S+)")


@dataclass
class Dropped:
    """Lines nginx could not send, by minute (nginx's local time) and by section."""

    by_minute: Counter[str] = field(default_factory=Counter)
    by_section: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_minute.values())


def count_dropped(lines: Iterable[bytes], section: Callable[[str], str]) -> Dropped:
    dropped = Dropped()
    for line in lines:
        counted = _COUNTS_DROPPED.match(line)
        if counted is not None:
            minute = counted["minute"].decode()
            for n, target in _ITEM.findall(counted["items"]):
                path = "" if target == b"-" else target.decode("latin-1")
                dropped.by_minute[minute] += int(n)
                dropped.by_section[section(path) if path else "unknown"] += int(n)
            continue
        match = _DROPPED.match(line)
        if match is None:
            continue
        dropped.by_minute[match["minute"].decode()] += 1
        target = (match["target"] or b"").decode("latin-1")
        dropped.by_section[section(urlsplit(target).path) if target else "unknown"] += 1
    return dropped


def describe(dropped: Dropped, source: str) -> str:
    if not dropped.total:
        return f"no arrivals dropped on the way to `northgate edge-log` (per {source})"
    minutes = sorted(dropped.by_minute)
    lines = [
        f"{dropped.total:,} arrivals nginx could not send to `northgate edge-log`, "
        f"{minutes[0]} to {minutes[-1]} (nginx's local time; per {source}); "
        "they are not in the analytics",
        "by section:",
        *(f"  {name:<12} {n:>8,}" for name, n in sorted(dropped.by_section.items())),
        "by minute:",
        *(f"  {minute}  {dropped.by_minute[minute]:>8,}" for minute in minutes),
    ]
    return "\n".join(lines)
