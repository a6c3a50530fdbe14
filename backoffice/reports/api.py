"""Reports for finance, managers and supervisors: performance (财务业绩) and the funnel with its KPIs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from backoffice.common.money import YuanOut, yuan
from backoffice.reports import service as report_service
from scrm.auth import SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice/reports", tags=["backoffice: reports"], responses=ERROR_RESPONSES)
Reader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager, Role.supervisor))]


class PerformanceRowOut(BaseModel):
    key: str | int | None
    name: str
    rank: int
    signups: int
    signed_amount: YuanOut
    disbursed_count: int
    disbursed_amount: YuanOut
    revenue: YuanOut
    success_rate: float | None


class PerformanceOut(BaseModel):
    group_by: str
    date_from: date
    date_to: date
    rows: list[PerformanceRowOut]


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
                group_by: report_service.GroupBy = "employee") -> PerformanceOut:
    """Sign-ups (count, amount), disbursed amount, revenue (fees collected less discounts and rebates, from the
    journal) and success rate, per center, department, employee or funder type (the ranking), in your scope."""
    period = report_service.Period(date_from, date_to)
    rows = report_service.performance(session, staff, period, group_by)
    return PerformanceOut(group_by=group_by, date_from=date_from, date_to=date_to, rows=[
        PerformanceRowOut(key=r.key, name=r.name, rank=i + 1, signups=r.signups, signed_amount=yuan(r.signed_fen),
                          disbursed_count=r.disbursed_count, disbursed_amount=yuan(r.disbursed_fen),
                          revenue=yuan(r.revenue_fen), success_rate=r.success_rate) for i, r in enumerate(rows)])


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
