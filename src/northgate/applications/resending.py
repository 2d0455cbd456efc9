"""Which lost e-mail an application can ask for again, and what the asking came to."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from northgate.applications.status import ApplicationStatus

RESENDS_PER_HOUR = 3

# Which messages an application in each status may have sent, so may ask for again.
RESENDABLE: Mapping[ApplicationStatus, frozenset[str]] = {
    ApplicationStatus.PAID: frozenset({"receipt"}),
    ApplicationStatus.APPROVED: frozenset({"receipt", "approval"}),
    ApplicationStatus.REFERRED: frozenset({"receipt", "referral"}),
}

# The one the status page offers: the latest news the traveller was sent.
OFFERED: Mapping[ApplicationStatus, str] = {
    ApplicationStatus.PAID: "receipt",
    ApplicationStatus.APPROVED: "approval",
    ApplicationStatus.REFERRED: "referral",
}


class ResendResult(enum.StrEnum):
    QUEUED = "queued"
    LIMIT_REACHED = "limit-reached"  # "you can ask again in an hour"
    NOT_AVAILABLE = "not-available"  # nothing of this kind to re-send (yet)


def offered_kind(status: str) -> str | None:
    return OFFERED.get(ApplicationStatus(status))


def resendable(status: str, kind: str | None) -> bool:
    return kind is not None and kind in RESENDABLE.get(ApplicationStatus(status), frozenset())
