"""Test helpers shared by the payment, job and e-mail tests: a settable clock, saved
applications, and gateways that fail the way real networks do."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from northgate.eta.references import new_reference
from northgate.payments.gateway import GatewayPayment, GatewayUnavailable
from northgate.payments.sandbox import SandboxGateway
from northgate.storage.base import Base
from northgate.storage.db import Database
from northgate.storage.models import Application


class Clock:
    """A clock the test moves by hand, to age payments and jobs without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2016, 11, 8, 23, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def answers(**overrides: Any) -> dict[str, Any]:
    """Cleaned answers of a traveller the rules approve (adult, valid passport, no
    background concerns)."""
    values: dict[str, Any] = {
        "applying_for": "myself",
        "surname": "Martin",
        "given_names": "Claire Anne",
        "passport_number": "AB123456",
        "passport_country": "FR",
        "passport_expiry_date": "2030-06-30",
        "date_of_birth": "1985-04-12",
        "email": "claire@example.org",
        "correspondence_language": "en",
    }
    values.update(overrides)
    return values


async def create_application(
    database: Database,
    *,
    status: str = "submitted",
    lang: str = "en",
    **answer_overrides: Any,
) -> int:
    values = answers(correspondence_language=lang, **answer_overrides)
    async with database.session() as session, session.begin():
        application = Application(
            public_id=secrets.token_hex(16),
            reference=None if status == "draft" else new_reference(),
            status=status,
            question_set_version="v1",
            lang=lang,
            answers=values,
            version=1,
            draft_token_hash=secrets.token_hex(32),
            email=values["email"],
            correspondence_lang=lang,
            passport_number=values["passport_number"],
            date_of_birth=date.fromisoformat(values["date_of_birth"]),
            submitted_at=None if status == "draft" else datetime.now(UTC),
        )
        session.add(application)
        await session.flush()
        return application.id


async def count(database: Database, model: type[Base], *where: Any) -> int:
    async with database.session() as session:
        result = await session.scalar(select(func.count()).select_from(model).where(*where))
    return int(result or 0)


class LostResponseGateway:
    """The sandbox, behind a network that loses the answer to ``create_payment``: the
    charge is made, then the caller sees a timeout (the worst case for double charging)."""

    def __init__(self, inner: SandboxGateway) -> None:
        self.inner = inner
        self.calls = 0

    async def create_payment(
        self,
        *,
        idempotency_key: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
    ) -> GatewayPayment:
        self.calls += 1
        await self.inner.create_payment(
            idempotency_key=idempotency_key,
            amount_cents=amount_cents,
            currency=currency,
            description=description,
            return_url=return_url,
        )
        raise GatewayUnavailable("read timeout")

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        return await self.inner.get_payment(gateway_payment_id)

    async def find_by_idempotency_key(self, key: str) -> GatewayPayment | None:
        return await self.inner.find_by_idempotency_key(key)

    async def expire_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        return await self.inner.expire_payment(gateway_payment_id)


class Crash(BaseException):
    """Stands for kill -9: not an Exception, so no ``except Exception`` handler runs."""


class CrashBeforeCallGateway(LostResponseGateway):
    """The process dies after committing the payment row, before calling the gateway."""

    async def create_payment(
        self,
        *,
        idempotency_key: str,
        amount_cents: int,
        currency: str,
        description: str,
        return_url: str,
    ) -> GatewayPayment:
        raise Crash


class DownGateway(LostResponseGateway):
    """Every call times out: the gateway is down."""

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        raise GatewayUnavailable("connect timeout")

    async def find_by_idempotency_key(self, key: str) -> GatewayPayment | None:
        raise GatewayUnavailable("connect timeout")

    async def expire_payment(self, gateway_payment_id: str) -> GatewayPayment | None:
        raise GatewayUnavailable("connect timeout")
