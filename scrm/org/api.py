"""Sign-in (password and WeCom OAuth) and the management of centers, departments and employees."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.orm import Session

from scrm.core import jobs
from scrm.auth import (CurrentStaff, ManagerStaff, SessionDep, SupervisorStaff, current_token, end_staff_session,
                       issue_staff_token, require_roles)
from scrm.core.config import get_settings
from scrm.core.errors import ERROR_RESPONSES, Forbidden, ValidationFailed
from scrm.org import schemas
from scrm.org import service as org_service
from scrm.org.models import DataScope, Employee, EmployeeStatus, Role
from scrm.wecom.client import get_client

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)

AdminStaff = Annotated[Employee, Depends(require_roles())]


def wecom_client() -> Any:

    return get_client()


WecomClient = Annotated[Any, Depends(wecom_client)]


def _token_answer(employee: Employee) -> schemas.TokenOut:
    return schemas.TokenOut(token=issue_staff_token(employee.id), expires_in=get_settings().staff_token_ttl_s,
                            employee=schemas.EmployeeRead.of(employee))


# --- sign-in -----------------------------------------------------------------------------------

@router.post("/auth/login", response_model=schemas.TokenOut, tags=["auth"])
def login(body: schemas.LoginIn, request: Request, session: SessionDep) -> schemas.TokenOut:
    """Sign in with username and password. Answers a bearer token for `Authorization: Bearer <token>`.

    A wrong username or password is a 401 without saying which; a departed employee gets a 401 too.
    After 5 failures for one username (or 30 from one address) within 15 minutes, sign-in answers 429
    until the window has passed.
    """
    employee = org_service.authenticate(session, body.username, body.password,
                                        client=request.client.host if request.client else None)
    return _token_answer(employee)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def logout(request: Request, staff: CurrentStaff, session: SessionDep) -> None:
    """End this session: its token is refused from now on. Your sessions on other devices go on
    (`POST /api/auth/logout-all` ends those too)."""
    end_staff_session(session, current_token(request))


@router.post("/auth/logout-all", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def logout_everywhere(staff: CurrentStaff, session: SessionDep) -> None:
    """End every session of the signed-in employee, on every device (this one too)."""
    org_service.end_sessions(staff)


@router.get("/auth/me", response_model=schemas.EmployeeRead, tags=["auth"])
def me(staff: CurrentStaff) -> schemas.EmployeeRead:
    """The signed-in employee."""
    return schemas.EmployeeRead.of(staff)


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def change_password(body: schemas.PasswordChangeIn, staff: CurrentStaff, session: SessionDep) -> None:
    """Change your own password (at least 8 characters). Every session ends, this one too: sign in again."""
    org_service.change_own_password(session, staff, body.current_password, body.new_password)


@router.get("/auth/wecom/authorize-url", response_model=schemas.AuthorizeUrlOut, tags=["auth"])
def wecom_authorize_url(
    client: WecomClient,
    redirect_uri: Annotated[str, Query(max_length=1024, description="Where WeCom sends the browser back, with `code`.")],
    state: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9]{1,128}$",
                                       description="Returned unchanged with the code.")] = None,
) -> schemas.AuthorizeUrlOut:
    """The WeCom OAuth URL (snsapi_base) to send a browser inside WeCom to. Its domain must be a trusted
    domain of the WeCom app; WeCom then redirects to `redirect_uri?code=...&state=...`, and the page
    posts the code to `POST /api/auth/wecom`."""
    parsed = urlparse(redirect_uri)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationFailed("redirect_uri must be an absolute http(s) URL", field="redirect_uri")
    return schemas.AuthorizeUrlOut(url=org_service.wecom_authorize_url(client, redirect_uri, state))


@router.post("/auth/wecom", response_model=schemas.TokenOut, tags=["auth"])
def wecom_login(body: schemas.WecomLoginIn, session: SessionDep, client: WecomClient) -> schemas.TokenOut:
    """Sign in with the `code` from WeCom OAuth. A WeCom member not yet synced is created as a salesperson
    (scope own); a departed employee, or a WeChat user who is not a member, gets a 401."""
    return _token_answer(org_service.employee_for_oauth_code(session, body.code, client))


# --- centers -----------------------------------------------------------------------------------

@router.get("/org/centers", response_model=list[schemas.CenterRead], tags=["org"])
def list_centers(staff: SupervisorStaff, session: SessionDep) -> list[schemas.CenterRead]:
    """Centers (中心) within your data scope."""
    return [schemas.CenterRead.of(c) for c in org_service.list_centers(session, staff)]


@router.post("/org/centers", response_model=schemas.CenterRead, status_code=status.HTTP_201_CREATED, tags=["org"])
def create_center(body: schemas.CenterIn, staff: ManagerStaff, session: SessionDep) -> schemas.CenterRead:
    """Create a center. Needs the data scope `all`."""
    org_service.ensure_can_manage_center(staff)
    return schemas.CenterRead.of(org_service.create_center(session, body.name))


@router.patch("/org/centers/{center_id}", response_model=schemas.CenterRead, tags=["org"])
def update_center(center_id: int, body: schemas.CenterUpdate, staff: ManagerStaff,
                  session: SessionDep) -> schemas.CenterRead:
    """Rename a center. Needs the data scope `all`; a center mirrored from WeCom is renamed in WeCom."""
    org_service.ensure_can_manage_center(staff)
    return schemas.CenterRead.of(org_service.update_center(session, center_id, name=body.name))


# --- departments -------------------------------------------------------------------------------

@router.get("/org/departments", response_model=list[schemas.DepartmentRead], tags=["org"])
def list_departments(staff: SupervisorStaff, session: SessionDep,
                     center_id: int | None = None) -> list[schemas.DepartmentRead]:
    """Departments within your data scope, optionally of one center."""
    return [schemas.DepartmentRead.of(d) for d in org_service.list_departments(session, staff, center_id=center_id)]


def _ensure_can_place_department(session: Session, staff: Employee, center_id: int | None, parent_id: int | None) -> None:
    if parent_id is not None:
        org_service.ensure_can_manage_department(session, staff, parent_id, field_name="parent_id")
        return
    if staff.scope == DataScope.all:
        return
    if center_id is None or staff.scope != DataScope.center or org_service.employee_center_id(session, staff) != center_id:
        raise Forbidden("you can only add departments inside your own center or department", field="center_id")


@router.post("/org/departments", response_model=schemas.DepartmentRead, status_code=status.HTTP_201_CREATED,
             tags=["org"])
def create_department(body: schemas.DepartmentIn, staff: ManagerStaff, session: SessionDep) -> schemas.DepartmentRead:
    """Create a department in a center, or under another department (it then joins that one's center)."""
    _ensure_can_place_department(session, staff, body.center_id, body.parent_id)
    department = org_service.create_department(session, body.name, body.center_id, body.parent_id)
    return schemas.DepartmentRead.of(department)


@router.patch("/org/departments/{department_id}", response_model=schemas.DepartmentRead, tags=["org"])
def update_department(department_id: int, body: schemas.DepartmentUpdate, staff: ManagerStaff,
                      session: SessionDep) -> schemas.DepartmentRead:
    """Rename or move a department. Departments mirrored from WeCom are changed in WeCom."""
    org_service.ensure_can_manage_department(session, staff, department_id, field_name="department_id")
    changes = body.model_dump(exclude_unset=True)
    if "center_id" in changes or "parent_id" in changes:
        _ensure_can_place_department(session, staff, changes.get("center_id"), changes.get("parent_id"))
    return schemas.DepartmentRead.of(org_service.update_department(session, department_id, **changes))


# --- employees ---------------------------------------------------------------------------------

def visible_employee(employee_id: int, staff: SupervisorStaff, session: SessionDep) -> Employee:
    return org_service.get_visible_employee(session, staff, employee_id)


def managed_employee(employee_id: int, staff: ManagerStaff, session: SessionDep) -> Employee:
    employee = org_service.get_visible_employee(session, staff, employee_id)
    org_service.ensure_can_manage_employee(session, staff, employee)
    return employee


VisibleEmployee = Annotated[Employee, Depends(visible_employee)]
ManagedEmployee = Annotated[Employee, Depends(managed_employee)]


@router.get("/org/employees", response_model=schemas.EmployeePage, tags=["org"])
def list_employees(
    staff: SupervisorStaff, session: SessionDep,
    department_id: int | None = None, status: EmployeeStatus | None = None, role: Role | None = None,
    q: Annotated[str | None, Query(max_length=64, description="Part of the name, username or WeCom id.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.EmployeePage:
    """Employees within your data scope (supervisors, managers, admins). Mobile numbers are masked."""
    items, total = org_service.list_employees(session, staff, department_id=department_id, status=status, role=role,
                                              q=q, limit=limit, offset=offset)
    return schemas.EmployeePage(items=[schemas.EmployeeRead.of(e) for e in items], total=total, limit=limit,
                                offset=offset)


@router.get("/org/employees/{employee_id}", response_model=schemas.EmployeeRead, tags=["org"])
def get_employee(employee: VisibleEmployee) -> schemas.EmployeeRead:
    """One employee within your data scope."""
    return schemas.EmployeeRead.of(employee)


@router.post("/org/employees", response_model=schemas.EmployeeRead, status_code=status.HTTP_201_CREATED,
             tags=["org"])
def create_employee(body: schemas.EmployeeIn, staff: ManagerStaff, session: SessionDep) -> schemas.EmployeeRead:
    """Create an employee in a department within your scope. You cannot grant a role or data scope wider than
    yours: only an admin creates admins and finance staff."""
    org_service.ensure_can_manage_employee(session, staff, None, role=body.role, scope=body.scope,
                                           department_id=body.department_id)
    employee = org_service.create_employee(session, **body.model_dump())
    return schemas.EmployeeRead.of(employee)


@router.patch("/org/employees/{employee_id}", response_model=schemas.EmployeeRead, tags=["org"])
def update_employee(body: schemas.EmployeeUpdate, employee: ManagedEmployee, staff: ManagerStaff,
                    session: SessionDep) -> schemas.EmployeeRead:
    """Change an employee's details; only the fields sent change. The name, department and mobile of an
    employee linked to WeCom are changed in WeCom (409 here)."""
    changes = body.model_dump(exclude_unset=True)
    org_service.ensure_can_manage_employee(session, staff, employee,
                                           department_id=changes.get("department_id", org_service.UNSET))
    return schemas.EmployeeRead.of(org_service.update_employee(session, employee.id, **changes))


@router.put("/org/employees/{employee_id}/role", response_model=schemas.EmployeeRead, tags=["org"])
def set_role(body: schemas.RoleIn, employee: ManagedEmployee, staff: ManagerStaff,
             session: SessionDep) -> schemas.EmployeeRead:
    """Change an employee's role and data scope (the role's usual scope when `scope` is left out). You cannot
    grant a role or scope wider than yours, nor change your own."""
    org_service.ensure_can_manage_employee(session, staff, employee, role=body.role, scope=body.scope, action="role")
    return schemas.EmployeeRead.of(org_service.set_role(session, employee.id, body.role, body.scope))


@router.post("/org/employees/{employee_id}/password", status_code=status.HTTP_204_NO_CONTENT, tags=["org"])
def reset_password(body: schemas.PasswordSetIn, employee: ManagedEmployee, staff: ManagerStaff,
                   session: SessionDep) -> None:
    """Set a new password for an employee who has a username. Every session of theirs ends. Your own password
    is changed with `POST /api/auth/password`."""
    org_service.ensure_can_manage_employee(session, staff, employee, action="password")
    if not employee.username:
        raise ValidationFailed("give the employee a username first", field="username")
    org_service.set_password(session, employee.id, body.password)


@router.post("/org/employees/{employee_id}/depart", response_model=schemas.EmployeeRead, tags=["org"])
def mark_departed(employee: ManagedEmployee, staff: ManagerStaff, session: SessionDep) -> schemas.EmployeeRead:
    """Mark an employee departed: they can no longer sign in and their customers are queued for handover.
    Doing it again changes nothing."""
    org_service.ensure_can_manage_employee(session, staff, employee, action="depart")
    return schemas.EmployeeRead.of(org_service.mark_departed(session, employee.id, by=staff.id))


@router.post("/org/wecom-sync", response_model=schemas.SyncReportOut, status_code=status.HTTP_202_ACCEPTED,
             tags=["org"])
def sync_wecom(staff: AdminStaff, session: SessionDep) -> schemas.SyncReportOut:
    """Queue a full pull of WeCom's departments and members (admins)."""
    jobs.enqueue(session, "org.sync_org", job_id="org-wecom-sync")
    return schemas.SyncReportOut(queued=True)
