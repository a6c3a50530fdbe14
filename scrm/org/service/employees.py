"""Employees: creating, changing and marking departed."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from scrm.core import events
from scrm.core.crypto import normalize_phone
from scrm.core.db import utcnow
from scrm.core.errors import Conflict, ValidationFailed
from scrm.org.events import EmployeeDeparted
from scrm.org.models import DEFAULT_SCOPE, DataScope, Employee, EmployeeStatus, Role
from scrm.org.service.common import (UNSET, _clean_mobile, _clean_name, _clean_username,
                                     _clean_wecom_userid, _coerce_enum, _employee_condition, find_by_username,
                                     find_by_wecom_userid, get_department, get_employee)
from scrm.org.service.passwords import hash_password


def _check_username_free(session: Session, username: str, exclude_id: int | None = None) -> None:
    existing = find_by_username(session, username)
    if existing is not None and existing.id != exclude_id:
        raise Conflict(f"the username {username!r} is taken", field="username")


def _check_wecom_userid_free(session: Session, userid: str, exclude_id: int | None = None) -> None:
    existing = find_by_wecom_userid(session, userid)
    if existing is not None and existing.id != exclude_id:
        raise Conflict(f"the WeCom user id {userid!r} belongs to another employee", field="wecom_userid")


def _check_mobile_free(session: Session, hashed: str, exclude_id: int | None = None) -> None:
    query = select(Employee.id).where(Employee.mobile_hash == hashed, Employee.status == EmployeeStatus.active)
    if exclude_id is not None:
        query = query.where(Employee.id != exclude_id)
    if session.scalar(query) is not None:
        raise Conflict("another active employee has this mobile number", field="mobile")


def _check_max_open_leads(value: int | None) -> None:
    if value is not None and not 0 <= value <= 100_000:
        raise ValidationFailed("the open-lead limit must be between 0 and 100000", field="max_open_leads")


def create_employee(session: Session, *, name: str, role: Role | str = Role.sales,
                    scope: DataScope | str | None = None, department_id: int | None = None,
                    username: str | None = None, password: str | None = None, mobile: str | None = None,
                    wecom_userid: str | None = None, region: str | None = None,
                    max_open_leads: int | None = None) -> Employee:
    """A new active employee; the scope defaults to the role's (``DEFAULT_SCOPE``)."""
    name = _clean_name(name)
    role = _coerce_enum(Role, role, "role")
    scope = DEFAULT_SCOPE[role] if scope is None else _coerce_enum(DataScope, scope, "scope")
    username = _clean_username(username)
    if password is not None and username is None:
        raise ValidationFailed("a password is only useful with a username", field="username")
    password_hash = hash_password(password) if password is not None else None
    if department_id is not None:
        get_department(session, department_id, field_name="department_id")
    mobile, hashed = _clean_mobile(mobile)
    wecom_userid = _clean_wecom_userid(wecom_userid)
    _check_max_open_leads(max_open_leads)
    if username is not None:
        _check_username_free(session, username)
    if wecom_userid is not None:
        _check_wecom_userid_free(session, wecom_userid)
    if hashed is not None:
        _check_mobile_free(session, hashed)
    employee = Employee(name=name, role=role, scope=scope, department_id=department_id, username=username,
                        password_hash=password_hash, mobile=mobile, mobile_hash=hashed,
                        wecom_userid=wecom_userid, region=(region or "").strip() or None,
                        max_open_leads=max_open_leads, status=EmployeeStatus.active)
    session.add(employee)
    session.flush()
    return employee


_WECOM_OWNED = {"name": "name", "department_id": "department", "mobile": "mobile number"}


