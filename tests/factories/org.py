"""Centers, departments and employees, and a staff member's bearer header.

``make_department`` and ``make_employee`` add the rows as they are; the ``new_*`` ones go through the org
service (its checks, passwords and data scopes) for the org tests."""

from __future__ import annotations

import itertools

from scrm.auth import issue_staff_token
from scrm.org import service as org_service
from scrm.org.models import DEFAULT_SCOPE, Center, DataScope, Department, Employee, EmployeeStatus, Role
from tests.factories.common import seq

_service_seq = itertools.count(1)


def make_department(db, name: str | None = None, center: Center | None = None) -> Department:
    if center is None:
        center = Center(name=f"中心{next(seq)}")
        db.add(center)
        db.flush()
    dept = Department(name=name or f"营销{next(seq)}部", center_id=center.id)
    db.add(dept)
    db.flush()
    return dept


def make_employee(db, name: str | None = None, role: Role = Role.sales, department: Department | None = None,
                  **extra) -> Employee:
    n = next(seq)
    employee = Employee(name=name or f"销售{n}", role=role, scope=DEFAULT_SCOPE[role],
                        department_id=department.id if department else None,
                        wecom_userid=extra.pop("wecom_userid", f"user{n}"), status=EmployeeStatus.active, **extra)
    db.add(employee)
    db.flush()
    return employee


def new_center(db, name: str | None = None) -> Center:
    return org_service.create_center(db, name or f"中心{next(_service_seq)}")


def new_department(db, center: Center | None = None, name: str | None = None,
                   parent: Department | None = None) -> Department:
    return org_service.create_department(db, name or f"营销{next(_service_seq)}部", center.id if center else None,
                                         parent.id if parent else None)


def new_employee(db, department: Department | None = None, role: Role = Role.sales,
                 scope: DataScope | None = None, password: str | None = None, **extra) -> Employee:
    n = next(_service_seq)
    extra.setdefault("name", f"员工{n}")
    if password is not None:
        extra.setdefault("username", f"user{n}")
    return org_service.create_employee(db, role=role, scope=scope, department_id=department.id if department else None,
                                       password=password, **extra)


def auth(employee: Employee) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_staff_token(employee.id)}"}
