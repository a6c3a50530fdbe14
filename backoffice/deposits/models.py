"""Deposits (定金), their refunds (退定) and customer borrowing (借款)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.common.models import status_enum
from scrm.core.db import Base, BigId, UTCDateTime, utcnow



class DepositStatus(str, enum.Enum):
    held = "held"  # received, possibly partly refunded
    applied = "applied"  # taken into the settlement
    refunded = "refunded"  # refunded in full


class RefundStatus(str, enum.Enum):
    filed = "filed"
    confirmed = "confirmed"
    rejected = "rejected"


class BorrowingStatus(str, enum.Enum):
    lent = "lent"
    repaid = "repaid"


class Deposit(Base):
    __tablename__ = "bo_deposit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("bo_order.id"), unique=True)
    received_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[DepositStatus] = mapped_column(status_enum(DepositStatus), default=DepositStatus.held)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(BigInteger)


class DepositRefund(Base):
    __tablename__ = "bo_deposit_refund"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("bo_deposit.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[RefundStatus] = mapped_column(status_enum(RefundStatus), default=RefundStatus.filed)
    filed_by_id: Mapped[int] = mapped_column(BigInteger)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Borrowing(Base):
    __tablename__ = "bo_borrowing"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("bo_order.id"), index=True)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    lent_on: Mapped[date] = mapped_column(Date)
    annual_rate_bp: Mapped[int] = mapped_column(Integer)
    cost_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[BorrowingStatus] = mapped_column(status_enum(BorrowingStatus), default=BorrowingStatus.lent)
    interest_fen: Mapped[int | None] = mapped_column(BigInteger)
    repaid_on: Mapped[date | None] = mapped_column(Date)
    repaid_via: Mapped[str | None] = mapped_column(String(16))  # settlement or separate
    created_by_id: Mapped[int] = mapped_column(BigInteger)
