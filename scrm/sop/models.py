"""Follow-up tasks (SOP) and the loans whose repayments they remind of."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class TaskStatus(str, enum.Enum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class SopTask(Base):
    """One thing to do for one customer. ``key`` is (customer, rule, due slot), so a rule that fires
    twice for the same slot — two schedulers, a replayed event — still makes one task."""

    __tablename__ = "sop_task"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    assignee_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[TaskStatus] = mapped_column(
        Enum(TaskStatus, native_enum=False, length=20, values_callable=lambda cls: [m.value for m in cls]),
        default=TaskStatus.open, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str | None] = mapped_column(Text)
    snoozes: Mapped[int] = mapped_column(Integer, default=0)
    # every transition: [{"action", "at", "by", ...}]
    history: Mapped[list | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SopSchedule(Base):
    """A recurring follow-up for every customer of a tier: a task every ``every_days`` days at ``hour``
    (the company's time zone). The migration adds tier A's call reminder every 2 days."""

    __tablename__ = "sop_schedule"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    tier: Mapped[str] = mapped_column(String(10))
    every_days: Mapped[int] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer, default=9)
    title: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RepaymentPlan(Base):
    """From ``loan.disbursed``: what the repayment reminders are computed from."""

    __tablename__ = "repayment_plan"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    disbursed_on: Mapped[date] = mapped_column(Date)
    term_months: Mapped[int] = mapped_column(Integer)
    repayment_day: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
