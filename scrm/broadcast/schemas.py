"""Mass messages in and out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from scrm.groups.schemas import Tier


class BroadcastIn(BaseModel):
    """Customers in your scope in ``tier`` and/or carrying any of ``tags_any`` get ``text`` from their owner."""

    model_config = ConfigDict(extra="forbid")
    tier: Tier | None = None
    tags_any: list[str] | None = None
    text: str = Field(min_length=1, max_length=1000)


class MassTaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sender_employee_id: int
    recipients: int = 0
    status: str
    msgid: str | None
    unsent: int
    sent: int
    not_friend: int
    already_received: int
    error: str | None


class MassMessageOut(BaseModel):
    id: int
    kind: str
    tier: str | None
    tags_any: list[str] | None
    text: str
    created_at: datetime
    recipients: int
    sent: int
    tasks: list[MassTaskOut]
