"""Tables of capacity planning: the event calendar and the scaling history.

Times are Unix seconds (UTC), as in the analytics tables, so both backends compare them
alike. ``scaling_events`` is the interface with ``northgate scale``: it appends one row per
change of the number of nodes (through :func:`northgate.capacity.store.record_scaling`),
and the ops page reads the latest as the nodes running now.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from northgate.storage.base import Base


class CalendarEvent(Base):
    """A known event operators expect traffic from (a deadline, an election night)."""

    __tablename__ = "capacity_events"
    __table_args__ = (Index("ix_capacity_events_ends_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[int] = mapped_column(BigInteger)
    ends_at: Mapped[int] = mapped_column(BigInteger)
    # Arrivals expected during the window, as a multiple of the same hours last week.
    multiplier: Mapped[float] = mapped_column(Float)
    # Hold a pre-queue (the gate's opens_at) until the event starts.
    pre_queue: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger)


class ScalingEvent(Base):
    """One change of the number of application nodes, as ``northgate scale`` made it."""

    __tablename__ = "scaling_events"
    __table_args__ = (Index("ix_scaling_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger)  # when the nodes were serving (Unix s)
    nodes_before: Mapped[int] = mapped_column(Integer)
    nodes_after: Mapped[int] = mapped_column(Integer)
    # Decision to serving, measured by the scaler; None when not measured.
    provisioning_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(64), default="")
