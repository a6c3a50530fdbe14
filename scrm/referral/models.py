"""Who brought whom, the commission rules, commissions and withdrawals, and every state change of them."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, enum_column, utcnow
from scrm.core.crypto import EncryptedText



class ReferralCode(Base):
    """A customer's referral code: the mini-program code's scene, and the ``state`` of their WeCom channel."""

    __tablename__ = "referral_code"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), unique=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """The referrer a customer is attributed to: the first touch within the window, once and for good."""

    __tablename__ = "referral"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referred_customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), unique=True)
    referrer_customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # miniprogram | wecom
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RuleKind(str, enum.Enum):
    percent = "percent"  # of the service fee actually collected
    fixed = "fixed"


class CommissionRule(Base):
    """What a referrer at ``level`` earns on a settled loan of a product and funder type (None: any)."""

    __tablename__ = "commission_rule"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    product_code: Mapped[str | None] = mapped_column(String(32))
    funder_type: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[RuleKind] = mapped_column(enum_column(RuleKind))
    rate_percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    fixed_fen: Mapped[int | None] = mapped_column(BigInteger)
    cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CommissionState(str, enum.Enum):
    pending = "pending"  # the referred loan is signed; nothing is owed until it settles
    confirmed = "confirmed"  # the settlement closed; cooling off
    withdrawable = "withdrawable"
    paid = "paid"
    reversed = "reversed"


class Commission(Base):
    __tablename__ = "commission"
    __table_args__ = (UniqueConstraint("settlement_id", "level"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referrer_customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    referred_customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[int] = mapped_column(BigId, index=True)
    settlement_id: Mapped[int | None] = mapped_column(BigId)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("commission_rule.id"))
    product_code: Mapped[str | None] = mapped_column(String(32))
    funder_type: Mapped[str | None] = mapped_column(String(32))
    fee_collected_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[CommissionState] = mapped_column(enum_column(CommissionState), index=True)
    withdrawal_id: Mapped[int | None] = mapped_column(ForeignKey("withdrawal.id"), index=True)
    # a paid commission that was reversed is owed back; the withdrawal that nets it off, once one does
    clawback_withdrawal_id: Mapped[int | None] = mapped_column(ForeignKey("withdrawal.id"))
    was_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    channel_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawable_after: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WithdrawalMethod(str, enum.Enum):
    wechat = "wechat"
    bank = "bank"


class WithdrawalState(str, enum.Enum):
    requested = "requested"
    approved = "approved"
    paid = "paid"
    rejected = "rejected"
    failed = "failed"


class Withdrawal(Base):
    __tablename__ = "withdrawal"
    __table_args__ = (UniqueConstraint("customer_id", "request_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[WithdrawalMethod] = mapped_column(enum_column(WithdrawalMethod))
    state: Mapped[WithdrawalState] = mapped_column(enum_column(WithdrawalState), index=True)
    account_name: Mapped[str | None] = mapped_column(String(64))
    bank_name: Mapped[str | None] = mapped_column(String(64))
    bank_card: Mapped[str | None] = mapped_column(EncryptedText)
    bank_card_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    bank_reference: Mapped[str | None] = mapped_column(String(64))
    payout: Mapped[dict] = mapped_column(JSONDoc, default=dict)  # the provider's request and answer
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReferralTransition(Base):
    """Every state change of a commission or a withdrawal, in order."""

    __tablename__ = "referral_transition"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))  # commission | withdrawal
    entity_id: Mapped[int] = mapped_column(BigId, index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    actor_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
