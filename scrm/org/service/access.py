"""Who may manage whom (called by the API with the signed-in employee; the CLI is trusted)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scrm.core.errors import Forbidden, NotFound
from scrm.org.models import DEFAULT_SCOPE, DataScope, Employee, Role
from scrm.org.service.common import _SCOPE_WIDTH, UNSET, can_see_employee, visible_department_ids

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
    but mark themselves departed or change their own role or scope: either could leave the company with no
    admin, so another admin (or the operator's ``scrm user add``) does it.
    """
    if employee is not None and employee.id == actor.id and action == "depart":
        raise Forbidden("you cannot mark yourself departed")
    if employee is not None and employee.id == actor.id and action == "role":
        raise Forbidden("you cannot change your own role or scope", field="role")
    if actor.role == Role.admin:
        return
    if employee is not None:
        if not can_see_employee(session, actor, employee.id):
            raise NotFound(f"no employee with id {employee.id}")
        if employee.role == Role.admin:
            raise Forbidden("only an admin can change an admin's account")
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
