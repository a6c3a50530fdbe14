"""The events lead assignment emits."""

from __future__ import annotations

from scrm.core.events import Event


class CustomerAssigned(Event):
    name = "customer.assigned"
    customer_id: int
    employee_id: int
    rule_id: int | None
