"""Handover payloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scrm.core.params import RowId
from scrm.handover.models import CaseKind, CaseStatus, ItemKind, ItemStatus


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    employee_id: RowId = Field(description="the giver: departed for `resigned`, active for `onjob`")
    kind: CaseKind = CaseKind.resigned
    customer_ids: list[RowId] | None = Field(default=None, description="on-job: only these customers; left out: all")
    transfer_msg: str | None = Field(default=None, max_length=200,
                                     description="on-job: the message WeCom shows the customer")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    strategy: Literal["one", "round_robin", "least_loaded", "by_tier"]
    taker_ids: list[RowId] = Field(default_factory=list)
    department_id: RowId | None = Field(default=None, description="add this team's active members as takers")
    tier_takers: dict[str, list[RowId]] = Field(default_factory=dict,
                                                description='by_tier: {"A": [ids], "B": [ids], "*": [ids]}')


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: CaseKind
    employee_id: int
    employee_name: str = ""
    status: CaseStatus
    source: str
    plan: dict
    created_at: datetime
    closed_at: datetime | None
    progress: dict[str, int] = Field(default_factory=dict, description="items per status")
    total: int = 0


@dataclass
class PlanRow:
    """One customer or group of a plan: who takes it, and why it is flagged. Also the API's row."""

    item_id: int
    item_kind: ItemKind
    customer_id: int | None
    external_id: str
    name: str
    taker_id: int | None
    taker_name: str | None
    flag: str | None
    tier: str | None
    note: str | None = None


class PlanOut(BaseModel):
    rows: list[PlanRow]
    per_taker: dict[int, int]
    flagged: int
    unassigned: int


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    item_kind: ItemKind
    customer_id: int | None
    external_id: str
    status: ItemStatus
    flag: str | None
    tier: str | None
    taker_id: int | None
    tried_taker_ids: list[int]
    attempts: int
    errcode: int | None
    note: str | None
    sent_at: datetime | None
    final_at: datetime | None


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    page: int
    page_size: int
