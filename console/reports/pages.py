"""报表: the report builder page (pick a measure, a dimension and filters; see the chart and table; save it to the
dashboard) and the charts of saved reports and of the KPIs per product and channel that the dashboards show."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from backoffice.orders.labels import FUNDER_LABELS
from backoffice.reports.builder import kpis as kpi_service
from backoffice.reports.builder import registry
from backoffice.reports.builder import service as builder
from console import charts, core
from scrm.auth import SessionDep, SupervisorStaff
from scrm.channels import service as channel_service
from scrm.core.errors import AppError
from scrm.customers import service as customer_service
from scrm.groups.labels import TIER_NAMES
from scrm.org import service as org_service
from scrm.org.models import Employee

router = core.console_router()

# the builder form's inputs: the definition's filters, as named in the form (errors come back as filters.<name>)
FORM_FILTERS = ("period", "date_from", "date_to", "center_id", "department_id", "product", "channel_id",
                "funder_type", "tier")
RENAME = {f"filters.{name}": name for name in registry.FILTER_NAMES}


def _shown(kind: str, value: Any) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value:.2f}%"
    if kind == "amount":
        return core.yuan(value)
    return f"{value:,}"


def report_chart(title: str, result: builder.Result) -> charts.Chart:
    """A report as bars with its table beside them; the table shows the exact figure (a rate with its parts)."""
    rows = result.rows
    headers: tuple[str, ...] = (result.dimension_name, result.measure_name)
    table: list[tuple] = [(r.name, _shown(result.kind, r.value)) for r in rows]
    if result.kind == "rate":
        headers += ("分子", "分母")
        table = [(r.name, _shown("rate", r.value), r.numerator, r.denominator) for r in rows]
    # the bars are a picture of the figures; the table holds them exactly
    values = [float(r.value) if r.value is not None else 0 for r in rows]
    label = result.measure_name + ("（%）" if result.kind == "rate" else "（元）" if result.kind == "amount" else "")
    return charts.bars(title, [r.name for r in rows], {label: values}, headers, table)


KPI_HEADERS = ("线索", "签约", "转化率", "跟进次数/签约", "签单", "平均签约天数", "审批通过率", "代扣逾期率")


def kpi_chart(title: str, first: str, rows: list[kpi_service.KpiRow]) -> charts.Chart:
    def pct(v) -> str:
        return "—" if v is None else f"{v:.2f}%"

    table = [(r.name, r.leads, r.signed, pct(r.conversion_percent),
              "—" if r.follow_ups_per_conversion is None else f"{r.follow_ups_per_conversion}", r.signups,
              "—" if r.days_to_sign is None else f"{r.days_to_sign}", pct(r.approval_pass_percent),
              pct(r.overdue_percent)) for r in rows]
    chart = charts.bars(title, [r.name for r in rows],
                        {"转化率（%）": [float(r.conversion_percent or 0) for r in rows],
                         "审批通过率（%）": [float(r.approval_pass_percent or 0) for r in rows],
                         "代扣逾期率（%）": [float(r.overdue_percent or 0) for r in rows]},
                        (first, *KPI_HEADERS), table)
    chart.wide = True
    return chart


def kpi_panels(session: Session, staff: Employee, date_from: date, date_to: date) -> list[charts.Chart]:
    """The KPIs per product and per channel for the dashboards."""
    by_product, by_channel = kpi_service.kpis(session, staff, date_from, date_to)
    return [kpi_chart("产品指标", "产品", by_product), kpi_chart("渠道指标", "渠道", by_channel)]


def saved_panels(session: Session, staff: Employee) -> list[dict]:
    """The viewer's saved reports, each run now in their scope; one that no longer passes the whitelist says why."""
    out = []
    for report in builder.list_mine(session, staff):
        try:
            out.append({"id": report.id, "name": report.name,
                        "chart": report_chart(report.name, builder.run_saved(session, staff, report))})
        except AppError as exc:
            out.append({"id": report.id, "name": report.name, "error": exc.message})
    return out


def _definition(values: dict[str, Any]) -> dict:
    return {"measure": values.get("measure") or "", "dimension": values.get("dimension") or "",
            "filters": {k: values[k] for k in FORM_FILTERS if values.get(k)}}


def _context(session: Session, staff: Employee) -> dict[str, Any]:
    catalog = builder.catalog()
    return {
        "measures": [(m["key"], m["name"]) for m in catalog["measures"]],
        "notes": {m["key"]: m["note"] for m in catalog["measures"]},
        "dimensions": [(d["key"], d["name"]) for d in catalog["dimensions"]],
        "periods": [("", "（按日期）")] + [(p["key"], p["name"]) for p in catalog["periods"]],
        "centers": [("", "全部")] + [(c.id, c.name) for c in org_service.list_centers(session, staff)],
        "departments": [("", "全部")] + [(d.id, d.name) for d in org_service.list_departments(session, staff)],
        "products": [("", "全部")] + [(p.code, p.name) for p in customer_service.list_products(
            session, include_inactive=True)],
        "channels": [("", "全部")] + [(c.id, c.name) for c in channel_service.list_channels(session)],
        "funders": [("", "全部")] + list(FUNDER_LABELS.items()),
        "tiers": [("", "全部")] + list(TIER_NAMES.items()),
    }


def _builder_page(request: Request, staff: Employee, session: Session, values: dict[str, Any],
                  errors: dict[str, str] | None = None, status_code: int = 200, run: bool = True) -> Response:
    context = _context(session, staff)
    result = None
    if run and not set(errors or {}) - {"name"}:
        try:
            result = report_chart("预览", builder.run(session, staff, builder.check(_definition(values))))
        except AppError as exc:
            errors, status_code = core.field_errors(exc, RENAME), 422
    return core.render(request, "reports/builder.html", {**context, "values": values, "errors": errors or {},
                                                         "result": result}, staff=staff, status_code=status_code)


@router.get("/reports")
def builder_page(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    params = request.query_params
    values = {k: params.get(k, "") for k in ("measure", "dimension", "name", *FORM_FILTERS)}
    if "measure" not in params:
        values.update(measure="signed_amount", dimension="month", period="12m")
        return _builder_page(request, staff, session, values, run=False)
    return _builder_page(request, staff, session, values)


@router.post("/reports")
async def save_report(request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ("measure", "dimension", "name", *FORM_FILTERS)}
    try:
        builder.save(session, staff, values["name"], _definition(values))
    except AppError as exc:
        session.rollback()
        return _builder_page(request, staff, session, values, core.field_errors(exc, RENAME), 422)
    return core.redirect("/dashboards", msg="report_saved")


@router.post("/reports/{report_id}/delete")
def delete_report(report_id: int, request: Request, staff: SupervisorStaff, session: SessionDep) -> Response:
    core.remember(request, staff)
    builder.delete_mine(session, staff, report_id)
    return core.redirect("/dashboards", msg="report_deleted")
