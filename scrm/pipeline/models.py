"""The sales pipeline (销售流程): stages a manager edits, where each customer is and since when, and every stay."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, enum_column, utcnow
from scrm.customers.models import Stage


class OwnerKind(str, enum.Enum):
    salesperson = "salesperson"  # the customer's owner
    role = "role"  # an employee of that role (the owner's department first, then their centre, then anyone)
    employee = "employee"  # a named person


class PipelineStage(Base):
    """One step of the pipeline. ``lifecycle_stage`` is the built-in customer stage it stands for: moving a customer
    here sets ``customer.stage`` to it, so the dashboards, month counts and reports keep counting.
    ``requirements``: ``[{"kind": "product_chosen"} | {"kind": "materials_complete"} | {"kind": "min_score",
    "value": 60}]``, checked when a person moves a customer in."""

    __tablename__ = "pipeline_stage"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    lifecycle_stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    owner_kind: Mapped[OwnerKind] = mapped_column(enum_column(OwnerKind), default=OwnerKind.salesperson)
    owner_role: Mapped[str | None] = mapped_column(String(20))
    owner_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    sla_hours: Mapped[int | None] = mapped_column(Integer)
    requirements: Mapped[list] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerPipeline(Base):
    """Where a customer is now. A customer without a row (one from before the pipeline) is placed by their lifecycle
    stage (``service.placement``). ``escalated`` is how many SLA levels this stay has escalated (0, 1, 2)."""

    __tablename__ = "customer_pipeline"
    __table_args__ = (Index("ix_customer_pipeline_stage_id_entered_at", "stage_id", "entered_at"),)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stage.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    escalated: Mapped[int] = mapped_column(Integer, default=0)


class PipelineStay(Base):
    """One stay of a customer in a stage: time in each stage is read from these. The stage's name is kept, so a stay
    outlives its stage being deleted."""

    __tablename__ = "pipeline_stay"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_stage.id", ondelete="SET NULL"))
    stage_name: Mapped[str] = mapped_column(String(32))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    # "manual", "order.signed", "loan.disbursed", "created", "placed" (a customer from before the pipeline)
    source: Mapped[str] = mapped_column(String(30), default="manual")
