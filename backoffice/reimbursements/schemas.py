from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backoffice.common.money import YuanIn, YuanOut
from backoffice.orders.models import FunderType
from backoffice.reimbursements.models import CostType, ReimbursementStatus
from scrm.core.commands import Command
from scrm.core.params import RowId


class ReimbursementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: RowId
    order_id: RowId | None = None
    cost_type: CostType
    category: str = Field(min_length=1, max_length=32, description="交通, 办公用品, …")
    amount: YuanIn
    spent_on: date
    manager_id: RowId | None = None
    remark: str | None = Field(None, max_length=500)
    payee_name: str | None = Field(None, max_length=64, description="收款人")
    payee_account: str | None = Field(None, max_length=40, description="8–30 digits; stored encrypted, shown masked")
    payee_bank: str | None = Field(None, max_length=64, description="开户行")


class ReimbursementResubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str | None = Field(None, min_length=1, max_length=32)
    amount: YuanIn | None = None
    spent_on: date | None = None
    remark: str | None = Field(None, max_length=500)
    payee_name: str | None = Field(None, max_length=64)
    payee_account: str | None = Field(None, max_length=40)
    payee_bank: str | None = Field(None, max_length=64)


class PayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payer: Literal["cash", "alipay", "wechat", "online_bank"]


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=200)


class ReimbursementOut(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    order_id: int | None
    agreement_no: str | None
    funder_type: FunderType | None
    cost_type: CostType
    category: str
    amount: YuanOut
    spent_on: date
    manager_id: int | None
    remark: str | None
    status: ReimbursementStatus
    confirmed: bool
    confirmed_at: datetime | None
    payer: str | None
    paid_at: datetime | None
    entered_by_id: int
    entered_by_name: str | None
    created_at: datetime
    resubmits_id: int | None
    payee_name: str | None = None
    payee_account_masked: str | None = Field(None, description="the last four digits only (**** 1234)")
    payee_bank: str | None = None


class ReimbursementPage(BaseModel):
    items: list[ReimbursementOut]
    total: int
    limit: int
    offset: int


class ClaimChanges(Command):
    """The resubmit command: what changes on a voided claim entered again (the service's units, fen); the API
    builds it from ``ReimbursementResubmit`` (yuan), the console from its form."""
    customer_id: int | None = None
    cost_type: CostType | None = None
    category: str | None = None
    amount_fen: int | None = None
    spent_on: date | None = None
    order_id: int | None = None
    manager_id: int | None = None
    remark: str | None = None
    payee_name: str | None = None
    payee_account: str | None = None
    payee_bank: str | None = None
