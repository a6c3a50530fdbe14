"""Customers and their phone numbers."""

from __future__ import annotations

from scrm.customers.models import Customer, CustomerSource, CustomerStatus, Stage
from scrm.customers.service.common import set_phone
from scrm.org.models import Employee
from tests.factories.common import seq


def make_customer(db, owner: Employee | None = None, name: str | None = None, phone: str | None = None,
                  **extra) -> Customer:
    n = next(seq)
    customer = Customer(name=name or f"客户{n}", owner_id=owner.id if owner else None,
                        source=extra.pop("source", CustomerSource.manual), stage=extra.pop("stage", Stage.lead),
                        status=extra.pop("status", CustomerStatus.active), custom_fields={}, **extra)
    if phone:
        set_phone(customer, phone)
    db.add(customer)
    db.flush()
    return customer


def phone(n: int) -> str:
    return f"139{n:08d}"
