from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from backoffice.common.money import YuanIn, YuanOut
from backoffice.settlements.models import DiscountKind, ExpenseKind, PaymentMethod, SettlementStatus


class ChargesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service_fee: YuanIn | None = None
    discount_kind: DiscountKind | None = None
    discount_percent: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    discount_amount: YuanIn | None = None
    installment_fee: YuanIn | None = None
    payment_method: PaymentMethod | None = None


class FeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=32, description="下户费, 渠道管理费, …")
    amount: YuanIn


class ExpenseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ExpenseKind
    payee: str = Field(min_length=1, max_length=64)
    amount: YuanIn


class ExpenseConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: YuanIn | None = Field(None, description="the corrected amount, when finance corrects it")


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=200)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date | None = Field(None, description="the settlement date (interest on borrowings runs to it); today by default")


class FeeOut(BaseModel):
    id: int
    name: str
    amount: YuanOut


class ExpenseOut(BaseModel):
    id: int
    kind: ExpenseKind
    payee: str
    amount: YuanOut
    confirmed: bool
    corrected_from: YuanOut | None


class TotalsOut(BaseModel):
    service_fee: YuanOut
    discount: YuanOut
    net_service_fee: YuanOut
    installment_fee: YuanOut
    extra_fees: YuanOut
    borrowing_principal: YuanOut
    borrowing_interest: YuanOut
    borrowing_cost: YuanOut
    total_charges: YuanOut
    deposit_applied: YuanOut
    collected_at_close: YuanOut
    paid: YuanOut
    amount_due: YuanOut
    appraisal: YuanOut
    rebates: YuanOut


class SettlementOut(BaseModel):
    id: int
    order_id: int
    agreement_no: str
    customer_name: str
    status: SettlementStatus
    discount_kind: DiscountKind
    discount_value: Decimal = Field(description="percent, or yuan for a fixed reduction")
    payment_method: PaymentMethod | None
    fees: list[FeeOut]
    expenses: list[ExpenseOut]
    totals: TotalsOut
    opened_at: datetime
    closed_at: datetime | None
    voided_at: datetime | None
    void_reason: str | None
