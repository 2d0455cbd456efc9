"""What Northgate needs from a payment gateway. The sandbox and a real adapter both fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

GatewayStatus = Literal["pending", "approved", "declined", "failed", "expired"]
FINAL_STATUSES: frozenset[GatewayStatus] = frozenset({"approved", "declined", "failed", "expired"})


@dataclass(frozen=True)
class GatewayPayment:
    id: str
    status: GatewayStatus
    amount_cents: int
    currency: str
    # The gateway's hosted page where the traveller enters the card.
    redirect_url: str
    idempotency_key: str = ""


class GatewayUnavailable(Exception):
    """Timeout, connection error or 5xx: the outcome of the call is unknown. Retry with
    the same idempotency key, or look the payment up later."""


class GatewayRejected(Exception):
    """The gateway refused the request itself (4xx): retrying the same call will not help."""


class PaymentGateway(Protocol):
    async def create_payment(
        self,
        *,
        idempotency_key: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
    ) -> GatewayPayment:
        """Create a charge, or return the one already created with this key."""
        ...

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment | None: ...

    async def find_by_idempotency_key(self, key: str) -> GatewayPayment | None:
        """For a payment whose create call never returned: did the gateway see it?"""
        ...

    async def expire_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        """Stop a pending charge from being completed; returns the charge as it now is
        (approved if the traveller paid just before, so the caller must settle it)."""
        ...
