"""What happened to an arrival, from the response status and the gate's hint."""

from __future__ import annotations

from typing import Final

from northgate.analytics.capture.dimensions import OUTCOMES, Outcome

# Key in ``scope["state"]`` where an inner component (the admission gate) states what it did.
OUTCOME_HINT: Final = "northgate.outcome"
# Key where an inner component may name the section when the path alone cannot tell.
SECTION_HINT: Final = "northgate.section"

_VALID: Final[frozenset[object]] = frozenset(OUTCOMES)


def outcome_of(status: int | None, *, hint: object, retry_after: bool, raised: bool) -> Outcome:
    """Classify one finished request.

    - An exception that escaped the application is a ``server_error`` whatever was sent.
    - A valid hint wins: a waiting-room page is a ``200`` but ``queued``; the gate's
      "try again at T" answer is ``shed``.
    - Without a hint, a ``503`` or ``429`` carrying ``Retry-After`` is ``shed`` (an honest
      "come back later" from any edge component); other 5xx are ``server_error``.
    - No response at all (the client went away first) is a ``client_error``, like nginx's 499.
    """
    if raised:
        return "server_error"
    if hint in _VALID:
        return hint  # type: ignore[return-value]
    if status is None:
        return "client_error"
    if status < 400:
        return "served"
    if status in (429, 503) and retry_after:
        return "shed"
    if status < 500:
        return "client_error"
    return "server_error"
