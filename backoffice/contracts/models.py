"""Orders (签单): the contract with its fee schedule, read-only once finance confirms it."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
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
