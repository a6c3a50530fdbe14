"""Debit orders, their attempts at the provider, recorded changes, notifications, alerts and reconciliations."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, enum_column, utcnow


class DebitStatus(str, enum.Enum):
    created = "created"  # waiting to be submitted (or for papay's window: ``not_before``)
    submitted = "submitted"  # an attempt is at the provider, or a new attempt is due after a retryable failure
    succeeded = "succeeded"
    failed = "failed"
    unknown = "unknown"  # the submit call's answer was lost; only a query decides
    reconciled = "reconciled"  # found in the provider's bill with the same amount


class AttemptStatus(str, enum.Enum):
    sending = "sending"  # saved before the call; no answer recorded yet
    accepted = "accepted"  # the provider took it; waiting for the result
    unknown = "unknown"  # the call timed out
    succeeded = "succeeded"
    failed = "failed"


class DebitOrder(Base):
    __tablename__ = "debit_order"
    __table_args__ = (UniqueConstraint("due_key", "amount_fen"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    due_key: Mapped[str] = mapped_column(String(120), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandate.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(128))
    status: Mapped[DebitStatus] = mapped_column(enum_column(DebitStatus), index=True)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    provider_txn_id: Mapped[str | None] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DebitAttempt(Base):
    __tablename__ = "debit_attempt"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    debit_id: Mapped[int] = mapped_column(ForeignKey("debit_order.id", ondelete="CASCADE"), index=True)
    no: Mapped[int] = mapped_column(Integer)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[AttemptStatus] = mapped_column(enum_column(AttemptStatus), index=True)
    err_code: Mapped[str | None] = mapped_column(String(40))
    err_msg: Mapped[str | None] = mapped_column(String(255))
    retryable: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DebitChange(Base):
    __tablename__ = "debit_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    debit_id: Mapped[int] = mapped_column(ForeignKey("debit_order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DebitNotification(Base):
    """Each distinct notification once: a repeat has the same ``dedupe_key`` and is ignored."""

    __tablename__ = "debit_notification"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    out_trade_no: Mapped[str | None] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(30))
    fields: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentAlert(Base):
    """Something finance must look at: a forged or mismatched notification, a reconciliation difference."""

    __tablename__ = "payment_alert"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    debit_id: Mapped[int | None] = mapped_column(BigId, index=True)
    message: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reconciliation(Base):
    __tablename__ = "debit_reconciliation"
    __table_args__ = (UniqueConstraint("provider", "bill_date", "run"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    bill_date: Mapped[date] = mapped_column(Date)
    run: Mapped[int] = mapped_column(Integer, default=1)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    mismatches: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
