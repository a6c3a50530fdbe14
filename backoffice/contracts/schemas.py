from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from backoffice.common.money import YuanIn, YuanOut
from backoffice.contracts.models import FunderType, OrderStatus

RatePercent = Decimal  # e.g. "3.5" for 3.5%


class OrderTermsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_code: str = Field(min_length=1, max_length=32)
    funder_type: FunderType
    amount_applied: YuanIn
    deposit: YuanIn = Decimal(0)
    service_fee_rate: Decimal | None = Field(None, ge=0, le=50, decimal_places=2, description="percent of the disbursed amount")
    service_fee: YuanIn | None = None
    other_fees: YuanIn = Decimal(0)
    marketing_specialist_id: int | None = None


class OrderCreate(OrderTermsIn):
    customer_id: int


class OrderAmend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_code: str | None = Field(None, min_length=1, max_length=32)
    funder_type: FunderType | None = None
    amount_applied: YuanIn | None = None
    deposit: YuanIn | None = None
    service_fee_rate: Decimal | None = Field(None, ge=0, le=50, decimal_places=2)
    service_fee: YuanIn | None = None
    other_fees: YuanIn | None = None
    marketing_specialist_id: int | None = None


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
