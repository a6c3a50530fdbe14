"""Shared by the organisation service's parts: field checks, lookups and the data scope."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from scrm.core.errors import NotFound, ValidationFailed
from scrm.org.models import Center, DataScope, Department, Employee, EmployeeStatus
from scrm.core.crypto import blind_index, blind_indexes, normalize_phone, valid_mobile

log = logging.getLogger(__name__)



class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Default of optional update arguments: "leave as it is" (``None`` means "clear")."""


# ---------------------------------------------------------------------------------------------
# Field checks

_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{2,63}")


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _clean_username(username: str | None) -> str | None:
    if username is None:
        return None
    value = normalize_username(username)
    if not _USERNAME.fullmatch(value):
        raise ValidationFailed(
            "a username has 3 to 64 characters: letters, digits and _ . @ -, starting with a letter or digit",
            field="username")
    return value


def _clean_name(name: str, field_name: str = "name", what: str = "name") -> str:
    value = (name or "").strip()
    if not value:
        raise ValidationFailed(f"the {what} must not be empty", field=field_name)
    if len(value) > 64:
        raise ValidationFailed(f"the {what} can have at most 64 characters", field=field_name)
    return value


def _clean_mobile(mobile: str | None) -> tuple[str | None, str | None]:
    """(normalized mobile, keyed hash), or ValidationFailed."""
    if mobile is None or not mobile.strip():
        return None, None
    if not valid_mobile(mobile):
        raise ValidationFailed("the mobile number must be an 11-digit mainland number such as 13800138000",
                               field="mobile")
    normalized = normalize_phone(mobile)
    return normalized, mobile_hash(normalized)


def mobile_hash(mobile: str) -> str:
    return blind_index("phone", normalize_phone(mobile))


def _clean_wecom_userid(userid: str | None) -> str | None:
    if userid is None:
        return None
    value = userid.strip()
    if not value or len(value) > 64:
        raise ValidationFailed("a WeCom user id has 1 to 64 characters", field="wecom_userid")
    return value


def _coerce_enum(enum_cls, value, field_name: str):
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise ValidationFailed(f"unknown {field_name} {value!r}; choose one of: {allowed}", field=field_name) from None


# ---------------------------------------------------------------------------------------------
# Lookups

def get_employee(session: Session, employee_id: int) -> Employee:
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise NotFound(f"no employee with id {employee_id}")
    return employee


def get_department(session: Session, department_id: int, field_name: str | None = None) -> Department:
    department = session.get(Department, department_id)
    if department is None or department.deleted:
        raise NotFound(f"no department with id {department_id}", field=field_name)
    return department


def get_center(session: Session, center_id: int, field_name: str | None = None) -> Center:
    center = session.get(Center, center_id)
    if center is None:
        raise NotFound(f"no center with id {center_id}", field=field_name)
    return center


def find_by_username(session: Session, username: str) -> Employee | None:
    return session.scalar(select(Employee).where(Employee.username == normalize_username(username)))


def find_by_wecom_userid(session: Session, userid: str) -> Employee | None:
    return session.scalar(select(Employee).where(Employee.wecom_userid == userid))


def find_by_mobile(session: Session, mobile: str) -> Employee | None:
    """The employee with this mobile number (looked up by keyed hash); an active one before a departed one."""
    if not mobile or not mobile.strip():
        return None
    return session.scalar(
        select(Employee).where(Employee.mobile_hash.in_(blind_indexes("phone", normalize_phone(mobile))))
        .order_by((Employee.status == EmployeeStatus.active).desc(), Employee.id.desc()).limit(1))


def employee_center_id(session: Session, employee: Employee) -> int | None:
    if employee.department_id is None:
        return None
    return session.scalar(select(Department.center_id).where(Department.id == employee.department_id))


# ---------------------------------------------------------------------------------------------
# Data scope

_SCOPE_WIDTH = {DataScope.own: 0, DataScope.department: 1, DataScope.center: 2, DataScope.all: 3}


def _subtree(department_id: int) -> Select:
    """Ids of a department and every department below it (UNION, so a bad cycle still ends)."""
    tree = select(Department.id).where(Department.id == department_id).cte(recursive=True)
    tree = tree.union(select(Department.id).where(Department.parent_id == tree.c.id))
    return select(tree.c.id)


def _visible_departments(session: Session, viewer: Employee) -> Select | None:
    """A select of the department ids in the viewer's scope; None for every department."""
    scope = viewer.scope
    if scope == DataScope.all:
        return None
    if scope == DataScope.own or viewer.department_id is None:
        return select(Department.id).where(false())
    if scope == DataScope.center:
        center_id = employee_center_id(session, viewer)
        if center_id is not None:
            return select(Department.id).where(Department.center_id == center_id)
        # an employee outside any center (the company's root department) falls back to their department
    return _subtree(viewer.department_id)


def visible_department_ids(session: Session, viewer: Employee) -> set[int] | None:
    """Departments in the viewer's data scope; None means all."""
    query = _visible_departments(session, viewer)
    return None if query is None else set(session.scalars(query))


def _employee_condition(session: Session, viewer: Employee) -> ColumnElement[bool] | None:
    departments = _visible_departments(session, viewer)
    if departments is None:
        return None
    if viewer.scope == DataScope.own or viewer.department_id is None:
        return Employee.id == viewer.id
    return or_(Employee.id == viewer.id, Employee.department_id.in_(departments))


def visible_employee_ids(session: Session, viewer: Employee) -> set[int] | None:
    """Ids of the employees whose records the viewer may see; None means everyone."""
    condition = _employee_condition(session, viewer)
    if condition is None:
        return None
    return set(session.scalars(select(Employee.id).where(condition)))


def owner_filter(session: Session, viewer: Employee, column: Any, *, include_unowned: bool = False
                 ) -> ColumnElement[bool]:
    """A WHERE condition limiting ``column`` (an employee id, e.g. ``Customer.owner_id``) to the viewer's scope.

    Scope ``all`` lets every row through, unowned ones included; for the narrower scopes
    ``include_unowned`` also lets rows whose owner is NULL through (a pool of unassigned leads).
    """
    condition = _employee_condition(session, viewer)
    if condition is None:
        return true()
    if viewer.scope == DataScope.own or viewer.department_id is None:
        allowed = column == viewer.id
    else:
        allowed = column.in_(select(Employee.id).where(condition))
    return or_(allowed, column.is_(None)) if include_unowned else allowed


def can_see_employee(session: Session, viewer: Employee, employee_id: int) -> bool:
    condition = _employee_condition(session, viewer)
    if condition is None:
        return True
    return session.scalar(select(Employee.id).where(Employee.id == employee_id, condition)) is not None


def get_visible_employee(session: Session, viewer: Employee, employee_id: int) -> Employee:
    """The employee, or NotFound when it does not exist or is outside the viewer's scope."""
    if not can_see_employee(session, viewer, employee_id):
        raise NotFound(f"no employee with id {employee_id}")
    return get_employee(session, employee_id)
