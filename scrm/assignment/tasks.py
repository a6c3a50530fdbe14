"""Jobs for lead assignment."""

from __future__ import annotations

from scrm.assignment import service
from scrm.customers.models import Customer
from scrm.core.db import session_scope


def assign_customer(customer_id: int) -> int | None:
    """Job: run the rules for one lead (no-op when it already has an owner); returns the owner's id."""
    with session_scope() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return None
        employee = service.assign(session, customer)
        return employee.id if employee else None


def assign_pool() -> int:
    """Periodic: give pooled leads to whoever has room now."""
    with session_scope() as session:
        return service.assign_pool(session)
