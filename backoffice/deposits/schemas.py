from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backoffice.common.money import YuanIn, YuanOut
from backoffice.deposits.models import BorrowingStatus, DepositStatus, RefundStatus

Method = Literal["cash", "alipay", "wechat", "online_bank"]


class DepositConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    processor_id: int
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
