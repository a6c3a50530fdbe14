"""Assignment-rule payloads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from scrm.assignment.models import Strategy
from scrm.core.commands import Command
from scrm.core.params import INTEGER_MAX, INTEGER_MIN, RowId


class Conditions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regions: list[str] = Field(default_factory=list, description="customer.region, any of")
    cities: list[str] = Field(default_factory=list, description="customer.city, any of")
    product_codes: list[str] = Field(default_factory=list)
    channel_ids: list[RowId] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="wecom, miniprogram, manual, import")


class RuleCreate(Command):
    name: str = Field(min_length=1, max_length=64)
    priority: int = Field(default=100, ge=INTEGER_MIN, le=INTEGER_MAX, description="lower runs first")
    conditions: Conditions = Field(default_factory=Conditions, description="all listed must match; empty matches all")
    strategy: Strategy
    team_employee_ids: list[RowId] = Field(description="at least one")
    max_open_leads: int | None = Field(default=None, ge=1, le=INTEGER_MAX,
                                       description="open leads per member under this rule")
    active: bool = True


class RuleUpdate(Command):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    priority: int | None = Field(default=None, ge=INTEGER_MIN, le=INTEGER_MAX)
    conditions: Conditions | None = None
    strategy: Strategy | None = None
    team_employee_ids: list[RowId] | None = Field(default=None, min_length=1)
    max_open_leads: int | None = Field(default=None, ge=1, le=INTEGER_MAX)
    active: bool | None = None


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    priority: int
    conditions: dict
    strategy: Strategy
    team_employee_ids: list[int]
    max_open_leads: int | None
    last_employee_id: int | None
    active: bool
    created_at: datetime


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    employee_id: RowId | None = Field(default=None, description="left out: let the rules choose")


class AssignOut(BaseModel):
    customer_id: int
    owner_id: int | None
    owner_name: str | None
