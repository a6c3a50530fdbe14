"""The events handover emits."""

from __future__ import annotations

from scrm.core.events import Event


class CustomerHandedOver(Event):
    name = "customer.handed_over"
    customer_id: int
    case_id: int
    kind: str
    from_employee_id: int
    to_employee_id: int
    previous_owner_id: int | None
