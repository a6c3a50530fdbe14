"""Follow-up tasks in and out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


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
