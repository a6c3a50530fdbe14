"""Expenses by branch (分支机构费用) with the monthly budgets a manager sets per centre, and the expense types
(支出类型) finance keeps; on ``backoffice.budgets.service`` and ``backoffice.settlements.service``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.budgets import service as budget_service
from backoffice.common.money import parse_yuan
from backoffice.ledger.chart import CHART
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import EXPENSE_ACCOUNTS
from console import core
from scrm.auth import FinanceStaff, ManagerStaff, SessionDep, require_roles
from scrm.core.clock import BEIJING
from scrm.core.errors import AppError, ValidationFailed
from scrm.core.money import from_fen
from scrm.org import service as org_service
from scrm.org.models import Employee, Role

router = core.console_router()
PAGE = "/finance/expenses"
TYPES = "/finance/expense-types"
Reader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager))]
ACCOUNT_NAMES = {a: CHART[a].name for a in EXPENSE_ACCOUNTS}


def _int(raw: str, field: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationFailed("请选择列表中的一项", field=field)
    return int(raw)


def _context(request: Request, session: Session, staff: Employee, values: dict[str, str]) -> dict[str, Any]:
    this_month = datetime.now(BEIJING).strftime("%Y-%m")
    values = {"month_from": values.get("month_from") or this_month, "month_to": values.get("month_to") or this_month,
              "center_id": values.get("center_id", ""), "department_id": values.get("department_id", "")}
    centers = org_service.list_centers(session, staff)
    ctx: dict[str, Any] = {
        "values": values, "rows": [], "budgets": [], "errors": {}, "fen": from_fen,
        "center_options": [("", "全部")] + [(c.id, c.name) for c in centers],
        "department_options": [("", "全部")] + [(d.id, d.name) for d in org_service.list_departments(session, staff)],
        "budget_center_options": [(c.id, c.name) for c in centers],
        "may_set_budget": staff.role in (Role.manager, Role.admin),
        "budget_values": {"month": values["month_to"]},
    }
    try:
        first = budget_service.parse_month(values["month_from"], "month_from")
        last = budget_service.parse_month(values["month_to"], "month_to")
        center_id, department_id = _int(values["center_id"], "center_id"), _int(values["department_id"], "department_id")
        rows = budget_service.expenses(session, staff, first, last, center_id=center_id, department_id=department_id)
        ctx["rows"] = rows
        ctx["total_fen"] = sum(r.amount_fen for r in rows)
        ctx["budgets"] = budget_service.budget_usage(session, staff, first, last, center_id=center_id,
                                                     rows=None if department_id else rows)
    except ValidationFailed as exc:
        ctx["errors"] = core.field_errors(exc)
    return ctx


@router.get(PAGE)
def expenses_page(request: Request, staff: Reader, session: SessionDep) -> Response:
    core.remember(request, staff)
    ctx = _context(request, session, staff, dict(request.query_params))
    return core.render(request, "finance/expenses.html", ctx, staff=staff, status_code=422 if ctx["errors"] else 200)


@router.post(f"{PAGE}/budgets")
async def set_budget(request: Request, staff: ManagerStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("center_id", "month", "amount")}
    try:
        center_id = _int(values["center_id"], "budget_center_id")
        if center_id is None:
            raise ValidationFailed("请选择中心", field="budget_center_id")
        budget_service.set_budget(session, staff, center_id, values["month"], parse_yuan(values["amount"], "amount"))
    except ValidationFailed as exc:
        session.rollback()
        ctx = _context(request, session, staff, {"month_from": values["month"], "month_to": values["month"]}
                       if budget_service.MONTH.match(values["month"]) else {})
        ctx["errors"] = core.field_errors(exc, {"month": "budget_month", "amount": "budget_amount",
                                                "center_id": "budget_center_id"})
        ctx["budget_values"] = values
        return core.render(request, "finance/expenses.html", ctx, staff=staff, status_code=422)
    return core.redirect(PAGE, msg="budget_saved", month_from=values["month"], month_to=values["month"])


# ---------------------------------------------------------------------------------------------- expense types

def _types_context(session: Session) -> dict[str, Any]:
    return {"types": settlement_service.expense_types(session), "account_names": ACCOUNT_NAMES,
            "account_options": list(ACCOUNT_NAMES.items()), "builtin": settlement_service.BUILTIN_TYPES,
            "values": {"account": "appraisal_expense"}, "errors": {}}


def _types_failed(request: Request, session: Session, staff: Employee, exc: AppError, values: dict[str, str],
                  rename: dict[str, str] | None = None) -> Response:
    session.rollback()
    ctx = _types_context(session)
    ctx["errors"] = core.field_errors(exc, rename)
    ctx["values"] = values
    return core.render(request, "finance/expense_types.html", ctx, staff=staff,
                       status_code=exc.status_code)


@router.get(TYPES)
def expense_types_page(request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    return core.render(request, "finance/expense_types.html", _types_context(session), staff=staff)


@router.post(TYPES)
async def add_expense_type(request: Request, staff: FinanceStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("name", "account")}
    try:
        settlement_service.add_expense_type(session, staff, values["name"], values["account"])
    except AppError as exc:
        return _types_failed(request, session, staff, exc, values)
    return core.redirect(TYPES, msg="expense_type_saved")


@router.post(TYPES + "/{type_id}")
async def update_expense_type(request: Request, type_id: Annotated[int, Path(ge=1)], staff: FinanceStaff,
                              session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("name", "account", "active")}
    row = settlement_service.get_expense_type(session, type_id, lock=True)
    try:
        settlement_service.update_expense_type(session, staff, row, name=values["name"] or None,
                                               account=values["account"] or None,
                                               active=values["active"] == "1" if values["active"] else None)
    except AppError as exc:
        return _types_failed(request, session, staff, exc, {}, {"name": f"name_{type_id}",
                                                                "account": f"account_{type_id}"})
    return core.redirect(TYPES, msg="expense_type_saved")


@router.post(TYPES + "/{type_id}/delete")
async def delete_expense_type(request: Request, type_id: Annotated[int, Path(ge=1)], staff: FinanceStaff,
                              session: SessionDep) -> Response:
    core.remember(request, staff)
    try:
        settlement_service.delete_expense_type(session, staff, settlement_service.get_expense_type(session, type_id))
    except AppError as exc:
        if exc.status_code != 409:
            raise
        return _types_failed(request, session, staff, exc, {}, {"type_id": "__all__"})
    return core.redirect(TYPES, msg="expense_type_deleted")
