"""The events the pipeline emits."""

from __future__ import annotations

from scrm.core.events import Event


class StageSlaBreached(Event):
    """A customer stayed in a stage past its SLA (level 1) or twice it (level 2); an SOP task was made."""
    name = "pipeline.stage_sla_breached"
    task_id: int
    customer_id: int
    stage_name: str
    level: int
    sla_hours: int
    owner_employee_id: int | None
    assignee_employee_id: int | None
