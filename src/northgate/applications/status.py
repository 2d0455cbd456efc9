"""An application's status and the moves allowed between them.

The values are the strings stored in ``eta_applications.status`` and shown by the API, so
the enum is a ``StrEnum``: a member compares equal to its stored text.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"  # answering, one page at a time; answers may still change
    SUBMITTED = "submitted"  # durable, with a reference, the fee not yet paid
    PAID = "paid"  # the gateway approved the fee; the decision is queued
    APPROVED = "approved"  # an eTA was issued
    REFERRED = "referred"  # an officer must look at it


class IllegalTransition(ValueError):
    """A move the life of an application does not allow (say, paying a draft)."""

    def __init__(self, current: ApplicationStatus, new: ApplicationStatus) -> None:
        super().__init__(f"an application cannot go from {current!r} to {new!r}")
        self.current = current
        self.new = new


TRANSITIONS: Mapping[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.DRAFT: frozenset({ApplicationStatus.SUBMITTED}),
    ApplicationStatus.SUBMITTED: frozenset({ApplicationStatus.PAID}),
    ApplicationStatus.PAID: frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REFERRED}),
    ApplicationStatus.APPROVED: frozenset(),
    ApplicationStatus.REFERRED: frozenset(),
}

# Decided: the rules have run and the outcome is recorded.
DECIDED = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.REFERRED})
# The fee is in: the payment page has nothing left to do, the confirmation applies.
PAID_OR_LATER = frozenset({ApplicationStatus.PAID}) | DECIDED
# The browser session still has work to do: answering, or paying.
IN_PROGRESS = frozenset({ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED})


def can_move(current: str, new: ApplicationStatus) -> bool:
    return new in TRANSITIONS[ApplicationStatus(current)]


def move(current: str, new: ApplicationStatus) -> ApplicationStatus:
    """``new``, if an application in ``current`` may go there; else IllegalTransition."""
    present = ApplicationStatus(current)
    if new not in TRANSITIONS[present]:
        raise IllegalTransition(present, new)
    return new
