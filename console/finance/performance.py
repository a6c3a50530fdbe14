"""The 财务业绩 page: sign-ups, disbursements, revenue, success rate and days to disbursement for a period, by
centre, department, employee, product or funder type, filtered, each table with its chart, and the Excel file of
exactly what the page shows; on ``backoffice.reports.service``."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Annotated, Any, Callable
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.orm import Session

from backoffice.orders.labels import FUNDER_LABELS
from backoffice.orders.models import FunderType
from backoffice.reports import service as report_service
from backoffice.reports.service import GROUP_NAMES, PerformanceFilter, PerformanceRow
from console import charts, core
from scrm.auth import SessionDep, require_roles
from scrm.core.clock import beijing_today
from scrm.core.errors import ValidationFailed
from scrm.core.money import from_fen
from scrm.core.spreadsheet import text_row
from scrm.customers import service as customer_service
from scrm.org import service as org_service
from scrm.org.models import Employee, Role

router = core.console_router()
PAGE = "/finance/performance"
Reader = Annotated[Employee, Depends(require_roles(Role.finance, Role.manager))]
FILTERS = ("date_from", "date_to", "group_by", "center_id", "department_id", "employee_id", "product_code",
           "funder_type")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_ROWS = 15  # the chart draws the first rows; the table lists them all


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[PerformanceRow], Any]  # what the spreadsheet cell holds
    text: Callable[[Any], str]  # how the page shows that value
    number_format: str | None = None


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _plain(v: Any) -> str:
    return "—" if v is None else str(v)


COLUMNS = (
    Column("签单数", lambda r: r.signups, _plain),
    Column("签单金额（元）", lambda r: from_fen(r.signed_fen), core.yuan, "#,##0.00"),
    Column("放款笔数", lambda r: r.disbursed_count, _plain),
    Column("放款金额（元）", lambda r: from_fen(r.disbursed_fen), core.yuan, "#,##0.00"),
    Column("营收（元）", lambda r: from_fen(r.revenue_fen), core.yuan, "#,##0.00"),
    Column("成功率", lambda r: r.success_rate, _pct, "0.0%"),
    Column("平均放款天数", lambda r: r.average_days, _plain, "0.0"),
)


@dataclass
class Table:
    key: str  # the grouping
    title: str
    rows: list[PerformanceRow]
    total: PerformanceRow
    chart: charts.Chart | None

    @property
    def headers(self) -> list[str]:
        return ["排名", GROUP_NAMES[self.key], *(c.header for c in COLUMNS)]

    def cells(self) -> list[list[Any]]:
        """Each row as the spreadsheet holds it (the page shows ``text`` of the same values)."""
        out = [[i + 1, r.name, *(c.value(r) for c in COLUMNS)] for i, r in enumerate(self.rows)]
        out.append(["", self.total.name, *(c.value(self.total) for c in COLUMNS)])
        return out

    def texts(self) -> list[list[str]]:
        return [[str(row[0]), row[1], *(c.text(v) for c, v in zip(COLUMNS, row[2:]))] for row in self.cells()]


def _chart(title: str, rows: list[PerformanceRow]) -> charts.Chart | None:
    shown = [r for r in rows[:CHART_ROWS] if r.signups or r.disbursed_count or r.revenue_fen] or rows[:CHART_ROWS]
    if not shown:
        return None
    # whole yuan for drawing; the table beside it has the exact amounts
    return charts.bars(title, [r.name for r in shown], {
        "营收（元）": [(r.revenue_fen + 50) // 100 for r in shown],
        "放款金额（元）": [(r.disbursed_fen + 50) // 100 for r in shown],
    }, [], [])


def _int(raw: str, field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise ValidationFailed("请选择列表中的一项", field=field)
    return int(raw)


@dataclass
class Query:
    period: report_service.Period
    group_by: str
    flt: PerformanceFilter


def read_query(f: dict[str, str]) -> Query:
    """The filters from the query string; every bad one reported at once, next to its input."""
    errors: list[dict[str, str]] = []
    out: dict[str, Any] = {}

    def check(name: str, parse: Callable[[], Any]) -> None:
        try:
            out[name] = parse()
        except ValidationFailed as exc:
            errors.append({"field": name, "message": exc.message})

    today = beijing_today()
    check("date_to", lambda: core.form_date(f.get("date_to"), "date_to") or today)
    check("date_from", lambda: core.form_date(f.get("date_from"), "date_from") or (out.get("date_to") or today)
          .replace(day=1))
    for name in ("center_id", "department_id", "employee_id"):
        check(name, lambda name=name: _int(f.get(name, ""), name))
    funder = f.get("funder_type", "")
    if funder and funder not in FunderType.__members__:
        errors.append({"field": "funder_type", "message": "请选择列表中的资方类型"})
    group_by = f.get("group_by") or "employee"
    if group_by not in GROUP_NAMES:
        errors.append({"field": "group_by", "message": "请选择列表中的统计维度"})
    if not errors and out["date_from"] > out["date_to"]:
        errors.append({"field": "date_to", "message": "结束日期早于开始日期"})
    if not errors and (out["date_to"] - out["date_from"]).days > 3 * 366:
        errors.append({"field": "date_from", "message": "一次最多统计三年"})
    if errors:
        raise ValidationFailed(errors[0]["message"], errors=errors)
    flt = PerformanceFilter(center_id=out["center_id"], department_id=out["department_id"],
                            employee_id=out["employee_id"], product_code=f.get("product_code") or None,
                            funder_type=FunderType(funder) if funder else None)
    return Query(report_service.Period(out["date_from"], out["date_to"]), group_by, flt)


def tables(session: Session, staff: Employee, q: Query) -> list[Table]:
    """The table grouped as asked and, beside it, the funder-type ranking (银行、消金、信保、小贷)."""
    out = []
    views = report_service.performance_views(session, staff, q.period, (q.group_by, "funder_type"), q.flt)
    for key, rows in views.items():
        title = "资方类型排名" if key == "funder_type" else f"按{GROUP_NAMES[key]}"
        out.append(Table(key, title, rows, report_service.total_row(rows), _chart(f"{title}：营收与放款金额", rows)))
    return out


def _options(session: Session, staff: Employee) -> dict[str, list]:
    every = [("", "全部")]
    return {
        "center_options": every + [(c.id, c.name) for c in org_service.list_centers(session, staff)],
        "department_options": every + [(d.id, d.name) for d in org_service.list_departments(session, staff)],
        "employee_options": every + org_service.owner_choices(session, staff),
        "product_options": every + [(p.code, p.name) for p in customer_service.list_products(session,
                                                                                              include_inactive=True)],
        "funder_options": every + [(k.value, FUNDER_LABELS[k.value]) for k in FunderType],
        "group_options": list(GROUP_NAMES.items()),
    }


def _values(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "").strip() for k in FILTERS}


@router.get(PAGE)
def performance_page(request: Request, staff: Reader, session: SessionDep) -> Response:
    core.remember(request, staff)
    values = _values(request)
    ctx: dict[str, Any] = {"values": values, "tables": [], "errors": {}, **_options(session, staff)}
    try:
        q = read_query(values)
        values["date_from"], values["date_to"] = q.period.start.isoformat(), q.period.end.isoformat()
        values["group_by"] = q.group_by
        ctx["tables"] = tables(session, staff, q)
    except ValidationFailed as exc:
        ctx["errors"] = core.field_errors(exc)
        return core.render(request, "finance/performance.html", ctx, staff=staff, status_code=422)
    ctx["export_query"] = urlencode({k: v for k, v in values.items() if v})
    return core.render(request, "finance/performance.html", ctx, staff=staff)


def workbook(session: Session, staff: Employee, q: Query, described: dict[str, str]) -> bytes:
    """The page's tables, one sheet each, cell for cell (amounts, rates and days formatted as the page shows
    them), and the filters."""
    wb = Workbook(write_only=True)
    for t in tables(session, staff, q):
        ws = wb.create_sheet(t.title)
        ws.append(t.headers)
        for row in t.cells():
            cells = text_row(ws, row[:2])
            for column, value in zip(COLUMNS, row[2:]):
                cell = WriteOnlyCell(ws, value=value)
                if column.number_format:
                    cell.number_format = column.number_format
                cells.append(cell)
            ws.append(cells)
    filters = wb.create_sheet("筛选条件")
    filters.append(["条件", "值"])
    for key, value in described.items():
        filters.append(text_row(filters, [key, value]))
    filters.append(text_row(filters, ["导出人", staff.name]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@router.get(f"{PAGE}.xlsx")
def performance_export(request: Request, staff: Reader, session: SessionDep) -> Response:
    """The same filters as the page; bad ones are a 422 naming the field."""
    values = _values(request)
    q = read_query(values)
    opts = _options(session, staff)
    described = {"开始日期": q.period.start.isoformat(), "结束日期": q.period.end.isoformat(),
                 "统计维度": GROUP_NAMES[q.group_by]}
    for label, key, options in (("中心", "center_id", "center_options"), ("部门", "department_id", "department_options"),
                                ("员工", "employee_id", "employee_options"), ("产品", "product_code", "product_options"),
                                ("资方类型", "funder_type", "funder_options")):
        if values.get(key):
            described[label] = str({str(k): v for k, v in opts[options]}.get(values[key], values[key]))
    data = workbook(session, staff, q, described)
    name = f"performance-{q.period.start:%Y%m%d}-{q.period.end:%Y%m%d}.xlsx"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
