"""The events SOP tasks emit."""

from __future__ import annotations

from scrm.core.events import Event


class SlaBreached(Event):
    """A lead went uncontacted past its SLA; an escalation task was made for the supervisor."""
    name = "sop.sla_breached"
    task_id: int
    customer_id: int
    owner_employee_id: int | None
    supervisor_employee_id: int | None
