"""Saved reports (报表): a manager's report definitions, shown on their dashboard in their order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class SavedReport(Base):
    __tablename__ = "saved_report"
    __table_args__ = (Index("ix_saved_report_owner_id_position", "owner_id", "position"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    name: Mapped[str] = mapped_column(String(64))
    # {"measure": ..., "dimension": ..., "filters": {...}}, checked against the whitelist when saved and run
    definition: Mapped[dict] = mapped_column(JSONDoc)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
