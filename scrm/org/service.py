"""Organisation, staff accounts, sign-in, data scopes and the WeCom address-book mirror.

Data scope: an employee sees the records owned by the employees returned by
``visible_employee_ids`` (or, inside a query, matched by ``owner_filter``). Departed employees stay
visible: their customers must still be found and handed over.

WeCom mapping (``sync_from_wecom``, ``apply_contact_change``): every WeCom department is a
``Department``; the root (parentid 0, normally id 1) is the company and has no center; each direct
child of the root is also a ``Center``; every department below it carries that center. Employees
get their main department. WeCom owns the name, department and mobile of a linked employee; we own
role, scope, username and password.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Select, delete, false, func, or_, select, true
from sqlalchemy.orm import Session

from scrm import events, ratelimit
from scrm.config import get_settings
from scrm.db import insert_ignore, utcnow
from scrm.errors import Conflict, ExternalServiceError, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from scrm.org.models import (DEFAULT_SCOPE, Center, DataScope, Department, Employee, EmployeeStatus, RevokedSession,
                              Role)
from scrm.privacy.crypto import blind_index, blind_indexes, normalize_phone, valid_mobile

log = logging.getLogger(__name__)

EMPLOYEE_DEPARTED = "employee.departed"


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""Default of optional update arguments: "leave as it is" (``None`` means "clear")."""


# ---------------------------------------------------------------------------------------------
# Passwords

# argon2id with the library's defaults (RFC 9106 low-memory profile); raising them later makes
# ``verify_password`` rehash each password at its owner's next sign-in.
_hasher = PasswordHasher()
MIN_PASSWORD_LEN = 8
MAX_PASSWORD_LEN = 128


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LEN:
        raise ValidationFailed(f"the password needs at least {MIN_PASSWORD_LEN} characters", field="password")
    if len(password) > MAX_PASSWORD_LEN:
        raise ValidationFailed(f"the password can have at most {MAX_PASSWORD_LEN} characters", field="password")
    if len(set(password)) < 3:
        raise ValidationFailed("the password is too simple: use at least 3 different characters",
                               field="password")


def hash_password(password: str) -> str:
    """argon2id hash of a password that meets the policy."""
    check_password_policy(password)
    return _hasher.hash(password)


