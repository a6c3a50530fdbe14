"""Orders (签单): the contract with its fee schedule (read-only once finance confirms it), its deposit (定金) with
the refunds (退定), the customer's borrowing (借款) against it, and the processing team's follow-ups (做单)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.common.models import status_enum
from scrm.core.db import Base, BigId, UTCDateTime, utcnow


class FunderType(str, enum.Enum):
    bank = "bank"
    consumer_finance = "consumer_finance"  # 消金
    credit_insurance = "credit_insurance"  # 信保
    microloan = "microloan"  # 小贷
    other = "other"


class OrderStatus(str, enum.Enum):
    signed = "signed"
    confirmed = "confirmed"
    reviewed = "reviewed"
    processing = "processing"
    disbursed = "disbursed"
    settled = "settled"
    refunded = "refunded"
    voided = "voided"


class Order(Base):
    __tablename__ = "bo_order"
    __table_args__ = (
        Index("ix_bo_order_status_signed_at", "status", "signed_at"),
        Index("ix_bo_order_signed_at", "signed_at"),
        Index("ix_bo_order_disbursed_on", "disbursed_on"),
        # the settlement list filtered by state and funder type, newest disbursement first
        Index("ix_bo_order_status_funder_disbursed_on", "status", "funder_type", "disbursed_on"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agreement_no: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    # the contract names its party as signed; lists and exports read these, not the live customer record
    customer_name: Mapped[str] = mapped_column(String(64))
    customer_phone_masked: Mapped[str | None] = mapped_column(String(16))
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    marketing_specialist_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    processor_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    # snapshot of the salesperson's place at signing, so reports group without walking the org tree
    center_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    department_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    product_code: Mapped[str] = mapped_column(String(32))
    funder_type: Mapped[FunderType] = mapped_column(status_enum(FunderType))
    amount_applied_fen: Mapped[int] = mapped_column(BigInteger)
    # the fee schedule: a rate on the disbursed amount (basis points) or a fixed amount
    service_fee_rate_bp: Mapped[int | None] = mapped_column(Integer)
    service_fee_fen: Mapped[int | None] = mapped_column(BigInteger)
    # the least fee a rate may come to (the product's fee rule at signing)
    service_fee_min_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    deposit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    other_fees_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[OrderStatus] = mapped_column(status_enum(OrderStatus), default=OrderStatus.signed, index=True)
    replaces_order_id: Mapped[int | None] = mapped_column(ForeignKey("bo_order.id"))
    void_reason: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(BigInteger)
    processing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disbursed_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    funder_name: Mapped[str | None] = mapped_column(String(64))
    term_months: Mapped[int | None] = mapped_column(Integer)
    repayment_day: Mapped[int | None] = mapped_column(Integer)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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


class FollowUpKind(str, enum.Enum):
    progress = "progress"
    submitted = "submitted"  # file submitted to the funder
    approved = "approved"
    rejected = "rejected"
    disbursed_pending = "disbursed_pending"  # 已放款待结算


class ProcessingFollowUp(Base):
    __tablename__ = "bo_processing_follow_up"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("bo_order.id"), index=True)
    employee_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[FollowUpKind] = mapped_column(status_enum(FollowUpKind))
    content: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
