from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backoffice.common.money import YuanIn, YuanOut
from backoffice.settlements.models import EXPENSE_ACCOUNTS, DiscountKind, PaymentMethod, SettlementStatus


class ChargesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service_fee: YuanIn | None = None
    discount_kind: DiscountKind | None = None
    discount_percent: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    discount_amount: YuanIn | None = Field(None, description="fixed: the reduction; per_count: the amount per loan")
    loan_count: int | None = Field(None, ge=1, le=100, description="loans disbursed under the order (per_count)")
    installment_fee: YuanIn | None = None
    payment_method: PaymentMethod | None = None


class FeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=32, description="下户费, 渠道管理费, …")
    amount: YuanIn


class ExpenseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=24, description="the code of an active expense type (appraisal, rebate, …)")
    payee: str = Field(min_length=1, max_length=64)
    amount: YuanIn


class ExpenseConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: YuanIn | None = Field(None, description="the corrected amount, when finance corrects it")


class ExpenseTypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=32)
    account: Literal[EXPENSE_ACCOUNTS] = Field(description="rebate_expense (a rebate, reduces revenue) or "
                                                            "appraisal_expense (a cost of the order)")


class ExpenseTypeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=32)
    account: Literal[EXPENSE_ACCOUNTS] | None = None
    active: bool | None = None


class ExpenseTypeOut(BaseModel):
    id: int
    code: str
    name: str
    account: str
    account_name: str
    active: bool


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
    kind: str
    kind_name: str
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
    discount_value: Decimal = Field(description="percent, yuan for a fixed reduction, or yuan per loan (per_count)")
    loan_count: int
    payment_method: PaymentMethod | None
    fees: list[FeeOut]
    expenses: list[ExpenseOut]
    totals: TotalsOut
    opened_at: datetime
    closed_at: datetime | None
    voided_at: datetime | None
    void_reason: str | None


class LoanStepOut(BaseModel):
    key: str = Field(description="signed, deposit, processing, disbursed, settled")
    label: str
    done: bool
    at: datetime | date | None


class LoanStatementOut(BaseModel):
    status: SettlementStatus = Field(description="open while the fees are worked out; closed once fixed")
    service_fee_fen: int
    discount_fen: int
    installment_fee_fen: int
    extra_fees_fen: int
    borrowing_fen: int
    total_charges_fen: int
    deposit_applied_fen: int
    collected_at_close_fen: int
    paid_fen: int
    payment_method: str | None
    closed_at: datetime | None


LOAN_EXAMPLE = {
        "order_id": 12, "agreement_no": "HT20261130-0001", "product_code": "credit", "status": "settled",
        "status_name": "已结算",
        "steps": [{"key": "signed", "label": "已签约", "done": True, "at": "2026-11-30T02:00:00Z"},
                  {"key": "deposit", "label": "已付定金", "done": True, "at": "2026-12-01T02:00:00Z"},
                  {"key": "processing", "label": "办理中", "done": True, "at": "2026-12-01T02:00:00Z"},
                  {"key": "disbursed", "label": "已放款", "done": True, "at": "2026-12-10"},
                  {"key": "settled", "label": "已结算", "done": True, "at": "2026-12-11T02:00:00Z"}],
        "amount_applied_fen": 20000000, "service_fee_fen": 600000, "deposit_fen": 200000,
        "deposit_received_fen": 200000, "deposit_refunded_fen": 0, "disbursed_amount_fen": 18000000,
        "disbursed_on": "2026-12-10", "funder_name": "招商银行", "term_months": 36, "repayment_day": 15,
        "statement": {"status": "closed", "service_fee_fen": 540000, "discount_fen": 54000, "installment_fee_fen": 0,
                      "extra_fees_fen": 30000, "borrowing_fen": 0, "total_charges_fen": 516000,
                      "deposit_applied_fen": 200000, "collected_at_close_fen": 0, "paid_fen": 0,
                      "payment_method": "direct_debit", "closed_at": "2026-12-11T02:00:00Z"},
        "owed_fen": 316000}


class CustomerLoanOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [LOAN_EXAMPLE]})
    order_id: int
    agreement_no: str
    product_code: str
    status: str
    status_name: str
    steps: list[LoanStepOut]
    amount_applied_fen: int
    service_fee_fen: int | None
    deposit_fen: int
    deposit_received_fen: int
    deposit_refunded_fen: int
    disbursed_amount_fen: int | None
    disbursed_on: date | None
    funder_name: str | None
    term_months: int | None
    repayment_day: int | None
    statement: LoanStatementOut | None
    owed_fen: int | None = Field(description="what the customer still has to pay (fen) once the settlement is "
                                             "closed: 0 when paid; null before")


class MyLoanOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"loan": LOAN_EXAMPLE}, {"loan": None}]})
    loan: CustomerLoanOut | None = Field(description="null until a salesperson signs an order with the customer")
