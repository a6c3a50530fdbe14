"""Follow-up tasks in and out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from scrm.core.commands import Command

from scrm.groups.schemas import Tier


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    key: str
    kind: str
    title: str
    customer_id: int
    assignee_employee_id: int | None
    due_at: datetime
    status: str
    snoozes: int
    note: str | None
    completed_at: datetime | None


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    until: datetime


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    employee_id: int = Field(ge=1)


class MissedOut(BaseModel):
    total: int
    by_assignee: dict[str, int]
    by_kind: dict[str, int]


class ScheduleIn(Command):
    name: str = Field(min_length=1, max_length=64)
    tier: Tier
    every_days: int = Field(ge=1, le=365)
    hour: int = Field(default=9, ge=0, le=23)
    title: str = Field(min_length=1, max_length=200)


class SchedulePatch(Command):
    every_days: int | None = Field(default=None, ge=1, le=365)
    hour: int | None = Field(default=None, ge=0, le=23)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = None


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    tier: str
    every_days: int
    hour: int
    title: str
    active: bool
