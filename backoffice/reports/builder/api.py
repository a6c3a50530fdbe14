"""The report builder (报表) and the KPIs per product and channel, under /api/backoffice/reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from backoffice.reports.builder import kpis as kpi_service
from backoffice.reports.builder import service as builder
from scrm.auth import CurrentStaff, SessionDep, require_roles
from scrm.core.errors import ERROR_RESPONSES
from scrm.org.models import Employee, Role

router = APIRouter(prefix="/api/backoffice/reports", tags=["backoffice: reports"], responses=ERROR_RESPONSES)
Builder = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager, Role.supervisor))]

EXAMPLE = {"measure": "signed_amount", "dimension": "product", "filters": {"period": "12m", "center_id": 1}}


class DefinitionIn(BaseModel):
    """A report: one measure, one dimension, filters; every name from `GET /builder/catalog`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})
    measure: str = Field(max_length=40)
    dimension: str = Field(max_length=40)
    filters: dict[str, str | int | None] = Field(default_factory=dict, max_length=20)

    def as_dict(self) -> dict:
        return {"measure": self.measure, "dimension": self.dimension, "filters": self.filters}


class SaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    definition: DefinitionIn


class RowOut(BaseModel):
    key: str | int | None
    name: str
    value: int | str | None  # a count; yuan with two decimals; a percent with two decimals
    numerator: int | None = None
    denominator: int | None = None


class ReportOut(BaseModel):
    measure: str
    measure_name: str
    dimension: str
    dimension_name: str
    kind: str
    filters: dict[str, Any]
    date_from: date
    date_to: date
    rows: list[RowOut]


class SavedOut(BaseModel):
    id: int
    name: str
    definition: dict
    position: int
    created_at: datetime


class SavedRunOut(BaseModel):
    report: SavedOut
    result: ReportOut


def _value(v: int | Decimal | None) -> int | str | None:
    return f"{v:.2f}" if isinstance(v, Decimal) else v


def report_out(result: builder.Result) -> ReportOut:
    d = result.definition
    return ReportOut(measure=d.measure, measure_name=result.measure_name, dimension=d.dimension,
                     dimension_name=result.dimension_name, kind=result.kind, filters=d.filters,
                     date_from=result.date_from, date_to=result.date_to,
                     rows=[RowOut(key=r.key, name=r.name, value=_value(r.value), numerator=r.numerator,
                                  denominator=r.denominator) for r in result.rows])


def saved_out(report) -> SavedOut:
    return SavedOut(id=report.id, name=report.name, definition=report.definition, position=report.position,
                    created_at=report.created_at)


@router.get("/builder/catalog")
def catalog(staff: Builder) -> dict:
    """The whitelist: measures (with the dimensions and filters each takes), dimensions, filters and relative
    periods, with the names shown to people."""
    return builder.catalog()


@router.post("/builder/preview", response_model=ReportOut)
def preview(staff: Builder, session: SessionDep, body: DefinitionIn) -> ReportOut:
    """Run a definition without saving it. A measure, dimension or filter outside the whitelist is a 422 whose
    `field` names it (`measure`, `dimension`, `filters.<name>`). Figures are limited to your data scope."""
    return report_out(builder.run(session, staff, builder.check(body.as_dict())))


@router.post("/saved", response_model=SavedOut, status_code=status.HTTP_201_CREATED)
def save(staff: Builder, session: SessionDep, body: SaveIn) -> SavedOut:
    """Save a report to your dashboard (at the end). The definition is checked as for a preview."""
    return saved_out(builder.save(session, staff, body.name, body.definition.as_dict()))


@router.get("/saved", response_model=list[SavedOut])
def list_saved(staff: Builder, session: SessionDep) -> list[SavedOut]:
    """Your saved reports, in their order on the dashboard."""
    return [saved_out(r) for r in builder.list_mine(session, staff)]


@router.get("/saved/{report_id}/run", response_model=SavedRunOut)
def run_saved(staff: Builder, session: SessionDep, report_id: int) -> SavedRunOut:
    """Run one of your saved reports now, in your data scope as it is today."""
    report = builder.get_mine(session, staff, report_id)
    return SavedRunOut(report=saved_out(report), result=report_out(builder.run_saved(session, staff, report)))


@router.delete("/saved/{report_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_saved(staff: Builder, session: SessionDep, report_id: int) -> None:
    """Remove one of your saved reports from your dashboard."""
    builder.delete_mine(session, staff, report_id)


class KpiRowOut(BaseModel):
    key: str | int | None
    name: str
    leads: int
    signed: int
    conversion_percent: str | None
    follow_ups: int
    follow_ups_per_conversion: str | None
    signups: int
    days_to_sign: str | None
    approval_passed: int
    approval_decided: int
    approval_pass_percent: str | None
    debits_due: int
    debits_overdue: int
    overdue_percent: str | None


class KpisByOut(BaseModel):
    date_from: date
    date_to: date
    by_product: list[KpiRowOut]
    by_channel: list[KpiRowOut]


def kpi_out(r: kpi_service.KpiRow) -> KpiRowOut:
    return KpiRowOut(key=r.key, name=r.name, leads=r.leads, signed=r.signed,
                     conversion_percent=_value(r.conversion_percent), follow_ups=r.follow_ups,
                     follow_ups_per_conversion=_value(r.follow_ups_per_conversion), signups=r.signups,
                     days_to_sign=None if r.days_to_sign is None else f"{r.days_to_sign:.1f}",
                     approval_passed=r.approval_passed, approval_decided=r.approval_decided,
                     approval_pass_percent=_value(r.approval_pass_percent), debits_due=r.debits_due,
                     debits_overdue=r.debits_overdue, overdue_percent=_value(r.overdue_percent))


@router.get("/kpis", response_model=KpisByOut)
def kpis(staff: CurrentStaff, session: SessionDep, date_from: date, date_to: date) -> KpisByOut:
    """KPIs per product and per channel for the Beijing days `date_from`..`date_to`: leads (customers created),
    signed (of those, signed or further), conversion, follow-ups per conversion (every follow-up on those
    customers over the signed ones), orders signed and the average days from the customer's creation to signing,
    the approval pass rate (disbursed or settled over disbursed, settled or refunded, of the orders signed), and
    the overdue rate of fees left to direct debit (settlements closed in the period still owing
    `SCRM_SETTLEMENT_DUE_DAYS` after closing). Percent strings with two decimals; in your data scope
    (a salesperson sees their own customers and orders)."""
    by_product, by_channel = kpi_service.kpis(session, staff, date_from, date_to)
    return KpisByOut(date_from=date_from, date_to=date_to, by_product=[kpi_out(r) for r in by_product],
                     by_channel=[kpi_out(r) for r in by_channel])
