"""The sandbox gateway: a stand-in for the bank, with its own ledger table.

It lives in the same database as the application for convenience only; nothing but this
module reads or writes ``sandbox_gateway_charges``, so it behaves like a remote party.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from northgate.core.clock import Clock, utc_now
from northgate.core.routes import path
from northgate.core.tokens import B64URL, TokenShape, b64url_length
from northgate.payments.cards import Outcome
from northgate.payments.gateway import GatewayPayment, GatewayRejected, GatewayStatus
from northgate.storage.db import Database, dialect_name
from northgate.storage.models import SandboxCharge

ID_BYTES = 18
# The ids this gateway mints; anything else a browser sends names no charge and is not
# looked up (a NUL byte in a query parameter made PostgreSQL raise: a 500).
ID_SHAPE = TokenShape(f"sbx_{B64URL}{{{b64url_length(ID_BYTES)}}}", 64)


class IdempotencyConflict(GatewayRejected, ValueError):
    """The key was reused for a different amount: a bug in the caller, never a retry (a real
    gateway answers it with a 4xx, so it is a rejection in the protocol's terms)."""


class SandboxGateway:
    def __init__(
        self, database: Database, base_path: str = path("payments.sandbox"), clock: Clock = utc_now
    ) -> None:
        self.database = database
        self.base_path = base_path.rstrip("/")
        self.clock = clock

    def _view(self, charge: SandboxCharge) -> GatewayPayment:
        status: GatewayStatus = charge.status  # type: ignore[assignment]
        return GatewayPayment(
            id=charge.gateway_payment_id,
            status=status,
            amount_cents=charge.amount_cents,
            currency=charge.currency,
            redirect_url=f"{self.base_path}/{charge.gateway_payment_id}",
            idempotency_key=charge.idempotency_key,
        )

    async def create_payment(
        self,
        *,
        idempotency_key: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
    ) -> GatewayPayment:
        values = {
            "gateway_payment_id": f"sbx_{secrets.token_urlsafe(ID_BYTES)}",
            "idempotency_key": idempotency_key,
            "amount_cents": amount_cents,
            "currency": currency,
            "status": "pending",
            "return_url": return_url,
            "created_at": self.clock(),
        }
        async with self.database.session() as session, session.begin():
            # Insert-or-ignore then read, in that order: of two concurrent calls with one
            # key, exactly one inserts and both read that row (PostgreSQL makes the loser
            # wait for the winner's commit; SQLite has one writer at a time).
            if dialect_name(session) == "sqlite":
                insert: Any = sqlite.insert(SandboxCharge)
            else:
                insert = postgresql.insert(SandboxCharge)
            await session.execute(
                insert.values(values).on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            charge = await session.scalar(
                select(SandboxCharge).where(SandboxCharge.idempotency_key == idempotency_key)
            )
        assert charge is not None
        if (charge.amount_cents, charge.currency) != (amount_cents, currency):
            raise IdempotencyConflict(f"key {idempotency_key!r} was used for another amount")
        return self._view(charge)

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        charge = await self.charge(gateway_payment_id)
        return self._view(charge) if charge else None

    async def find_by_idempotency_key(self, key: str) -> GatewayPayment | None:
        async with self.database.session() as session:
            charge = await session.scalar(
                select(SandboxCharge).where(SandboxCharge.idempotency_key == key)
            )
        return self._view(charge) if charge else None

    async def expire_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        await self._finish(gateway_payment_id, "expired", None)
        return await self.get_payment(gateway_payment_id)

    async def charge(self, gateway_payment_id: str) -> SandboxCharge | None:
        if ID_SHAPE.text_of(gateway_payment_id) is None:
            return None
        async with self.database.session() as session:
            return await session.scalar(
                select(SandboxCharge).where(SandboxCharge.gateway_payment_id == gateway_payment_id)
            )

    async def complete(self, gateway_payment_id: str, outcome: Outcome, card_last4: str) -> bool:
        """The card form was submitted. Only a pending charge changes, so a double submit
        or a late submit on an expired charge leaves it as it was. True if it changed."""
        return await self._finish(gateway_payment_id, outcome, card_last4)

    async def abandon(self, gateway_payment_id: str) -> None:
        """The traveller closed the tab on the card page: nothing reaches the gateway, the
        charge stays pending. Spelled out so tests read as the story they tell."""

    async def expire_stale(self, older_than: datetime) -> int:
        """Expire pending charges created before ``older_than``, as hosted payment pages
        time out. Returns how many."""
        async with self.database.session() as session, session.begin():
            result = await session.execute(
                update(SandboxCharge)
                .where(SandboxCharge.status == "pending", SandboxCharge.created_at < older_than)
                .values(status="expired", completed_at=self.clock())
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _finish(self, gateway_payment_id: str, status: str, card_last4: str | None) -> bool:
        if ID_SHAPE.text_of(gateway_payment_id) is None:
            return False
        async with self.database.session() as session, session.begin():
            result = await session.execute(
                update(SandboxCharge)
                .where(
                    SandboxCharge.gateway_payment_id == gateway_payment_id,
                    SandboxCharge.status == "pending",
                )
                .values(status=status, card_last4=card_last4, completed_at=self.clock())
                .execution_options(synchronize_session=False)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]
