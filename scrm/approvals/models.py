"""Flow definitions, the instances running through them and the decisions taken on each step."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, enum_column, utcnow

ALL_PRODUCTS = "*"


class ApprovalStatus(str, enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    returned = "returned"
    cancelled = "cancelled"


class ApprovalFlow(Base):
    """The ordered steps of one kind of subject (``application`` or ``contract``) for one product code, or for every
    product (``*``). ``steps``: ``[{"name", "approver": {"kind", "role"?, "employee_id"?}, "min_amount_fen"?,
    "only_when_routed"?}]``. ``version`` grows with every change; a running instance keeps the steps it began with."""

    __tablename__ = "approval_flow"
    __table_args__ = (UniqueConstraint("subject_kind", "product_code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20))
    product_code: Mapped[str] = mapped_column(String(32), default=ALL_PRODUCTS)
    name: Mapped[str] = mapped_column(String(64))
    steps: Mapped[list] = mapped_column(JSONDoc)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalInstance(Base):
    """One subject going through a flow. ``current_step`` indexes ``steps`` (the flow's steps as they were when it
    began); ``round`` grows when a returned instance is submitted again. The ``waiting_*`` columns say who the current
    step waits for, so "my pending approvals" is one query."""

    __tablename__ = "approval_instance"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("approval_flow.id"))
    flow_version: Mapped[int] = mapped_column(Integer)
    steps: Mapped[list] = mapped_column(JSONDoc)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(BigInteger, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    product_code: Mapped[str | None] = mapped_column(String(32))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    routed_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    routed_role: Mapped[str | None] = mapped_column(String(20))
    routed_title: Mapped[str | None] = mapped_column(String(32))
    routed_firing_id: Mapped[int | None] = mapped_column(BigInteger)
    routed_evidence: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[ApprovalStatus] = mapped_column(enum_column(ApprovalStatus), default=ApprovalStatus.pending,
                                                  index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    waiting_kind: Mapped[str | None] = mapped_column(String(20))
    waiting_role: Mapped[str | None] = mapped_column(String(20))
    waiting_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApprovalDecision(Base):
    """Every move of an instance: a submission (no step) or a decision on a step. One decision per step and round,
    whoever else pressed at the same moment."""

    __tablename__ = "approval_decision"
    __table_args__ = (UniqueConstraint("instance_id", "round", "step"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("approval_instance.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[int | None] = mapped_column(Integer)
    step_name: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id"))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(String(500))
    via: Mapped[str] = mapped_column(String(20), default="console")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalCard(Base):
    """A WeCom template card sent to one approver for one step: its ``task_id``, the ``response_code`` WeCom gave
    for updating it, and the button pressed (``outcome``) once the click came back."""

    __tablename__ = "approval_card"
    __table_args__ = (UniqueConstraint("instance_id", "round", "step", "employee_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("approval_instance.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"))
    userid: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[str] = mapped_column(String(128), unique=True)
    msgid: Mapped[str | None] = mapped_column(String(64))
    response_code: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
