"""Expense budgets (费用预算): what a centre may spend in a month, set by a manager."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, UTCDateTime, utcnow


class ExpenseBudget(Base):
    __tablename__ = "bo_expense_budget"
    __table_args__ = (UniqueConstraint("center_id", "month"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("center.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # 2026-11
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
