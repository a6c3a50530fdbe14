from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from backoffice.common.money import YuanIn, YuanOut
from backoffice.orders.models import BorrowingStatus, DepositStatus, FollowUpKind, FunderType, OrderStatus, RefundStatus
from scrm.core.commands import Command
from scrm.core.params import RowId

RatePercent = Decimal  # e.g. "3.5" for 3.5%
Method = Literal["cash", "alipay", "wechat", "online_bank"]


class OrderTermsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_code: str = Field(min_length=1, max_length=32)
    funder_type: FunderType
    amount_applied: YuanIn
    deposit: YuanIn = Decimal(0)
    service_fee_rate: Decimal | None = Field(None, ge=0, le=50, decimal_places=2, description="percent of the disbursed amount")
    service_fee: YuanIn | None = None
    other_fees: YuanIn = Decimal(0)
    marketing_specialist_id: RowId | None = None


class OrderCreate(BaseModel):
    """A sign-up as the salesperson enters it: customer, product and amounts. The service fee comes from the
    product's fee rule; fee fields sent here are refused (422 naming the field): finance sets amounts."""

    model_config = ConfigDict(extra="forbid")
    customer_id: RowId
    product_code: str = Field(min_length=1, max_length=32)
    funder_type: FunderType
    amount_applied: YuanIn
    deposit: YuanIn = Decimal(0)
    marketing_specialist_id: RowId | None = None
    # accepted only to be refused by name (or taken from finance and admins)
    service_fee_rate: SkipJsonSchema[Decimal | None] = Field(None, ge=0, le=50, decimal_places=2)
    service_fee: SkipJsonSchema[YuanIn | None] = None
    other_fees: SkipJsonSchema[YuanIn | None] = None


class OrderAmend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_code: str | None = Field(None, min_length=1, max_length=32)
    funder_type: FunderType | None = None
    amount_applied: YuanIn | None = None
    deposit: YuanIn | None = None
    service_fee_rate: Decimal | None = Field(None, ge=0, le=50, decimal_places=2)
    service_fee: YuanIn | None = None
    service_fee_min: YuanIn | None = Field(None, description="the least a rate may come to")
    other_fees: YuanIn | None = None
    marketing_specialist_id: RowId | None = None


class OrderCorrect(OrderAmend):
    reason: str = Field(min_length=1, max_length=200)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=200)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=500)


class OrderOut(BaseModel):
    id: int
    agreement_no: str
    status: OrderStatus
    customer_id: int
    customer_name: str
    customer_phone: str | None
    signed_at: datetime
    salesperson_id: int
    salesperson_name: str | None
    marketing_specialist_id: int | None
    marketing_specialist_name: str | None
    processor_id: int | None
    processor_name: str | None
    product_code: str
    funder_type: FunderType
    amount_applied: YuanOut
    deposit: YuanOut
    service_fee_rate: Decimal | None
    service_fee: YuanOut | None
    service_fee_min: YuanOut = Field(description="a rate's fee is never below this (the product's fee rule)")
    expected_service_fee: YuanOut = Field(description="the fee as the contract stands: the rate on the amount "
                                                      "disbursed once known (else applied for), not below the minimum; "
                                                      "or the fixed fee")
    other_fees: YuanOut
    disbursed_amount: YuanOut | None
    disbursed_on: date | None
    funder_name: str | None
    term_months: int | None
    repayment_day: int | None
    settled_at: datetime | None
    replaces_order_id: int | None
    void_reason: str | None
    settle_pending: bool = Field(description="disbursed and awaiting settlement: the console shows the settle button in red")


class OrderPage(BaseModel):
    items: list[OrderOut]
    total: int
    limit: int
    offset: int


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    action: str
    from_status: str | None
    to_status: str
    actor_employee_id: int | None
    note: str | None
    at: datetime


class DepositConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    processor_id: RowId
    amount: YuanIn | None = Field(None, description="defaults to the contract's deposit")
    method: Method = "cash"


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: YuanIn
    reason: str = Field(min_length=1, max_length=200)


class RefundDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Method = "cash"


class RefundReject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=500)


class BorrowingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    principal: YuanIn
    lent_on: date
    annual_rate: Decimal = Field(ge=0, le=36, decimal_places=2, description="percent a year")
    cost: YuanIn = Decimal(0)
    method: Method = "online_bank"


class BorrowingRepay(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date
    method: Method = "online_bank"


class RefundOut(BaseModel):
    id: int
    amount: YuanOut
    reason: str
    status: RefundStatus
    filed_by_id: int
    filed_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None


class DepositOut(BaseModel):
    id: int
    order_id: int
    status: DepositStatus
    received: YuanOut
    refunded: YuanOut
    refundable: YuanOut
    method: str
    received_at: datetime
    refunds: list[RefundOut]


class BorrowingOut(BaseModel):
    id: int
    order_id: int
    status: BorrowingStatus
    principal: YuanOut
    lent_on: date
    annual_rate: Decimal
    cost: YuanOut
    interest: YuanOut | None
    repaid_on: date | None
    repaid_via: str | None


class FollowUpCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: FollowUpKind = FollowUpKind.progress
    content: str = Field(min_length=1, max_length=5000)


class FollowUpOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    order_id: int
    employee_id: int
    kind: FollowUpKind
    content: str
    at: datetime


class DisburseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: YuanIn
    disbursed_on: date
    funder_name: str = Field(min_length=1, max_length=64)
    term_months: int | None = Field(None, ge=1, le=360)
    repayment_day: int | None = Field(None, ge=1, le=28)


class AmendTerms(Command):
    """The amend and correct command, in the service's units (fen, basis points); only the fields set change.
    The API builds it from ``OrderAmend`` (yuan), the console from its fee-schedule form."""
    product_code: str | None = None
    funder_type: FunderType | None = None
    amount_applied_fen: int | None = None
    deposit_fen: int | None = None
    service_fee_rate_bp: int | None = None
    service_fee_fen: int | None = None
    other_fees_fen: int | None = None
    service_fee_min_fen: int | None = None
    marketing_specialist_id: int | None = None
