"""Reimbursements (做单报销): processing and marketing costs per customer."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.common.models import status_enum
from scrm.core.crypto import EncryptedText
from scrm.core.db import Base, BigId, UTCDateTime, utcnow



class CostType(str, enum.Enum):
    processing = "processing"  # 做单成本
    marketing = "marketing"  # 营销成本


class ReimbursementStatus(str, enum.Enum):
    submitted = "submitted"
    confirmed = "confirmed"
    paid = "paid"
    voided = "voided"


class Reimbursement(Base):
    __tablename__ = "bo_reimbursement"
    __table_args__ = (Index("ix_bo_reimbursement_status_created_at", "status", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    customer_name: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("bo_order.id"), index=True)
    cost_type: Mapped[CostType] = mapped_column(status_enum(CostType))
    category: Mapped[str] = mapped_column(String(32))  # 交通, 办公用品, …
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    spent_on: Mapped[date] = mapped_column(Date)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    remark: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[ReimbursementStatus] = mapped_column(status_enum(ReimbursementStatus),
                                                        default=ReimbursementStatus.submitted)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(BigInteger)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payer: Mapped[str | None] = mapped_column(String(16))  # the account it was paid from: cash, online_bank, …
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # who the money goes to (收款人): the account number is personal data, encrypted, shown masked
    payee_name: Mapped[str | None] = mapped_column(String(64))
    payee_account: Mapped[str | None] = mapped_column(EncryptedText)
    payee_bank: Mapped[str | None] = mapped_column(String(64))
    resubmits_id: Mapped[int | None] = mapped_column(ForeignKey("bo_reimbursement.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
