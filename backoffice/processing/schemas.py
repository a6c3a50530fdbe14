from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from backoffice.common.money import YuanIn
from backoffice.processing.models import FollowUpKind


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
