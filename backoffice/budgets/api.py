"""Expenses by branch (分支机构费用) and budgets per centre and month."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backoffice.budgets import schemas
from backoffice.budgets import service as budget_service
from backoffice.common.money import fen_of, yuan
from scrm.auth import ManagerStaff, SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice", tags=["backoffice: expenses and budgets"], responses=ERROR_RESPONSES)
Reader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager))]
Month = Annotated[str, Query(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])]


def budget_out(b: budget_service.BudgetRow) -> schemas.BudgetOut:
    return schemas.BudgetOut(center_id=b.center_id, center=b.center, month=b.month,
                             budget=None if b.budget_fen is None else yuan(b.budget_fen), spent=yuan(b.spent_fen),
                             share_used=b.share_used)


@router.get("/expenses", response_model=schemas.ExpensesOut)
def expenses(staff: Reader, session: SessionDep, month_from: Month, month_to: Month,
             center_id: Annotated[int | None, Query(ge=1)] = None,
             department_id: Annotated[int | None, Query(ge=1)] = None) -> schemas.ExpensesOut:
    """Reimbursements (once confirmed, by the month spent and the department of who entered them) and the
    expenses of closed settlements (返点, 评估费, …, by the month closed and the order's centre and department),
    per centre, department, category and month, with each centre's monthly budget and the share used; within your
    data scope (a centre outside it is a 403)."""
    rows = budget_service.expenses(session, staff, month_from, month_to, center_id=center_id,
                                   department_id=department_id)
    budgets = budget_service.budget_usage(session, staff, month_from, month_to, center_id=center_id,
                                          rows=None if department_id else rows)
    return schemas.ExpensesOut(month_from=month_from, month_to=month_to, rows=[
        schemas.ExpenseRowOut(center_id=r.center_id, center=r.center, department_id=r.department_id,
                              department=r.department, category=r.category, month=r.month, amount=yuan(r.amount_fen))
        for r in rows], budgets=[budget_out(b) for b in budgets])


@router.put("/budgets", response_model=schemas.BudgetOut)
def set_budget(body: schemas.BudgetIn, staff: ManagerStaff, session: SessionDep) -> schemas.BudgetOut:
    """Set a centre's expense budget for a month (a manager, for a centre in their scope); setting it again
    replaces the amount."""
    budget_service.set_budget(session, staff, body.center_id, body.month, fen_of(body.amount))
    usage = budget_service.budget_usage(session, staff, body.month, body.month, center_id=body.center_id)
    return budget_out(usage[0])
