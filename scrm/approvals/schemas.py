"""What the approvals API and pages take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scrm.core.commands import Command
from scrm.org.models import Role

SubjectKind = Literal["application", "contract"]
DEFAULT_EXAMPLE = {
    "subject_kind": "application", "product_code": None, "name": "贷款申请审批",
    "steps": [{"name": "资质初审", "approver": {"kind": "supervisor"}},
              {"name": "风控复审", "approver": {"kind": "routed"}, "only_when_routed": True},
              {"name": "大额复核", "approver": {"kind": "role", "role": "manager"}, "min_amount_fen": 50_000_000}]}


class ApproverIn(Command):
    """Who approves a step: ``supervisor`` (the applicant's supervisor, or a manager over them), ``role`` (anyone of
    ``role``), ``employee`` (the one named by ``employee_id``) or ``routed`` (whoever a risk rule routed it to)."""

    kind: Literal["supervisor", "role", "employee", "routed"]
    role: Role | None = None
    employee_id: int | None = Field(default=None, ge=1, le=2**53)


class StepIn(Command):
    """One step; it applies only when the amount is at least ``min_amount_fen`` (fen) and, with
    ``only_when_routed``, only when a risk rule routed the application. A step that does not apply is skipped."""

    name: str = Field(min_length=1, max_length=20)
    approver: ApproverIn
    min_amount_fen: int | None = Field(default=None, ge=1, le=10**13)
    only_when_routed: bool = False


class FlowIn(Command):
    """A flow for one kind of subject and one product code (``null``: every product without its own flow)."""

    model_config = ConfigDict(json_schema_extra={"example": DEFAULT_EXAMPLE})
    subject_kind: SubjectKind
    product_code: str | None = Field(default=None, min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    steps: list[StepIn] = Field(min_length=1, max_length=8)
    active: bool = True


class FlowPatch(Command):
    """The fields to change; ``steps`` given replace the old ones whole."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    steps: list[StepIn] | None = Field(default=None, min_length=1, max_length=8)
    active: bool | None = None


class ActIn(Command):
    """A decision on the step the instance waits at. ``step`` (1-based, as shown) guards against acting on a step
    someone else has already decided; reject and return need a ``comment``."""

    action: Literal["approve", "reject", "return"]
    comment: str | None = Field(default=None, max_length=500)
    step: int | None = Field(default=None, ge=1, le=8)


class SubmitIn(Command):
    """Submit a customer's loan application for approval."""

    customer_id: int = Field(ge=1, le=2**53)
    comment: str | None = Field(default=None, max_length=500)


class FlowOut(BaseModel):
    id: int
    subject_kind: str
    subject_name: str
    product_code: str | None
    name: str
    steps: list[dict]
    active: bool
    version: int
    updated_at: datetime


class DecisionOut(BaseModel):
    round: int
    step: int | None
    step_name: str | None
    actor_id: int | None
    actor_name: str | None
    action: str
    action_name: str
    comment: str | None
    via: str
    via_name: str
    at: datetime


class StepOut(BaseModel):
    number: int
    name: str
    approver: str
    applies: bool
    state: str  # done | current | waiting | skipped


class InstanceOut(BaseModel):
    id: int
    subject_kind: str
    subject_name: str
    subject_id: int
    customer_id: int
    customer_name: str | None  # masked
    product_code: str | None
    amount_fen: int | None
    applicant_id: int | None
    status: str
    status_name: str
    round: int
    current_step: int | None  # 1-based while pending
    current_step_name: str | None
    waiting_for: str | None
    routed_title: str | None
    routed_evidence: str | None
    steps: list[StepOut]
    decisions: list[DecisionOut]
    allowed_actions: list[str]
    created_at: datetime
    finished_at: datetime | None
