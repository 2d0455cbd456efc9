"""The eTAs issued for applications: one valid eTA per passport, a new one superseding
the last."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from northgate.applications.record import AuthorizationRecord
from northgate.storage.db import dialect_name
from northgate.storage.models import Application, TravelAuthorization


async def authorization_of(
    session: AsyncSession, application_id: int
) -> TravelAuthorization | None:
    """The eTA issued for this application, if any (valid or superseded since)."""
    return await session.scalar(
        select(TravelAuthorization).where(TravelAuthorization.application_id == application_id)
    )


async def issue_authorization(
    session: AsyncSession,
    application: Application,
    *,
    eta_number: str,
    passport_number: str,
    passport_country: str,
    valid_until: date,
    now: datetime,
) -> None:
    """Issue an eTA; one valid eTA per passport, so it replaces any earlier one."""
    if dialect_name(session) == "postgresql":
        # Two approvals for one passport decided at once by two workers would each
        # miss the other's new eTA; take turns per passport (SQLite already has one
        # writer). Released at commit.
        await session.execute(
            select(
                func.pg_advisory_xact_lock(
                    func.hashtext(f"eta:{passport_country}:{passport_number}")
                )
            )
        )
    await session.execute(
        update(TravelAuthorization)
        .where(
            TravelAuthorization.passport_number == passport_number,
            TravelAuthorization.passport_country == passport_country,
            TravelAuthorization.status == "valid",
        )
        .values(status="superseded", superseded_at=now)
        .execution_options(synchronize_session=False)
    )
    session.add(
        TravelAuthorization(
            eta_number=eta_number,
            application_id=application.id,
            passport_number=passport_number,
            passport_country=passport_country,
            issued_at=now,
            valid_until=valid_until,
            status="valid",
        )
    )


def record_of(authorization: TravelAuthorization) -> AuthorizationRecord:
    return AuthorizationRecord(
        eta_number=authorization.eta_number,
        passport_number=authorization.passport_number,
        passport_country=authorization.passport_country,
        valid_until=authorization.valid_until,
        status=authorization.status,
    )
