"""The events the organisation emits."""

from __future__ import annotations

from datetime import datetime

from scrm.core.events import Event


class EmployeeDeparted(Event):
    name = "employee.departed"
    employee_id: int
    wecom_userid: str | None
    department_id: int | None
    by: int | None
    source: str
    departed_at: datetime
