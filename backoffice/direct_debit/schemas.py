"""Debit payloads: amounts in yuan (Decimal) in and out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from backoffice.direct_debit.models import AttemptStatus, DebitStatus
from scrm.core.money import Yuan
from scrm.core.params import RowId


class DebitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra={"examples": [{"customer_id": 12, "due_key": "settlement:34",
                                                               "amount": "3200.00", "description": "服务费",
                                                               "confirm": True}]})
    customer_id: RowId
    due_key: str = Field(min_length=1, max_length=120, description="what is due, e.g. `settlement:34`; "
                         "the same key and amount never make a second debit")
    amount: Yuan = Field(gt=0, description="yuan, at most two decimals")
    description: str = Field(default="代扣", max_length=128)
    mandate_id: RowId | None = Field(default=None, description="which authorisation; left out: the customer's active one")
    confirm: bool = Field(default=False, description="false: answer a preview and debit nothing; true: debit")


class DebitPreview(BaseModel):
    customer_id: int
    due_key: str
    amount: Decimal
    mandate_id: int
    provider: str
    card_last4: str | None
    max_amount: Decimal | None
    not_before: datetime | None = Field(description="papay deducts only 07:00–22:00 Beijing time; set when it must wait")
    existing_debit_id: int | None = Field(description="the debit this key and amount already made, if any")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    no: int
    out_trade_no: str
    status: AttemptStatus
    err_code: str | None
    err_msg: str | None
    sent_at: datetime
    answered_at: datetime | None


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    from_status: str | None
    to_status: str
    reason: str | None
    actor_id: int | None
    at: datetime


class DebitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    due_key: str
    amount: Decimal = Decimal(0)
    customer_id: int
    mandate_id: int
    provider: str
    description: str
    status: DebitStatus
    not_before: datetime | None
    attempts: int
    provider_txn_id: str | None
    failure_reason: str | None
    succeeded_at: datetime | None
    reconciled_at: datetime | None
    created_at: datetime


class DebitDetail(DebitOut):
    attempt_list: list[AttemptOut] = []
    changes: list[ChangeOut] = []


class DebitPage(BaseModel):
    items: list[DebitOut]
    total: int
    page: int
    page_size: int


class ReconcileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider: Literal["papay", "bank"]
    date: date


class ReconcileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    provider: str
    bill_date: date
    run: int
    matched: int
    mismatches: list[dict]
