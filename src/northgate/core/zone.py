"""The service's time zone: Canadian Eastern time, in which deadlines are published.

Dates a traveller reads (decision day, payment day, when the line opens) and the
operators' reports follow its wall clock. Named here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SERVICE_TIMEZONE_NAME = "America/Toronto"


def _service_timezone() -> dt.tzinfo:
    try:
        return ZoneInfo(SERVICE_TIMEZONE_NAME)
    except ZoneInfoNotFoundError:  # no tz database: fixed offset, standard time
        return dt.timezone(dt.timedelta(hours=-5), "ET")


SERVICE_TIMEZONE = _service_timezone()
