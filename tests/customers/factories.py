"""Factories and an HTTP client shared by the customer, channel and assignment tests (all in the ``db`` transaction)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from scrm.auth import issue_staff_token
from scrm.customers import service as customer_service
from scrm.customers.service.common import set_phone
from scrm.customers.models import Customer, CustomerSource, CustomerStatus, Stage
from scrm.core.events import OutboxEvent
from scrm.org.models import DEFAULT_SCOPE, Center, Department, Employee, EmployeeStatus, Role

_seq = itertools.count(1)
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_department(db, name: str | None = None, center: Center | None = None) -> Department:
    if center is None:
        center = Center(name=f"中心{next(_seq)}")
        db.add(center)
        db.flush()
    dept = Department(name=name or f"营销{next(_seq)}部", center_id=center.id)
    db.add(dept)
    db.flush()
    return dept


def make_employee(db, name: str | None = None, role: Role = Role.sales, department: Department | None = None,
                  **extra) -> Employee:
    n = next(_seq)
    employee = Employee(name=name or f"销售{n}", role=role, scope=DEFAULT_SCOPE[role],
                        department_id=department.id if department else None,
                        wecom_userid=extra.pop("wecom_userid", f"user{n}"), status=EmployeeStatus.active, **extra)
    db.add(employee)
    db.flush()
    return employee


def make_customer(db, owner: Employee | None = None, name: str | None = None, phone: str | None = None,
                  **extra) -> Customer:
    n = next(_seq)
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


def auth(employee: Employee) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_staff_token(employee.id)}"}


def events_named(db, name: str) -> list[dict]:
    db.flush()
    return [e.payload for e in db.scalars(select(OutboxEvent).where(OutboxEvent.name == name).order_by(OutboxEvent.id))]


@pytest.fixture
def client(db):
    from loan_scrm.app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def products(db):
    return {p.code: p for p in customer_service.seed_products(db)}

