"""What one arrival is counted by: the names of sections and outcomes, and time buckets."""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal, NamedTuple, get_args

from northgate.core.lang import Lang

# Sections are the route table's: each route names the section it is counted in.
from northgate.core.routing import SECTIONS as SECTIONS
from northgate.core.routing import Section as Section

# limited: refused by an abuse limit (too many failed look-ups or e-mails from one client).
Outcome = Literal["served", "queued", "shed", "limited", "client_error", "server_error"]

OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
# Outcomes in which the visitor did not get what they came for.
TURNED_AWAY: Final[frozenset[Outcome]] = frozenset({"queued", "shed", "limited", "server_error"})
# Sections whose arrivals are pages a person reads (not assets, API calls or probes).
PAGE_SECTIONS: Final[frozenset[Section]] = frozenset({"information", "eta", "payment", "status"})

UNKNOWN_COUNTRY: Final = "ZZ"  # ISO 3166 user-assigned code: "unknown or unspecified"

MINUTE: Final = 60
HOUR: Final = 3600


class ArrivalKey(NamedTuple):
    """One aggregate cell: every arrival with the same key adds one to the same counter."""

    minute: int  # Unix time // 60 (UTC)
    section: Section
    lang: Lang
    country: str
    outcome: Outcome
    bot: bool


class VisitorKey(NamedTuple):
    """Where a (non-bot) visitor was seen: visitors are counted per minute, section, country."""

    minute: int
    section: Section
    country: str


def minute_of(unix_seconds: float) -> int:
    return int(unix_seconds // MINUTE)


def hour_of_minute(minute: int) -> int:
    return minute // 60


def minute_start(minute: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(minute * MINUTE, dt.UTC)


def hour_start(hour: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(hour * HOUR, dt.UTC)


def minute_index(moment: dt.datetime) -> int:
    return minute_of(moment.timestamp())


def hour_index(moment: dt.datetime) -> int:
    return int(moment.timestamp() // HOUR)
