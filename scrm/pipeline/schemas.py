"""The pipeline's stages, the board and a customer's stays, in and out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scrm.core.commands import Command
from scrm.customers.models import Stage
from scrm.org.models import Role
from scrm.pipeline.models import OwnerKind

RequirementKind = Literal["product_chosen", "materials_complete", "min_score"]


class Requirement(Command):
    """An entry requirement: ``product_chosen`` (a loan product on the record), ``materials_complete`` (every
    material the product's form asks for is on file), ``min_score`` with ``value`` (the risk score is at least it)."""

    kind: RequirementKind
    value: int | None = Field(default=None, ge=0, le=100)


class StageIn(Command):
    """A new stage. ``position`` is 1-based (the others move down); left out, it goes last."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "name": "风控复审", "lifecycle_stage": "appointment", "owner_kind": "role", "owner_role": "supervisor",
        "sla_hours": 48, "requirements": [{"kind": "materials_complete"}, {"kind": "min_score", "value": 60}]}})
    name: str = Field(min_length=1, max_length=32)
    key: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,39}$")
    position: int | None = Field(default=None, ge=1, le=100)
    lifecycle_stage: Stage
    owner_kind: OwnerKind = OwnerKind.salesperson
    owner_role: Role | None = None
    owner_employee_id: int | None = Field(default=None, ge=1)
    sla_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    requirements: list[Requirement] = Field(default_factory=list, max_length=10)


class StagePatch(Command):
    """The fields to change; ``requirements`` given replace the old ones whole; ``sla_hours`` null switches the SLA
    off. A new ``position`` moves the stage there and renumbers the others."""

    name: str | None = Field(default=None, min_length=1, max_length=32)
    position: int | None = Field(default=None, ge=1, le=100)
    lifecycle_stage: Stage | None = None
    owner_kind: OwnerKind | None = None
    owner_role: Role | None = None
    owner_employee_id: int | None = Field(default=None, ge=1)
    sla_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    requirements: list[Requirement] | None = Field(default=None, max_length=10)


class MoveIn(Command):
    """Where to move the customer."""

    stage_id: int = Field(ge=1)


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    key: str
    name: str
    position: int
    lifecycle_stage: Stage
    lifecycle_stage_name: str = ""
    owner_kind: OwnerKind
    owner_kind_name: str = ""
    owner_role: str | None
    owner_employee_id: int | None
    owner_name: str = Field("", description="who owns the step, in words: 跟进销售, 主管, a person's name")
    sla_hours: int | None
    requirements: list[dict]
    requirement_names: list[str] = []


class BoardCustomer(BaseModel):
    id: int
    name: str
    owner_id: int | None
    owner_name: str | None
    entered_at: datetime
    hours_in_stage: int


class BoardColumn(BaseModel):
    stage: StageOut
    count: int
    customers: list[BoardCustomer] = Field(description="the longest in the stage first")


class BoardOut(BaseModel):
    columns: list[BoardColumn]
    total: int = Field(description="the customers on the board: active and not lost, in the viewer's scope")
    lost: int = Field(description="active customers in the viewer's scope whose stage is 已流失, not on the board")


class MovedOut(BaseModel):
    customer_id: int
    stage: StageOut
    entered_at: datetime


class StayOut(BaseModel):
    stage_id: int | None
    stage_name: str
    entered_at: datetime
    left_at: datetime | None
    hours: int
    moved_by_id: int | None
    moved_by_name: str | None
    source: str
    source_name: str


class StageTimeOut(BaseModel):
    stage_name: str
    hours: int


class HistoryOut(BaseModel):
    customer_id: int
    current_stage: StageOut
    entered_at: datetime
    stays: list[StayOut] = Field(description="every stay, oldest first; the last one is the current")
    time_in_stage: list[StageTimeOut] = Field(description="hours in each stage, summed over its stays")
