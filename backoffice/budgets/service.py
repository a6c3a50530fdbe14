"""Expenses by branch (分支机构费用) and the budgets a manager sets per centre and month.

What counts as spent: reimbursements once finance has confirmed them (营销成本 and 做单成本, under their
category), counted in the month they were spent, for the department of the employee who entered them; and the
expenses of closed settlements (返点, 评估费 and the types finance added), counted in the month of closing
(Beijing time), for the centre and department the order was signed in."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backoffice.budgets.models import ExpenseBudget
from backoffice.orders import service as order_service
from backoffice.orders.models import Order
from backoffice.reimbursements.labels import COST_TYPE_NAMES
from backoffice.reimbursements.models import CostType, Reimbursement, ReimbursementStatus
from backoffice.settlements.models import ExpenseType, Settlement, SettlementExpense, SettlementStatus
from scrm.core.clock import beijing_day_start
from scrm.core.db import is_postgres, utcnow
from scrm.core.errors import Forbidden, ValidationFailed
from scrm.org import service as org_service
from scrm.org.models import Center, Department, Employee, Role

MONTH = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")
COUNTED = (ReimbursementStatus.confirmed, ReimbursementStatus.paid)
MAX_MONTHS = 36
MAX_BUDGET_FEN = 10 ** 13  # 1,000 亿元: anything more is a typing mistake


def parse_month(value: str | None, field: str) -> str:
    if not value or not MONTH.match(value.strip()):
        raise ValidationFailed("月份格式应为 YYYY-MM（2000–2099 年），例如 2026-11", field=field)
    return value.strip()


def months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_of_date(session: Session, column) -> ColumnElement:
    return func.to_char(column, "YYYY-MM") if is_postgres(session) else func.strftime("%Y-%m", column)


def _month_of_time(session: Session, column) -> ColumnElement:
    """The Beijing month of a UTC timestamp."""
    if is_postgres(session):
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def _month_bounds(first: str, last: str) -> tuple[date, date]:
    y, m = int(last[:4]), int(last[5:])
    after = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return date(int(first[:4]), int(first[5:]), 1), after


def _check_center(session: Session, viewer: Employee, center_id: int, field: str = "center_id") -> Center:
    center = session.get(Center, center_id)
    if center is None:
        raise ValidationFailed(f"没有编号为 {center_id} 的中心", field=field)
    if center.id not in {c.id for c in org_service.list_centers(session, viewer)}:
        raise Forbidden("只能查看或设置本人数据范围内的中心")
    return center


@dataclass
class ExpenseRow:
    center_id: int | None
    center: str
    department_id: int | None
    department: str
    category: str
    month: str
    amount_fen: int


@dataclass
class BudgetRow:
    center_id: int
    center: str
    month: str
    budget_fen: int | None
    spent_fen: int

    @property
    def share_used(self) -> float | None:
        """Spent ÷ budget (1.0 = all of it; over 1 = over budget); None without a budget."""
        return round(self.spent_fen / self.budget_fen, 4) if self.budget_fen else None


def _check_period(first: str, last: str) -> None:
    if last < first:
        raise ValidationFailed("结束月份早于开始月份", field="month_to")
    if len(months_between(first, last)) > MAX_MONTHS:
        raise ValidationFailed(f"一次最多查看 {MAX_MONTHS} 个月", field="month_to")


def expenses(session: Session, viewer: Employee, first: str, last: str, *, center_id: int | None = None,
             department_id: int | None = None) -> list[ExpenseRow]:
    """Expenses per centre, department, category and month, within the viewer's data scope; two GROUP BYs."""
    _check_period(first, last)
    if center_id is not None:
        _check_center(session, viewer, center_id)
    if department_id is not None:
        if session.get(Department, department_id) is None:
            raise ValidationFailed(f"没有编号为 {department_id} 的部门", field="department_id")
        visible = org_service.visible_department_ids(session, viewer)
        if visible is not None and department_id not in visible:
            raise Forbidden("只能查看本人数据范围内的部门")
    session.flush()
    since, until = _month_bounds(first, last)
    month = _month_of_date(session, Reimbursement.spent_on)
    claims = (select(Department.center_id, Employee.department_id, Reimbursement.cost_type, Reimbursement.category,
                     month, func.sum(Reimbursement.amount_fen))
              .join(Employee, Employee.id == Reimbursement.entered_by_id)
              .outerjoin(Department, Department.id == Employee.department_id)
              .where(Reimbursement.status.in_(COUNTED), Reimbursement.spent_on >= since,
                     Reimbursement.spent_on < until,
                     org_service.owner_filter(session, viewer, Reimbursement.entered_by_id))
              .group_by(Department.center_id, Employee.department_id, Reimbursement.cost_type, Reimbursement.category,
                        month))
    if center_id is not None:
        claims = claims.where(Department.center_id == center_id)
    if department_id is not None:
        claims = claims.where(Employee.department_id == department_id)
    closed_month = _month_of_time(session, Settlement.closed_at)
    paid_out = (select(Order.center_id, Order.department_id, ExpenseType.name, closed_month,
                       func.sum(SettlementExpense.amount_fen))
                .select_from(SettlementExpense)
                .join(Settlement, Settlement.id == SettlementExpense.settlement_id)
                .join(Order, Order.id == Settlement.order_id)
                .outerjoin(ExpenseType, ExpenseType.code == SettlementExpense.kind)
                .where(Settlement.status == SettlementStatus.closed,
                       Settlement.closed_at >= beijing_day_start(since),
                       Settlement.closed_at < beijing_day_start(until),
                       order_service.order_condition(session, viewer))
                .group_by(Order.center_id, Order.department_id, ExpenseType.name, closed_month))
    if center_id is not None:
        paid_out = paid_out.where(Order.center_id == center_id)
    if department_id is not None:
        paid_out = paid_out.where(Order.department_id == department_id)
    found: list[tuple] = []
    for center, dept, cost_type, category, m, fen in session.execute(claims):
        found.append((center, dept, f"{COST_TYPE_NAMES[CostType(cost_type)]}·{category}", m, int(fen)))
    for center, dept, type_name, m, fen in session.execute(paid_out):
        found.append((center, dept, type_name or "其他支出", m, int(fen)))
    centers = dict(session.execute(select(Center.id, Center.name)).all())
    departments = dict(session.execute(select(Department.id, Department.name).where(
        Department.id.in_({r[1] for r in found if r[1] is not None} or {-1}))).all())
    rows = [ExpenseRow(c, centers.get(c, "（无中心）"), d, departments.get(d, "（无部门）"), cat, m, fen)
            for c, d, cat, m, fen in found if m is not None]
    return sorted(rows, key=lambda r: (r.month, r.center_id or 0, r.department_id or 0, r.category))


