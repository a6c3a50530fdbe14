"""Reports for finance, managers and supervisors: performance (财务业绩) and the funnel with its KPIs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from backoffice.common.money import YuanOut, yuan
from backoffice.orders.models import FunderType
from backoffice.reports import service as report_service
from scrm.auth import SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice/reports", tags=["backoffice: reports"], responses=ERROR_RESPONSES)
Reader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager, Role.supervisor))]


class PerformanceRowOut(BaseModel):
    key: str | int | None
    name: str = Field(description="the centre's, department's, employee's, product's or funder type's name")
    rank: int
    signups: int
    signed_amount: YuanOut
    disbursed_count: int
    disbursed_amount: YuanOut
    revenue: YuanOut
    success_rate: float | None = Field(description="of the orders signed in the period, the share disbursed")
    average_days: Decimal | None = Field(description="days from sign-up to disbursement, over the loans disbursed "
                                                     "in the period")


class PerformanceOut(BaseModel):
    group_by: str
    date_from: date
    date_to: date
    filters: dict[str, str | int]
    rows: list[PerformanceRowOut]
    total: PerformanceRowOut


def row_out(r: report_service.PerformanceRow, rank: int) -> PerformanceRowOut:
    return PerformanceRowOut(key=r.key, name=r.name, rank=rank, signups=r.signups, signed_amount=yuan(r.signed_fen),
                             disbursed_count=r.disbursed_count, disbursed_amount=yuan(r.disbursed_fen),
                             revenue=yuan(r.revenue_fen), success_rate=r.success_rate, average_days=r.average_days)


class FunnelStepOut(BaseModel):
    stage: str
    customers: int


class OverdueOut(BaseModel):
    due_days: int
    due: int
    overdue: int
    rate: float | None
    due_amount: YuanOut
    overdue_amount: YuanOut
    amount_rate: float | None


class KpisOut(BaseModel):
    funnel: list[FunnelStepOut]
    orders: dict[str, int]
    channel_conversion: list[dict]
    follow_ups_per_conversion: float | None
    approval_pass_rate: float | None
    overdue: OverdueOut


@router.get("/performance", response_model=PerformanceOut)
def performance(staff: Reader, session: SessionDep, date_from: date, date_to: date,
                group_by: report_service.GroupBy = "employee",
                center_id: Annotated[int | None, Query(ge=1)] = None,
                department_id: Annotated[int | None, Query(ge=1)] = None,
                employee_id: Annotated[int | None, Query(ge=1)] = None,
                product_code: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
                funder_type: FunderType | None = None) -> PerformanceOut:
    """Sign-ups (count, amount) and success rate of the orders signed in the period, disbursements (count,
    amount) and average days from sign-up to disbursement of the loans disbursed in it, and revenue (fees
    collected less discounts and rebates, from the journal entries posted in it), per center, department,
    employee, product or funder type (the ranking: 银行, 消金, 信保, 小贷 always listed), filtered by centre,
    department, salesperson, product and funder type, within your data scope.

    A filter value that names nothing is a 422 naming the field; a centre, department or employee outside your
    data scope is a 403 (a centre manager asking for another centre is refused)."""
    period = report_service.Period(date_from, date_to)
    flt = report_service.PerformanceFilter(center_id=center_id, department_id=department_id, employee_id=employee_id,
                                           product_code=product_code, funder_type=funder_type)
    rows = report_service.performance(session, staff, period, group_by, flt)
    filters = {k: getattr(v, "value", v) for k, v in flt.__dict__.items() if v is not None}
    return PerformanceOut(group_by=group_by, date_from=date_from, date_to=date_to, filters=filters,
                          rows=[row_out(r, i + 1) for i, r in enumerate(rows)],
                          total=row_out(report_service.total_row(rows), 0))


@router.get("/funnel", response_model=KpisOut)
def funnel(staff: Reader, session: SessionDep, date_from: date, date_to: date) -> KpisOut:
    """The funnel from lead to settlement and the KPIs (channel conversion, follow-ups per conversion,
    approval pass rate, and the overdue rate of fees left to direct debit: settlements closed in the period
    whose amount due is still owed `SCRM_SETTLEMENT_DUE_DAYS` after closing) for customers and orders of the period."""
    k = report_service.funnel_and_kpis(session, staff, report_service.Period(date_from, date_to))
    o = k.overdue
    return KpisOut(**{**k.__dict__, "funnel": [FunnelStepOut(stage=s, customers=n) for s, n in k.funnel],
                      "overdue": OverdueOut(due_days=o.due_days, due=o.due, overdue=o.overdue, rate=o.rate,
                                            due_amount=yuan(o.due_fen), overdue_amount=yuan(o.overdue_fen),
                                            amount_rate=o.amount_rate)})
