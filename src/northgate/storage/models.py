"""Tables. Every change to them goes through an Alembic migration in ``migrations/``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from northgate.storage.base import Base


class PageFeedback(Base):
    """ "Report a problem on this page": what readers tell us is wrong or missing."""

    __tablename__ = "page_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_key: Mapped[str] = mapped_column(String(64), index=True)
    lang: Mapped[str] = mapped_column(String(2))
    problem: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Application(Base):
    """An eTA application, from first answer (draft) to decision.

    Answers are saved after every page, so nothing a traveller typed is lost; the
    application is durable (status ``submitted``, with a reference) before payment starts.
    """

    __tablename__ = "eta_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unguessable handle for URLs and the API; the reference is for people.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    reference: Mapped[str | None] = mapped_column(String(14), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    question_set_version: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(2))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Incremented on every save: a form posted from a stale page is detected, not applied.
    version: Mapped[int] = mapped_column(Integer, default=1)
    draft_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    resume_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    resume_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email: Mapped[str | None] = mapped_column(String(320))
    correspondence_lang: Mapped[str | None] = mapped_column(String(2))
    passport_number: Mapped[str | None] = mapped_column(String(20), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    decision_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Payment(Base):
    """One attempt to collect the fee. Several attempts may exist (a declined card, then
    another); the partial unique index allows at most one approved payment per application."""

    __tablename__ = "payments"
    __table_args__ = (
        Index(
            "uq_payments_one_approved_per_application",
            "application_id",
            unique=True,
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("eta_applications.id"), index=True)
    # Sent with every gateway call: a retry of the same attempt can never charge twice.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="created", index=True)
    gateway_payment_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxJob(Base):
    """A job enqueued in the same transaction as the state change that needs it.

    Workers claim jobs with a lease (``locked_until``); handlers are idempotent because a
    job whose worker died is run again (at least once)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Enqueueing the same logical job twice is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TravelAuthorization(Base):
    """An issued eTA. A new eTA for the same passport supersedes the previous one."""

    __tablename__ = "travel_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    eta_number: Mapped[str] = mapped_column(String(16), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("eta_applications.id"), unique=True)
    passport_number: Mapped[str] = mapped_column(String(20), index=True)
    passport_country: Mapped[str] = mapped_column(String(2))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="valid")
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SentEmail(Base):
    """What was sent, keyed by the outbox job that sent it: a re-run job does not re-send."""

    __tablename__ = "sent_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("eta_applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    message_id: Mapped[str] = mapped_column(String(255))
    to_address: Mapped[str] = mapped_column(String(320))
    lang: Mapped[str] = mapped_column(String(2))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SandboxCharge(Base):
    """The sandbox payment gateway's own ledger, standing in for the bank's side.

    Kept apart from ``payments`` on purpose: tests count charges here to prove that no
    retry, reload or double-click charged a card twice."""

    __tablename__ = "sandbox_gateway_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    return_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