def budget_usage(session: Session, viewer: Employee, first: str, last: str, *,
                 center_id: int | None = None, rows: list[ExpenseRow] | None = None) -> list[BudgetRow]:
    """Per centre and month in the viewer's scope: the budget, what was spent, and the share used."""
    _check_period(first, last)
    rows = expenses(session, viewer, first, last, center_id=center_id) if rows is None else rows
    spent: dict[tuple, int] = defaultdict(int)
    for r in rows:
        if r.center_id is not None:
            spent[(r.center_id, r.month)] += r.amount_fen
    centers = org_service.list_centers(session, viewer)
    if center_id is not None:
        centers = [c for c in centers if c.id == center_id]
    budgets = {(b.center_id, b.month): b.amount_fen for b in session.scalars(select(ExpenseBudget).where(
        ExpenseBudget.month >= first, ExpenseBudget.month <= last,
        ExpenseBudget.center_id.in_([c.id for c in centers] or [-1])))}
    out = []
    for m in months_between(first, last):
        for c in centers:
            if (c.id, m) in budgets or (c.id, m) in spent:
                out.append(BudgetRow(c.id, c.name, m, budgets.get((c.id, m)), spent.get((c.id, m), 0)))
    return out


def set_budget(session: Session, actor: Employee, center_id: int, month: str, amount_fen: int) -> ExpenseBudget:
    """A manager sets (or changes) a centre's budget for a month: one row per centre and month, written by one
    INSERT … ON CONFLICT DO UPDATE, so two managers saving at once leave one row holding the later amount."""
    if actor.role not in (Role.manager, Role.admin):
        raise Forbidden("只有经理可以设置费用预算")
    month = parse_month(month, "month")
    _check_center(session, actor, center_id)
    if not isinstance(amount_fen, int) or amount_fen < 0 or amount_fen > MAX_BUDGET_FEN:
        raise ValidationFailed("预算金额须为 0 到 1000 亿元", field="amount")
    insert = pg_insert if is_postgres(session) else sqlite_insert
    values = {"center_id": center_id, "month": month, "amount_fen": amount_fen, "set_by_id": actor.id,
              "updated_at": utcnow()}
    stmt = insert(ExpenseBudget).values(**values).on_conflict_do_update(
        index_elements=["center_id", "month"],
        set_={k: values[k] for k in ("amount_fen", "set_by_id", "updated_at")})
    session.flush()
    session.execute(stmt)
    return session.scalars(select(ExpenseBudget).where(ExpenseBudget.center_id == center_id,
                                                       ExpenseBudget.month == month)
                           .execution_options(populate_existing=True)).one()
