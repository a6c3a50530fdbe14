"""Lead-assignment rules, kept as data so managers change them without a release."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class Strategy(str, enum.Enum):
    round_robin = "round_robin"
    least_loaded = "least_loaded"
    fixed = "fixed"  # the first member of the team list who is below cap, in list order


class AssignmentRule(Base):
    __tablename__ = "assignment_rule"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # lower runs first; ties by id
    priority: Mapped[int] = mapped_column(Integer, default=100, index=True)
    # {"regions": [...], "cities": [...], "product_codes": [...], "channel_ids": [...], "sources": [...]};
    # every listed key must match (any value within a list); an empty dict matches every lead
    conditions: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    strategy: Mapped[Strategy] = mapped_column(Enum(Strategy, native_enum=False, length=20))
    team_employee_ids: Mapped[list] = mapped_column(JSONDoc, default=list)
    # open leads per employee under this rule; Employee.max_open_leads also applies, the lower wins
    max_open_leads: Mapped[int | None] = mapped_column(Integer)
    # round robin: who got the previous lead (an id, not a list index, so editing the team keeps the turn)
    last_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
