"""``scrm user ...``: staff accounts from the command line (the operator is trusted: no role checks)."""

from __future__ import annotations

from typing import Annotated, NoReturn, Optional

import typer

from scrm.core.db import session_scope
from scrm.core.errors import AppError, NotFound
from scrm.org import service as org_service
from scrm.org.models import DataScope, EmployeeStatus, Role
from scrm.core.crypto import mask_phone

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Staff accounts: add, list, set passwords.")

# service field name -> the option a person typed
_OPTION = {"department_id": "--department", "max_open_leads": "--max-open-leads", "wecom_userid": "--wecom-userid"}


def _fail(exc: AppError) -> NoReturn:
    if exc.field:
        raise typer.BadParameter(exc.message, param_hint=f"'{_OPTION.get(exc.field, '--' + exc.field)}'")
    typer.echo(f"Error: {exc.message}", err=True)
    raise typer.Exit(1)


def _ask_password() -> str:
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add(
    username: Annotated[str, typer.Option(help="Sign-in name (letters, digits, _ . @ -).")],
    name: Annotated[str, typer.Option(help="The person's name, e.g. 张三.")],
    role: Annotated[Role, typer.Option(help="What they do.")] = Role.sales,
    password: Annotated[Optional[str], typer.Option(help="Prompted for, hidden, when left out.")] = None,
    department: Annotated[Optional[str], typer.Option(help="Department id or exact name.")] = None,
    scope: Annotated[Optional[DataScope], typer.Option(help="Data scope; the role's usual one when left out.")] = None,
    mobile: Annotated[Optional[str], typer.Option(help="Mainland mobile number.")] = None,
) -> None:
    """Add an employee who signs in with a username and password."""
    if password is None:
        password = _ask_password()
    try:
        with session_scope() as session:
            department_id = org_service.find_department(session, department).id if department else None
            employee = org_service.create_employee(session, name=name, username=username, password=password,
                                                   role=role, scope=scope, department_id=department_id, mobile=mobile)
            typer.echo(f"added {employee.username} (id {employee.id}): {employee.role.value}, scope "
                       f"{employee.scope.value}")
    except AppError as exc:
        _fail(exc)


@app.command("list")
def list_(
    include_departed: Annotated[bool, typer.Option("--all", help="Include departed employees.")] = False,
) -> None:
    """List employees (mobile numbers masked)."""
    with session_scope() as session:
        departments = {d.id: d.name for d in org_service.list_departments(session, include_deleted=True)}
        employees, _ = org_service.list_employees(
            session, status=None if include_departed else EmployeeStatus.active, limit=100_000)
        typer.echo("id\tusername\tname\trole\tscope\tdepartment\tstatus\tmobile\twecom")
        for e in employees:
            typer.echo("\t".join(str(v) for v in (
                e.id, e.username or "-", e.name, e.role.value, e.scope.value,
                departments.get(e.department_id, "-") if e.department_id else "-", e.status.value,
                mask_phone(e.mobile) or "-", e.wecom_userid or "-")))
        typer.echo(f"{len(employees)} employee(s)")


@app.command("passwd")
def passwd(
    username: Annotated[str, typer.Option(prompt=True, help="Whose password to set.")],
    password: Annotated[Optional[str], typer.Option(help="Prompted for, hidden, when left out.")] = None,
) -> None:
    """Set an employee's password."""
    try:
        with session_scope() as session:
            employee = org_service.find_by_username(session, username)
            if employee is None:
                raise NotFound(f"no employee with the username {username!r}", field="username")
            if employee.status != EmployeeStatus.active:
                raise AppError(f"{username} has departed; their account stays locked", field="username")
            org_service.set_password(session, employee.id, password if password is not None else _ask_password())
            typer.echo(f"password of {employee.username} changed")
    except AppError as exc:
        _fail(exc)
