"""The abuse limits the web pages and the API apply, and who a request counts against.

A status look-up is a guess at a reference, passport number and date of birth: failed ones
are limited per client and per reference. A resume e-mail goes to any address typed in:
they are limited per recipient and per client. The client is the address the
trusted-proxy rules give (the same as analytics), never a header a client wrote itself.
A refused request is counted in analytics as ``limited``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from redis.asyncio import Redis

from northgate.analytics.capture.addresses import ClientAddress
from northgate.analytics.capture.outcomes import OUTCOME_HINT
from northgate.settings import Settings
from northgate.throttle import Limit, Throttle, build_throttle
from northgate.throttle.throttle import client_subject


@dataclass(frozen=True)
class Guards:
    throttle: Throttle
    addresses: ClientAddress
    status_per_client: Limit
    status_per_reference: Limit
    resume_per_recipient: Limit
    resume_per_client: Limit

    def client(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        forwarded: bytes | None = None
        for name, value in request.scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded = value
                break
        return client_subject(self.addresses.resolve(peer, forwarded))

    async def status_look_up(self, request: Request, reference: str, *, found: bool) -> int:
        """After a look-up: counts it if it failed. Seconds to wait (then answer 429
        whatever the look-up found, or the answer would still tell a guess apart)."""
        wait = await self.throttle.attempt(
            [
                (self.status_per_client, self.client(request)),
                (self.status_per_reference, reference),
            ],
            count=not found,
        )
        return _limited(request, wait)

    async def resume_email(self, request: Request, recipient: str) -> int:
        """Before sending: counts the e-mail; seconds to wait when one limit is reached."""
        wait = await self.throttle.attempt(
            [
                (self.resume_per_recipient, recipient.casefold()),
                (self.resume_per_client, self.client(request)),
            ],
            count=True,
        )
        return _limited(request, wait)


def _limited(request: Request, wait: int) -> int:
    if wait:
        # The tap counts this arrival as "limited" rather than "client_error".
        request.scope.setdefault("state", {})[OUTCOME_HINT] = "limited"
    return wait


def build_guards(settings: Settings, redis: Redis | None) -> Guards:
    return Guards(
        throttle=build_throttle(settings, redis),
        addresses=ClientAddress(settings.trusted_proxy_list),
        status_per_client=Limit(
            "status-client",
            settings.status_failures_per_client,
            settings.status_failure_window_seconds,
        ),
        status_per_reference=Limit(
            "status-reference",
            settings.status_failures_per_reference,
            settings.status_failure_window_seconds,
        ),
        resume_per_recipient=Limit(
            "resume-recipient",
            settings.resume_emails_per_recipient,
            settings.resume_email_window_seconds,
        ),
        resume_per_client=Limit(
            "resume-client", settings.resume_emails_per_client, settings.resume_email_window_seconds
        ),
    )


def wait_minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))
