"""Employees as pages name and pick them: names by id, the pickers within a viewer's scope, teams."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from scrm.org.models import Department, Employee, EmployeeStatus
from scrm.org.service.common import owner_filter

PICKER_LIMIT = 500


def find_employee(session: Session, employee_id: int) -> Employee | None:
    return session.get(Employee, employee_id)


def employee_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Employee id -> name for the ids given (unknown ids are left out)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(Employee.id, Employee.name).where(Employee.id.in_(ids))).all())


def owner_choices(session: Session, viewer: Employee) -> list[tuple[int, str]]:
    """Employees whose records the viewer may see, departed ones marked, active ones first (owner filters)."""
    condition = owner_filter(session, viewer, Employee.id)
    return [(i, n + ("（已离职）" if s != EmployeeStatus.active else "")) for i, n, s in session.execute(
        select(Employee.id, Employee.name, Employee.status).where(condition).order_by(Employee.status, Employee.name)
        .limit(PICKER_LIMIT))]


def active_staff_choices(session: Session, viewer: Employee) -> list[tuple[int, str]]:
    """Active employees in the viewer's scope, by name (pickers of who takes something over)."""
    condition = owner_filter(session, viewer, Employee.id)
    return [(i, n) for i, n in session.execute(select(Employee.id, Employee.name).where(
        condition, Employee.status == EmployeeStatus.active).order_by(Employee.name).limit(PICKER_LIMIT))]


def team_member_ids(center_id: int | None = None, department_id: int | None = None) -> Select | None:
    """The ids of the employees in a department (and its direct sub-departments) or a center, as a subquery;
    None when neither is given."""
    if department_id:
        departments = select(Department.id).where(or_(Department.id == department_id,
                                                      Department.parent_id == department_id))
    elif center_id:
        departments = select(Department.id).where(Department.center_id == center_id)
    else:
        return None
    return select(Employee.id).where(Employee.department_id.in_(departments))


def employees_with_teams(session: Session, ids: Iterable[int]) -> list[tuple[int, str, int | None, str | None]]:
    """(employee id, name, department id, department name) for the ids given."""
    ids = list(ids)
    if not ids:
        return []
    return [tuple(r) for r in session.execute(select(Employee.id, Employee.name, Department.id, Department.name)
                                              .outerjoin(Department, Department.id == Employee.department_id)
                                              .where(Employee.id.in_(ids))).all()]