def verify_password(employee: Employee, password: str) -> bool:
    """Check a password; upgrades the stored hash in place when the hashing parameters changed."""
    if not employee.password_hash:
        return False
    try:
        _hasher.verify(employee.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(employee.password_hash):
        employee.password_hash = _hasher.hash(password)
    return True


@lru_cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password")


# Failed sign-ins allowed per username, and per client address, within the window.
LOGIN_FAILURES_PER_USER = 5
LOGIN_FAILURES_PER_CLIENT = 30
LOGIN_WINDOW_S = 15 * 60


def authenticate(session: Session, username: str, password: str, *, client: str | None = None) -> Employee:
    """The active employee with this username and password, or Unauthorized (429 after repeated failures)."""
    username = normalize_username(username)
    keys = [(f"login:user:{username}", LOGIN_FAILURES_PER_USER, "failed sign-ins for this username")]
    if client:
        keys.append((f"login:client:{client}", LOGIN_FAILURES_PER_CLIENT, "failed sign-ins from this address"))
    taken = []
    try:
        for key, limit, what in keys:
            ratelimit.take(key, limit, LOGIN_WINDOW_S, what)
            taken.append(key)
    except TooManyRequests:
        for key in taken:
            ratelimit.give_back(key, LOGIN_WINDOW_S)
        raise
    # every attempt holds its slot while the password is checked; a right one gives them back
    employee = _check_credentials(session, username, password)
    ratelimit.clear(keys[0][0])
    for key in taken[1:]:
        ratelimit.give_back(key, LOGIN_WINDOW_S)
    return employee


def _check_credentials(session: Session, username: str, password: str) -> Employee:
    employee = session.scalar(select(Employee).where(Employee.username == username))
    if employee is None or not employee.password_hash:
        # same work as a real check, so the answer time does not tell which usernames exist
        try:
            _hasher.verify(_dummy_hash(), password)
        except VerificationError:
            pass
        raise Unauthorized("wrong username or password")
    if not verify_password(employee, password):
        raise Unauthorized("wrong username or password")
    if employee.status != EmployeeStatus.active:
        raise Unauthorized("this account is no longer active")
    session.flush()
    return employee


def end_sessions(employee: Employee) -> None:
    """Every token issued to this employee until now stops working (password changed, signed out everywhere)."""
    now = utcnow()
    # milliseconds, as tokens carry their issue time: a token issued after this call stays valid
    employee.sessions_valid_after = now.replace(microsecond=now.microsecond // 1000 * 1000)


def revoke_session(session: Session, employee_id: int, digest: str, expires_at: datetime) -> None:
    """End one session (sign-out) by its token's digest; signing out twice changes nothing."""
    insert_ignore(session, RevokedSession.__table__,
                  {"digest": digest, "employee_id": employee_id, "expires_at": expires_at, "revoked_at": utcnow()},
                  ["digest"])


def session_revoked(session: Session, digest: str) -> bool:
    return session.get(RevokedSession, digest) is not None


def purge_revoked_sessions(session: Session, now: datetime | None = None) -> int:
    """Forget signed-out tokens that have expired anyway (their signature check refuses them now); how many."""
    result = session.execute(delete(RevokedSession).where(RevokedSession.expires_at < (now or utcnow())))
    return result.rowcount or 0


def set_password(session: Session, employee_id: int, password: str) -> Employee:
    """Set (or reset) an employee's password."""
    employee = get_employee(session, employee_id)
    employee.password_hash = hash_password(password)
    end_sessions(employee)
    session.flush()
    return employee


def change_own_password(session: Session, employee: Employee, current_password: str, new_password: str) -> None:
    """An employee changing their password, proving they know the current one."""
    if not verify_password(employee, current_password):
        raise ValidationFailed("the current password is wrong", field="current_password")
    if current_password == new_password:
        raise ValidationFailed("the new password must differ from the current one", field="new_password")
    try:
        employee.password_hash = hash_password(new_password)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="new_password") from exc
    end_sessions(employee)
    session.flush()


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


# ---------------------------------------------------------------------------------------------
# Who may manage whom (called by the API with the signed-in employee; the CLI is trusted)

# The roles whose rights a role's holder also has: they may manage such accounts and hand such roles
# out. Finance's rights (confirming money, payouts, direct debits) are nobody else's, so finance
# accounts and the finance role are left to admins.
_ROLE_COVERS = {
    Role.sales: {Role.sales},
    Role.processor: {Role.processor},
    Role.supervisor: {Role.supervisor, Role.sales, Role.processor},
    Role.finance: {Role.finance},
    Role.manager: {Role.manager, Role.supervisor, Role.sales, Role.processor},
    Role.admin: set(Role),
}


def _ensure_can_grant(actor: Employee, role: Role, scope: DataScope) -> None:
    if role == Role.admin:
        raise Forbidden("only an admin can make someone an admin", field="role")
    if _SCOPE_WIDTH[scope] > _SCOPE_WIDTH[actor.scope]:
        raise Forbidden(f"you cannot grant a data scope wider than your own ({actor.scope.value})", field="scope")
    if role not in _ROLE_COVERS[actor.role]:
        raise Forbidden(f"you cannot grant the role {role.value}: its rights are wider than a {actor.role.value}'s",
                        field="role")


def ensure_can_manage_department(session: Session, actor: Employee, department_id: int | None,
                                 field_name: str = "department_id") -> None:
    visible = visible_department_ids(session, actor)
    if visible is None:
        return
    if department_id is None:
        raise Forbidden("only staff with the data scope 'all' can place someone outside every department",
                        field=field_name)
    if department_id not in visible:
        raise Forbidden("that department is outside your data scope", field=field_name)


def ensure_can_manage_employee(session: Session, actor: Employee, employee: Employee | None, *,
                               role: Role | None = None, scope: DataScope | None = None,
                               department_id: int | None = UNSET, action: str = "update") -> None:
    """Refuse what ``actor`` may not do to ``employee``'s account (None: a new one), on every path (API, console).

    The employee must be inside the actor's data scope (NotFound, as for reading them), their role's
    rights and their data scope no wider than the actor's, and a role, scope or department given one
    the actor holds. ``action`` is "update", "role", "password" or "depart". Admins may do everything
    but mark themselves departed.
    """
    if employee is not None and employee.id == actor.id and action == "depart":
        raise Forbidden("you cannot mark yourself departed")
    if actor.role == Role.admin:
        return
    if employee is not None:
        if not can_see_employee(session, actor, employee.id):
            raise NotFound(f"no employee with id {employee.id}")
        if employee.role == Role.admin:
            raise Forbidden("only an admin can change an admin's account")
        if employee.id == actor.id and action == "role":
            raise Forbidden("you cannot change your own role or scope")
        if employee.id == actor.id and action == "password":
            raise Forbidden("change your own password with your current one (POST /api/auth/password)")
        if employee.role not in _ROLE_COVERS[actor.role]:
            raise Forbidden(f"this account's role ({employee.role.value}) has rights wider than a "
                            f"{actor.role.value}'s; only an admin can change it")
        if _SCOPE_WIDTH[employee.scope] > _SCOPE_WIDTH[actor.scope]:
            raise Forbidden(f"this account's data scope ({employee.scope.value}) is wider than yours "
                            f"({actor.scope.value}); only someone with that scope or an admin can change it")
    if role is not None:
        _ensure_can_grant(actor, role, scope or DEFAULT_SCOPE[role])
    elif scope is not None:
        _ensure_can_grant(actor, employee.role if employee is not None else Role.sales, scope)
    if department_id is not UNSET:
        ensure_can_manage_department(session, actor, department_id)


def ensure_can_manage_center(actor: Employee) -> None:
    if actor.scope != DataScope.all:
        raise Forbidden("changing centers needs the data scope 'all'")


# ---------------------------------------------------------------------------------------------
# Centers and departments

def _center_name_taken(session: Session, name: str, exclude_id: int | None = None) -> bool:
    query = select(Center.id).where(Center.name == name)
    if exclude_id is not None:
        query = query.where(Center.id != exclude_id)
    return session.scalar(query) is not None


def create_center(session: Session, name: str) -> Center:
    """A new center (中心)."""
    name = _clean_name(name, what="center name")
    if _center_name_taken(session, name):
        raise Conflict(f"a center named {name!r} already exists", field="name")
    center = Center(name=name)
    session.add(center)
    session.flush()
    return center


def update_center(session: Session, center_id: int, *, name: str = UNSET) -> Center:
    center = get_center(session, center_id)
    if name is not UNSET:
        if center.wecom_id is not None:
            raise Conflict("this center mirrors a WeCom department; rename it in WeCom", field="name")
        name = _clean_name(name, what="center name")
        if _center_name_taken(session, name, exclude_id=center.id):
            raise Conflict(f"a center named {name!r} already exists", field="name")
        center.name = name
    session.flush()
    return center


def list_centers(session: Session, viewer: Employee | None = None) -> list[Center]:
    query = select(Center).order_by(Center.name)
    if viewer is not None:
        departments = _visible_departments(session, viewer)
        if departments is not None:
            query = query.where(Center.id.in_(select(Department.center_id).where(Department.id.in_(departments))))
    return list(session.scalars(query))


def _sibling_name_taken(session: Session, name: str, center_id: int | None, parent_id: int | None,
                        exclude_id: int | None = None) -> bool:
    query = select(Department.id).where(
        Department.name == name, Department.deleted.is_(False),
        Department.center_id.is_(None) if center_id is None else Department.center_id == center_id,
        Department.parent_id.is_(None) if parent_id is None else Department.parent_id == parent_id)
    if exclude_id is not None:
        query = query.where(Department.id != exclude_id)
    return session.scalar(query) is not None


def create_department(session: Session, name: str, center_id: int | None = None,
                      parent_id: int | None = None) -> Department:
    """A new department (营销部门) in a center, optionally under another department of the same center."""
    name = _clean_name(name, what="department name")
    if parent_id is not None:
        parent = get_department(session, parent_id, field_name="parent_id")
        if center_id is None:
            center_id = parent.center_id
        elif center_id != parent.center_id:
            raise ValidationFailed("a department must be in the same center as its parent", field="center_id")
    if center_id is not None:
        get_center(session, center_id, field_name="center_id")
    if _sibling_name_taken(session, name, center_id, parent_id):
        raise Conflict(f"there is already a department named {name!r} here", field="name")
    department = Department(name=name, center_id=center_id, parent_id=parent_id)
    session.add(department)
    session.flush()
    return department


def update_department(session: Session, department_id: int, *, name: str = UNSET, center_id: int | None = UNSET,
                      parent_id: int | None = UNSET) -> Department:
    """Rename or move a department; moving it to another center moves everything below it too."""
    department = get_department(session, department_id)
    if department.wecom_id is not None:
        raise Conflict("this department mirrors WeCom; change it in WeCom")
    new_name = department.name if name is UNSET else _clean_name(name, what="department name")
    new_parent = department.parent_id if parent_id is UNSET else parent_id
    new_center = department.center_id if center_id is UNSET else center_id
    if new_parent is not None:
        parent = get_department(session, new_parent, field_name="parent_id")
        if new_parent in set(session.scalars(_subtree(department.id))):
            raise ValidationFailed("a department cannot be placed under itself or its own sub-department",
                                   field="parent_id")
        if center_id is UNSET:
            new_center = parent.center_id
        elif new_center != parent.center_id:
            raise ValidationFailed("a department must be in the same center as its parent", field="center_id")
    if new_center is not None:
        get_center(session, new_center, field_name="center_id")
    if _sibling_name_taken(session, new_name, new_center, new_parent, exclude_id=department.id):
        raise Conflict(f"there is already a department named {new_name!r} here", field="name")
    department.name, department.parent_id = new_name, new_parent
    if new_center != department.center_id:
        for sub in session.scalars(select(Department).where(Department.id.in_(_subtree(department.id)))):
            sub.center_id = new_center
    session.flush()
    return department


def list_departments(session: Session, viewer: Employee | None = None, *, center_id: int | None = None,
                     include_deleted: bool = False) -> list[Department]:
    query = select(Department).order_by(Department.center_id, Department.name, Department.id)
    if not include_deleted:
        query = query.where(Department.deleted.is_(False))
    if center_id is not None:
        query = query.where(Department.center_id == center_id)
    if viewer is not None:
        departments = _visible_departments(session, viewer)
        if departments is not None:
            query = query.where(Department.id.in_(departments))
    return list(session.scalars(query))


def find_department(session: Session, ref: str) -> Department:
    """A department by id or by exact name (the CLI's ``--department``)."""
    ref = ref.strip()
    if ref.isdigit():
        return get_department(session, int(ref), field_name="department_id")
    matches = list(session.scalars(select(Department).where(Department.name == ref, Department.deleted.is_(False))))
    if not matches:
        raise NotFound(f"no department named {ref!r}", field="department_id")
    if len(matches) > 1:
        ids = ", ".join(str(d.id) for d in matches)
        raise ValidationFailed(f"several departments are named {ref!r} (ids {ids}); give the id", field="department_id")
    return matches[0]


# ---------------------------------------------------------------------------------------------
# Employees

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
    events.emit(session, EMPLOYEE_DEPARTED, {
        "employee_id": employee.id,
        "wecom_userid": employee.wecom_userid,
        "department_id": employee.department_id,
        "by": by,
        "source": source,
        "departed_at": employee.departed_at.isoformat(),
    })
    return employee


# ---------------------------------------------------------------------------------------------
# WeCom address book

WECOM_LEFT = 5  # member status "退出企业"
WECOM_ROOT, WECOM_ROOT_PARENT = 1, 0
WECOM_NO_SUCH_USER = 60111


@dataclass
class SyncReport:
    departments_created: int = 0
    departments_deleted: int = 0
    centers_created: int = 0
    employees_created: int = 0
    employees_updated: int = 0
    employees_departed: int = 0
    skipped: list[str] = field(default_factory=list)


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _int_list(value: Any) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        items: Iterable[Any] = value
    else:
        items = str(value).split(",")
    return [i for i in (_int(v) for v in items) if i is not None]


def _placeholder_name(wecom_id: int) -> str:
    return f"WeCom department {wecom_id}"


def _upsert_wecom_department(session: Session, wecom_id: int, name: str | None = None,
                             parent_wecom_id: int | None = None) -> tuple[Department, bool]:
    department = session.scalar(select(Department).where(Department.wecom_id == wecom_id))
    created = department is None
    if created:
        # a department heard of before its own event is a placeholder until create_party or a sync;
        # WeCom's root is always id 1
        department = Department(wecom_id=wecom_id, name=_placeholder_name(wecom_id), deleted=False,
                                wecom_parent_id=WECOM_ROOT_PARENT if wecom_id == WECOM_ROOT else None)
        session.add(department)
    if name:
        department.name = name.strip()[:64]
    if parent_wecom_id is not None:
        department.wecom_parent_id = parent_wecom_id
    department.deleted = False
    session.flush()
    return department, created


def _ensure_wecom_department(session: Session, wecom_id: int) -> Department:
    department = session.scalar(select(Department).where(Department.wecom_id == wecom_id))
    if department is None:
        department, _ = _upsert_wecom_department(session, wecom_id)
    return department


def _rebuild_wecom_tree(session: Session, report: SyncReport | None = None) -> None:
    """Recompute parent_id and center_id of the WeCom departments, creating the centers (see module doc)."""
    departments = list(session.scalars(select(Department).where(Department.wecom_id.is_not(None))))
    by_wecom = {d.wecom_id: d for d in departments}
    for d in departments:
        parent = by_wecom.get(d.wecom_parent_id) if d.wecom_parent_id else None
        d.parent_id = parent.id if parent is not None else None

    def is_root(d: Department) -> bool:
        # parentid 0 is WeCom's root; a parent we cannot see makes the department the top of our view.
        # A department whose parent we have not heard of yet (None) is not placed at all.
        return d.wecom_parent_id is not None and (d.wecom_parent_id == 0 or d.wecom_parent_id not in by_wecom)

    def top_of(d: Department) -> Department | None:
        """The direct child of a root above (or at) d, None for a root or an unplaced department."""
        seen = set()
        while d.wecom_id not in seen:
            seen.add(d.wecom_id)
            if is_root(d):
                return None
            parent = by_wecom.get(d.wecom_parent_id)
            if parent is None:
                return None
            if is_root(parent):
                return d
            d = parent
        return None

    centers: dict[int, Center] = {}
    for d in departments:
        top = top_of(d)
        if top is None:
            d.center_id = None
            continue
        if top.wecom_id not in centers:
            centers[top.wecom_id] = _center_for(session, top, report)
        d.center_id = centers[top.wecom_id].id
    session.flush()


def _center_for(session: Session, top: Department, report: SyncReport | None) -> Center:
    center = session.scalar(select(Center).where(Center.wecom_id == top.wecom_id))
    if center is None:
        # a center created by hand before WeCom was connected is adopted by its name
        center = session.scalar(select(Center).where(Center.name == top.name, Center.wecom_id.is_(None)))
    name = top.name
    if _center_name_taken(session, name, exclude_id=center.id if center is not None else None):
        name = f"{top.name[:50]} ({top.wecom_id})"
    if center is None:
        center = Center(name=name, wecom_id=top.wecom_id)
        session.add(center)
        if report is not None:
            report.centers_created += 1
    else:
        center.wecom_id, center.name = top.wecom_id, name
    session.flush()
    return center


def _wecom_user_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """WeCom's user, from the API (lower-case keys) or a callback (CamelCase), as the keys present in it."""
    def pick(*keys: str) -> Any:
        for key in keys:
            if key in raw and raw[key] is not None and raw[key] != "":
                return raw[key]
        return None

    out: dict[str, Any] = {"userid": pick("userid", "UserID", "UserId")}
    for key, names in {"new_userid": ("new_userid", "NewUserID"), "name": ("name", "Name"),
                       "mobile": ("mobile", "Mobile")}.items():
        value = pick(*names)
        if value is not None:
            out[key] = str(value).strip()
    departments = pick("department", "Department")
    if departments is not None:
        out["departments"] = _int_list(departments)
    main = _int(pick("main_department", "MainDepartment"))
    if main is not None:
        out["main_department"] = main
    status = _int(pick("status", "Status"))
    if status is not None:
        out["status"] = status
    return out


def _apply_wecom_user(session: Session, fields: dict[str, Any], *, rejoin: bool) -> tuple[Employee, bool]:
    """Create or update the employee for a WeCom user; (employee, created).

    ``rejoin``: a create_user for a departed employee's user id makes them active again (WeCom only
    reuses a user id after deleting the member); a sync or an update never undoes a departure.
    """
    userid = fields["userid"]
    employee = find_by_wecom_userid(session, userid)
    created = False
    mobile, hashed = None, None
    if fields.get("mobile"):
        try:
            mobile, hashed = _clean_mobile(fields["mobile"])
        except ValidationFailed:
            log.warning("WeCom user %s has a mobile number we cannot use; kept without it", userid)
    if employee is None and hashed is not None:
        # someone entered by hand before they joined WeCom: link rather than duplicate
        employee = session.scalar(select(Employee).where(
            Employee.mobile_hash == hashed, Employee.wecom_userid.is_(None),
            Employee.status == EmployeeStatus.active).limit(1))
        if employee is not None:
            employee.wecom_userid = userid
    if employee is None:
        employee = Employee(wecom_userid=userid, name=fields.get("name") or userid, role=Role.sales,
                            scope=DEFAULT_SCOPE[Role.sales], status=EmployeeStatus.active)
        session.add(employee)
        created = True
    if fields.get("name"):
        employee.name = fields["name"][:64]
    main = fields.get("main_department") or next(iter(fields.get("departments") or []), None)
    if main is not None:
        employee.department_id = _ensure_wecom_department(session, main).id
    if hashed is not None:
        employee.mobile, employee.mobile_hash = mobile, hashed
    if "status" in fields:
        employee.wecom_status = fields["status"]
    if rejoin and employee.status == EmployeeStatus.departed and fields.get("status") != WECOM_LEFT:
        employee.status, employee.departed_at = EmployeeStatus.active, None
    session.flush()
    if fields.get("status") == WECOM_LEFT:
        mark_departed(session, employee.id, source="wecom")
    return employee, created


def _rename_wecom_user(session: Session, old: str, new: str) -> None:
    if old == new:
        return
    holder = find_by_wecom_userid(session, new)
    current = find_by_wecom_userid(session, old)
    if current is None:
        return  # already renamed (the event applied before), or never known: the update then creates it
    if holder is not None:
        if holder.status == EmployeeStatus.active:
            raise Conflict(f"WeCom renamed {old!r} to {new!r}, but an active employee already has {new!r}")
        holder.wecom_userid = None  # WeCom reused a departed member's id
        session.flush()
    current.wecom_userid = new
    session.flush()


def fetch_wecom_org(client: Any) -> tuple[list[dict], list[dict]]:
    """WeCom's departments and members visible to our app (no database work: fetch, then apply)."""
    departments = client.department.list()
    ids = {d["id"] for d in departments}
    roots = [d["id"] for d in departments if d.get("parentid") in (0, None) or d.get("parentid") not in ids]
    users: dict[str, dict] = {}
    for root in roots:
        for user in client.user.list(root, fetch_child=True):
            users[user["userid"]] = user
    return departments, list(users.values())


def apply_wecom_org(session: Session, departments: list[dict], users: list[dict]) -> SyncReport:
    """Make our org mirror WeCom's: upsert departments and members, mark missing ones deleted/departed."""
    report = SyncReport()
    seen_departments = set()
    for d in departments:
        wecom_id = _int(d.get("id"))
        if wecom_id is None:
            report.skipped.append(f"department without id: {d!r}")
            continue
        seen_departments.add(wecom_id)
        _, created = _upsert_wecom_department(session, wecom_id, d.get("name"), _int(d.get("parentid")) or 0)
        report.departments_created += created
    if seen_departments:
        for gone in session.scalars(select(Department).where(
                Department.wecom_id.is_not(None), Department.wecom_id.not_in(seen_departments),
                Department.deleted.is_(False))):
            gone.deleted = True
            report.departments_deleted += 1
    _rebuild_wecom_tree(session, report)

    seen_users = set()
    for raw in users:
        fields = _wecom_user_fields(raw)
        if not fields.get("userid"):
            report.skipped.append("member without userid")
            continue
        seen_users.add(fields["userid"])
        _, created = _apply_wecom_user(session, fields, rejoin=False)
        if created:
            report.employees_created += 1
        else:
            report.employees_updated += 1
    # An empty member list means a misconfigured app, not a company that fired everyone.
    if seen_users:
        for missing in session.scalars(select(Employee).where(
                Employee.wecom_userid.is_not(None), Employee.wecom_userid.not_in(seen_users),
                Employee.status == EmployeeStatus.active)):
            mark_departed(session, missing.id, source="wecom-sync")
            report.employees_departed += 1
    session.flush()
    return report


def sync_from_wecom(session: Session, client: Any) -> SyncReport:
    """Pull WeCom's department/list and user/list (fetch_child) through the wechatpy client and mirror them."""
    departments, users = fetch_wecom_org(client)
    return apply_wecom_org(session, departments, users)


CONTACT_CHANGE_TYPES = ("create_user", "update_user", "delete_user", "create_party", "update_party", "delete_party")


def apply_contact_change(session: Session, change_type: str, fields: dict[str, Any], client: Any = None
                         ) -> Employee | Department | None:
    """Apply one change_contact callback (fields: the decrypted XML's elements); applying it twice changes nothing.

    Since 2022-08 WeCom sends only some fields (UserID/Department, Id/ParentId) to newly configured
    callback URLs; with a ``client`` the missing name is fetched, otherwise a placeholder stays until the
    next sync. Returns the employee or department touched, or None.
    """
    if change_type in ("create_user", "update_user"):
        user = _wecom_user_fields(fields)
        if not user.get("userid"):
            raise ValidationFailed(f"{change_type} without UserID", field="UserID")
        if user.get("new_userid"):
            _rename_wecom_user(session, user["userid"], user["new_userid"])
            user["userid"] = user["new_userid"]
        if "name" not in user and client is not None and find_by_wecom_userid(session, user["userid"]) is None:
            user = {**_fetch_user(client, user["userid"]), **user}
        employee, _ = _apply_wecom_user(session, user, rejoin=change_type == "create_user")
        if user.get("main_department") or user.get("departments"):
            _rebuild_wecom_tree(session)
        return employee
    if change_type == "delete_user":
        userid = _wecom_user_fields(fields).get("userid")
        employee = find_by_wecom_userid(session, userid) if userid else None
        if employee is not None:
            mark_departed(session, employee.id, source="wecom")
        return employee
    if change_type in ("create_party", "update_party"):
        wecom_id = _int(fields.get("Id"))
        if wecom_id is None:
            raise ValidationFailed(f"{change_type} without Id", field="Id")
        name = fields.get("Name")
        parent = _int(fields.get("ParentId"))
        existing = session.scalar(select(Department).where(Department.wecom_id == wecom_id))
        if not name and client is not None and (existing is None or existing.name == _placeholder_name(wecom_id)):
            fetched = _fetch_department(client, wecom_id)
            name = fetched.get("name")
            parent = parent if parent is not None else _int(fetched.get("parentid"))
        if parent:
            _ensure_wecom_department(session, parent)
        department, _ = _upsert_wecom_department(session, wecom_id, name, parent)
        _rebuild_wecom_tree(session)
        return department
    if change_type == "delete_party":
        wecom_id = _int(fields.get("Id"))
        department = session.scalar(select(Department).where(Department.wecom_id == wecom_id)) if wecom_id else None
        if department is not None and not department.deleted:
            department.deleted = True
            session.flush()
        return department
    log.info("ignoring change_contact %s", change_type)
    return None


def _fetch_user(client: Any, userid: str) -> dict[str, Any]:
    try:
        return _wecom_user_fields(client.user.get(userid))
    except ExternalServiceError as exc:  # cosmetic: the placeholder name is corrected by the next sync
        log.warning("could not fetch WeCom user %s: %s", userid, exc)
        return {}


def _fetch_department(client: Any, wecom_id: int) -> dict[str, Any]:
    try:
        # department/list?id= rather than department/get, which older apps (and the sandbox) lack
        return next((d for d in client.department.list(wecom_id) if d.get("id") == wecom_id), {})
    except ExternalServiceError as exc:
        log.warning("could not fetch WeCom department %s: %s", wecom_id, exc)
        return {}


# WeCom answers these for an OAuth code that is wrong, used or expired: the person should just sign in again.
_BAD_CODE_ERRCODES = {40029, 40163, 42003, 50001}


def wecom_authorize_url(client: Any, redirect_uri: str, state: str | None) -> str:
    """WeCom's OAuth (snsapi_base) URL for the app's agent, sending the browser back to ``redirect_uri``."""
    url = client.oauth.authorize_url(redirect_uri, state)
    agent_id = getattr(client, "agent_id", None) or get_settings().wecom_agent_id
    if agent_id:
        url = url.replace("#wechat_redirect", f"&agentid={agent_id}#wechat_redirect")
    return url


def employee_for_oauth_code(session: Session, code: str, client: Any) -> Employee:
    """The employee a WeCom OAuth ``code`` stands for (the API's and the console's WeCom sign-in)."""
    try:
        info = client.oauth.get_user_info(code)
    except ExternalServiceError as exc:  # scrm.wecom.client.WecomError carries WeCom's errcode
        if getattr(exc, "errcode", None) in _BAD_CODE_ERRCODES:
            raise Unauthorized("the WeCom sign-in code is invalid or already used; sign in again") from exc
        raise
    userid = info.get("UserId") or info.get("userid")
    if not userid:
        raise Unauthorized("this WeChat user is not a member of the company on WeCom")
    return employee_for_wecom_user(session, userid, client)


def employee_for_wecom_user(session: Session, userid: str, client: Any = None) -> Employee:
    """The employee behind a WeCom user id (OAuth); a member we have not synced yet is fetched and created."""
    employee = find_by_wecom_userid(session, userid)
    if employee is None and client is not None:
        try:
            fields = _wecom_user_fields(client.user.get(userid))
        except ExternalServiceError as exc:
            if getattr(exc, "errcode", None) != WECOM_NO_SUCH_USER:
                raise
            fields = {}
        if fields.get("userid"):
            employee, _ = _apply_wecom_user(session, fields, rejoin=False)
            _rebuild_wecom_tree(session)
    if employee is None:
        raise Unauthorized("this WeCom account has no staff account here; ask an admin to sync the address book")
    if employee.status != EmployeeStatus.active:
        raise Unauthorized("this account is no longer active")
    return employee
