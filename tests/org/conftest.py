"""Factories and an HTTP client for the org tests; every test runs in the rolled-back ``db`` transaction."""

from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from scrm.auth import issue_staff_token
from scrm.org import service as org_service
from scrm.org.models import Center, DataScope, Department, Employee, Role

_seq = itertools.count(1)


@pytest.fixture
def client(db) -> TestClient:
    from loan_scrm.app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


def make_center(db, name: str | None = None) -> Center:
    return org_service.create_center(db, name or f"中心{next(_seq)}")


def make_department(db, center: Center | None = None, name: str | None = None,
                    parent: Department | None = None) -> Department:
    return org_service.create_department(db, name or f"营销{next(_seq)}部", center.id if center else None,
                                         parent.id if parent else None)


def make_employee(db, department: Department | None = None, role: Role = Role.sales,
                  scope: DataScope | None = None, password: str | None = None, **extra) -> Employee:
    n = next(_seq)
    extra.setdefault("name", f"员工{n}")
    if password is not None:
        extra.setdefault("username", f"user{n}")
    return org_service.create_employee(db, role=role, scope=scope, department_id=department.id if department else None,
                                       password=password, **extra)


def auth(employee: Employee) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_staff_token(employee.id)}"}


@pytest.fixture
def org(db):
    """Two centers; center A has departments A1 (with sub-team A1x) and A2; center B has B1."""
    a, b = make_center(db, "华东中心"), make_center(db, "华南中心")
    a1 = make_department(db, a, "营销一部")
    a1x = make_department(db, parent=a1, name="一部一组")
    a2 = make_department(db, a, "营销二部")
    b1 = make_department(db, b, "营销三部")

    class Org:
        pass

    o = Org()
    o.center_a, o.center_b, o.a1, o.a1x, o.a2, o.b1 = a, b, a1, a1x, a2, b1
    o.sales_a1 = make_employee(db, a1, Role.sales)
    o.sales_a1x = make_employee(db, a1x, Role.sales)
    o.sales_a2 = make_employee(db, a2, Role.sales)
    o.sales_b1 = make_employee(db, b1, Role.sales)
    o.supervisor_a1 = make_employee(db, a1, Role.supervisor)
    o.manager_a = make_employee(db, a1, Role.manager)
    o.finance = make_employee(db, b1, Role.finance)
    o.admin = make_employee(db, None, Role.admin)
    return o

