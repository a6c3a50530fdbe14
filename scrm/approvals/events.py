"""The events approvals emit."""

from __future__ import annotations

from scrm.core.events import Event


class ApprovalFinished(Event):
    """An instance ended: approved, rejected, returned or cancelled."""
    name = "approval.finished"
    instance_id: int
    subject_kind: str
    subject_id: int
    customer_id: int
    status: str
    actor_id: int | None