def update_employee(session: Session, employee_id: int, *, name: str = UNSET, department_id: int | None = UNSET,
                    username: str | None = UNSET, mobile: str | None = UNSET, wecom_userid: str | None = UNSET,
                    region: str | None = UNSET, max_open_leads: int | None = UNSET,
                    role: Role | str = UNSET, scope: DataScope | str = UNSET) -> Employee:
    """Change an employee. A role change without a scope resets the scope to the new role's default.

    For an employee linked to WeCom the name, department and mobile come from WeCom and are refused here.
    """
    employee = get_employee(session, employee_id)
    given = {k: v for k, v in dict(name=name, department_id=department_id, mobile=mobile).items() if v is not UNSET}
    if employee.wecom_userid and (wecom_userid is UNSET or wecom_userid == employee.wecom_userid):
        for key in given:
            current = getattr(employee, key)
            if key == "mobile" and given[key] is not None and current is not None:
                if normalize_phone(given[key]) == current:
                    continue
            elif given[key] == current:
                continue
            raise Conflict(f"the {_WECOM_OWNED[key]} of an employee linked to WeCom is managed in WeCom",
                           field=key)
    if name is not UNSET:
        employee.name = _clean_name(name)
    if department_id is not UNSET:
        if department_id is not None:
            get_department(session, department_id, field_name="department_id")
        employee.department_id = department_id
    if username is not UNSET:
        username = _clean_username(username)
        if username is not None:
            _check_username_free(session, username, exclude_id=employee.id)
        employee.username = username
        if username is None:
            employee.password_hash = None
    if mobile is not UNSET:
        mobile, hashed = _clean_mobile(mobile)
        if hashed is not None:
            _check_mobile_free(session, hashed, exclude_id=employee.id)
        employee.mobile, employee.mobile_hash = mobile, hashed
    if wecom_userid is not UNSET:
        wecom_userid = _clean_wecom_userid(wecom_userid)
        if wecom_userid is not None:
            _check_wecom_userid_free(session, wecom_userid, exclude_id=employee.id)
        employee.wecom_userid = wecom_userid
    if region is not UNSET:
        employee.region = (region or "").strip() or None
    if max_open_leads is not UNSET:
        _check_max_open_leads(max_open_leads)
        employee.max_open_leads = max_open_leads
    if role is not UNSET:
        employee.role = _coerce_enum(Role, role, "role")
        if scope is UNSET:
            employee.scope = DEFAULT_SCOPE[employee.role]
    if scope is not UNSET:
        employee.scope = _coerce_enum(DataScope, scope, "scope")
    session.flush()
    return employee


def set_role(session: Session, employee_id: int, role: Role | str, scope: DataScope | str | None = None) -> Employee:
    """Change role and data scope (the role's default scope when none is given)."""
    return update_employee(session, employee_id, role=role, scope=UNSET if scope is None else scope)


def list_employees(session: Session, viewer: Employee | None = None, *, department_id: int | None = None,
                   status: EmployeeStatus | None = None, role: Role | None = None, q: str | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[Employee], int]:
    """A page of employees in the viewer's scope (all of them without a viewer) and the total count."""
    query = select(Employee)
    if viewer is not None:
        condition = _employee_condition(session, viewer)
        if condition is not None:
            query = query.where(condition)
    if department_id is not None:
        query = query.where(Employee.department_id == department_id)
    if status is not None:
        query = query.where(Employee.status == status)
    if role is not None:
        query = query.where(Employee.role == role)
    if q:
        pattern = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Employee.name.ilike(pattern, escape="\\"), Employee.username.ilike(pattern, escape="\\"),
                                Employee.wecom_userid.ilike(pattern, escape="\\")))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Employee.id).limit(limit).offset(offset))
    return list(rows), total or 0


def mark_departed(session: Session, employee_id: int, by: int | None = None, source: str = "manual") -> Employee:
    """Lock an employee out for good and announce ``employee.departed`` (once) so their customers get handed over."""
    employee = get_employee(session, employee_id)
    if employee.status == EmployeeStatus.departed:
        return employee
    employee.status = EmployeeStatus.departed
    employee.departed_at = utcnow()
    session.flush()
    events.emit(session, EmployeeDeparted(employee_id=employee.id, wecom_userid=employee.wecom_userid,
                                           department_id=employee.department_id, by=by, source=source,
                                           departed_at=employee.departed_at))
    return employee
