"""Settlements (结算): the charges, expenses and payments of a disbursed order."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.common.models import status_enum
from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow



class SettlementStatus(str, enum.Enum):
    open = "open"
    closed = "closed"
    voided = "voided"


class DiscountKind(str, enum.Enum):
    none = "none"
    percent = "percent"
    fixed = "fixed"
    per_count = "per_count"  # a fixed amount per disbursed loan (按笔数)


class PaymentMethod(str, enum.Enum):
    cash = "cash"
    alipay = "alipay"
    wechat = "wechat"
    online_bank = "online_bank"
    direct_debit = "direct_debit"


class ExpenseKind(str, enum.Enum):
    """The two expense types every installation starts with (seeded rows of ``ExpenseType``)."""

    appraisal = "appraisal"  # 评估费
    rebate = "rebate"  # 返点


# the journal accounts an expense type may post to: a rebate reduces revenue, any other is a cost of the order
EXPENSE_ACCOUNTS = ("rebate_expense", "appraisal_expense")


class ExpenseType(Base):
    """A kind of expense paid out on an order (评估费, 返点, 下户费 …), kept by finance."""

    __tablename__ = "bo_expense_type"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    account: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Settlement(Base):
    __tablename__ = "bo_settlement"
    __table_args__ = (Index("ix_bo_settlement_status_closed_at", "status", "closed_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("bo_order.id"), index=True)
    status: Mapped[SettlementStatus] = mapped_column(status_enum(SettlementStatus), default=SettlementStatus.open)
    service_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_kind: Mapped[DiscountKind] = mapped_column(status_enum(DiscountKind), default=DiscountKind.none)
    # percent in basis points (1250 = 12.5%), a fixed reduction in fen, or fen per disbursed loan (per_count)
    discount_value: Mapped[int] = mapped_column(BigInteger, default=0)
    # how many loans were disbursed under the order (a per-count discount is multiplied by it)
    loan_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    installment_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_method: Mapped[PaymentMethod | None] = mapped_column(status_enum(PaymentMethod))
    # fixed at closing, from the parts (see service.totals)
    total_charges_fen: Mapped[int | None] = mapped_column(BigInteger)
    deposit_applied_fen: Mapped[int | None] = mapped_column(BigInteger)
    amount_due_fen: Mapped[int | None] = mapped_column(BigInteger)
    # every part as fixed at closing (fen), so a closed or voided settlement reads as it was settled
    parts: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(BigInteger)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(200))


class SettlementFee(Base):
    """An extra fee added during processing (下户费, 渠道管理费, …)."""

    __tablename__ = "bo_settlement_fee"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("bo_settlement.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class SettlementExpense(Base):
    """A cost paid out on the order (评估费, 返点 to a channel), confirmed or corrected by finance."""

    __tablename__ = "bo_settlement_expense"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("bo_settlement.id", ondelete="CASCADE"), index=True)
    # the code of an ExpenseType (a type that is referenced cannot be deleted)
    kind: Mapped[str] = mapped_column(String(24))
    payee: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    corrected_from_fen: Mapped[int | None] = mapped_column(BigInteger)


class SettlementPayment(Base):
    """Money received against the amount due after closing (a direct debit)."""

    __tablename__ = "bo_settlement_payment"
    __table_args__ = (UniqueConstraint("source"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("bo_settlement.id"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    provider: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
