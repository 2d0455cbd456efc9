"""Tables of the analytics: aggregates only. No address, no visitor hash, no user agent.

Times are Unix seconds (UTC) of the start of the minute or hour, so both backends compare
and group them alike (``to_timestamp(period_start)`` in PostgreSQL for people).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from northgate.storage.base import Base


class ArrivalCount(Base):
    """Arrivals per minute and per hour (written together), by every dimension of the tap."""

    __tablename__ = "analytics_counts"

    granularity: Mapped[str] = mapped_column(String(6), primary_key=True)  # minute | hour
    period_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    section: Mapped[str] = mapped_column(String(16), primary_key=True)
    lang: Mapped[str] = mapped_column(String(2), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    arrivals: Mapped[int] = mapped_column(BigInteger)


class VisitorSketch(Base):
    """HyperLogLog registers of the visitors of one minute or hour: site, section or country."""

    __tablename__ = "analytics_visitor_sketches"

    granularity: Mapped[str] = mapped_column(String(6), primary_key=True)
    period_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)  # all|section|country
    value: Mapped[str] = mapped_column(String(16), primary_key=True)
    registers: Mapped[bytes] = mapped_column(LargeBinary)


class AppliedBatch(Base):
    """Ids of batches already added: a retried batch is recognised and not counted again."""

    __tablename__ = "analytics_applied_batches"
    __table_args__ = (Index("ix_analytics_applied_batches_applied_at", "applied_at"),)

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    applied_at: Mapped[int] = mapped_column(BigInteger)
