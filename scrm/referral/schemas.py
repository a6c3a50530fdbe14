"""The staff referral API's in/out models (the customer's side lives in ``scrm.miniprogram_api.schemas``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from scrm.core.commands import Command

from scrm.core.money import Yuan


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RuleIn(Command):
    name: str = Field(max_length=64, examples=["信用贷 一级 5%"])
    product_code: str | None = Field(default=None, description="null: every product")
    funder_type: str | None = Field(default=None, description="null: every funder type (bank, consumer_finance …)")
    level: int = Field(1, description="1: the direct referrer; 2: the referrer's referrer (needs SCRM_REFERRAL_DEPTH=2)")
    kind: str = Field(description="percent (of the service fee actually collected) or fixed")
    rate_percent: Decimal | None = Field(default=None, examples=["5"])
    fixed_amount: Yuan | None = Field(default=None, description="yuan")
    cap_amount: Yuan | None = Field(default=None, description="yuan; the most one commission may be")


class RuleUpdate(Command):
    name: str | None = Field(default=None, max_length=64)
    product_code: str | None = None
    funder_type: str | None = None
    level: int | None = None
    kind: str | None = None
    rate_percent: Decimal | None = None
    fixed_amount: Yuan | None = None
    cap_amount: Yuan | None = None
    active: bool | None = None


class RuleOut(BaseModel):
    id: int
    name: str
    product_code: str | None
    funder_type: str | None
    level: int
    kind: str
    rate_percent: Decimal | None
    fixed_amount: Decimal | None
    cap_amount: Decimal | None
    active: bool


class CommissionOut(BaseModel):
    id: int
    referrer_customer_id: int
    referrer_name: str
    referred_customer_id: int
    level: int
    order_id: int
    settlement_id: int | None
    product_code: str | None
    funder_type: str | None
    fee_collected: Decimal
    amount: Decimal
    state: str
    was_paid: bool
    withdrawal_id: int | None
    confirmed_at: datetime | None
    withdrawable_after: datetime | None


class WithdrawalOut(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    request_id: str
    amount: Decimal
    method: str
    state: str
    account_name: str | None
    bank_name: str | None
    bank_card: str | None = Field(description="last four digits only")
    bank_reference: str | None
    reject_reason: str | None
    requested_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None


class RejectIn(_In):
    reason: str = Field(min_length=1, max_length=200)


class PayIn(_In):
    bank_reference: str | None = Field(default=None, max_length=64,
                                       description="the bank transfer's reference; required for bank withdrawals")


class TransitionOut(BaseModel):
    from_state: str | None
    to_state: str
    reason: str
    actor_employee_id: int | None
    at: datetime


class LeaderRow(BaseModel):
    customer_id: int
    name: str
    referred: int
    settled_friends: int
    earned: Decimal


class ChannelCostRow(BaseModel):
    channel_id: int | None
    channel: str
    commissions: int
    cost: Decimal
    clawed_back: Decimal
