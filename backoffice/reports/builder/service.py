"""The report builder (报表): a definition (measure, dimension, filters) checked against the whitelist, run as one
grouped query in the viewer's scope, and saved reports on a manager's dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from backoffice.orders.labels import FUNDER_LABELS, ORDER_STATUS_NAMES
from backoffice.orders.models import OrderStatus
from backoffice.reports import service as report_service
from backoffice.reports.builder import registry as reg
from backoffice.reports.builder.models import SavedReport
from backoffice.reports.models import OrderMonth
from scrm.channels.models import Channel
from scrm.core.clock import beijing_day_start, beijing_today
from scrm.core.errors import NotFound, ValidationFailed
from scrm.core.params import in_this_century
from scrm.customers import service as customer_service
from scrm.customers.labels import STAGE_NAMES
from scrm.customers.models import LoanProduct, Stage
from scrm.customers.service import MonthSpan
from scrm.groups.labels import TIER_NAMES
from scrm.org import service as org_service
from scrm.org.models import Center, Department, Employee

MAX_DAYS = 3 * 366
MAX_SAVED = 20
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Definition:
    measure: str
    dimension: str
    filters: dict[str, Any]

    def as_json(self) -> dict:
        return {"measure": self.measure, "dimension": self.dimension, "filters": dict(self.filters)}


@dataclass
class Row:
    key: str | int | None
    name: str
    value: int | Decimal | None  # a count, yuan, or a percent
    numerator: int | None = None
    denominator: int | None = None


@dataclass
class Result:
    definition: Definition
    measure_name: str
    dimension_name: str
    kind: str
    date_from: date
    date_to: date
    rows: list[Row]


def percent(numerator: int, denominator: int) -> Decimal | None:
    """An exact share in percent, two decimals, half up; None when nothing was counted."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _date(value: Any, name: str) -> date:
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{reg.FILTER_NAMES[name]}不是日期（YYYY-MM-DD）", field=f"filters.{name}") from None
    if not in_this_century(d):
        raise ValidationFailed(f"{reg.FILTER_NAMES[name]}须在 2000–2099 年之间", field=f"filters.{name}")
    return d


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise ValidationFailed(f"{reg.FILTER_NAMES[name]}须为编号", field=f"filters.{name}")
    number = int(value)
    if not 0 < number < 2 ** 63:
        raise ValidationFailed(f"{reg.FILTER_NAMES[name]}编号超出范围", field=f"filters.{name}")
    return number


def period_of(filters: dict[str, Any], on: date | None = None) -> tuple[date, date]:
    """The Beijing days (both included) a definition's filters name: an explicit range or a relative period."""
    on = on or beijing_today()
    if "date_from" in filters or "date_to" in filters:
        start = _date(filters.get("date_from") or filters.get("date_to"), "date_from")
        end = _date(filters.get("date_to") or on.isoformat(), "date_to")
        if end < start:
            raise ValidationFailed("结束日期早于开始日期", field="filters.date_to")
        if (end - start).days >= MAX_DAYS:
            raise ValidationFailed("期间最长三年", field="filters.date_from")
        return start, end
    period = filters.get("period", "12m")
    if period == "this_month":
        return on.replace(day=1), on
    if period == "this_year":
        return on.replace(month=1, day=1), on
    if period == "12m":
        year, month = (on.year, on.month - 11) if on.month > 11 else (on.year - 1, on.month + 1)
        return date(year, month, 1), on
    return on - timedelta(days=int(period[:-1]) - 1), on


def check(data: Any) -> Definition:
    """The definition, or a 422 naming the first field outside the whitelist (``measure``, ``dimension``,
    ``filters.<name>``)."""
    if not isinstance(data, dict):
        raise ValidationFailed("报表定义须为对象", field="definition")
    for key in data:
        if key not in ("measure", "dimension", "filters"):
            raise ValidationFailed(f"报表定义没有 {str(key)[:40]} 这一项", field=str(key)[:40])
    measure = reg.MEASURES.get(data.get("measure")) if isinstance(data.get("measure"), str) else None
    if measure is None:
        raise ValidationFailed(f"指标须为以下之一：{'、'.join(m.name for m in reg.MEASURES.values())}", field="measure",
                               allowed=list(reg.MEASURES))
    dimension = data.get("dimension")
    if not isinstance(dimension, str) or dimension not in reg.DIMENSIONS:
        raise ValidationFailed(f"维度须为以下之一：{'、'.join(d.name for d in reg.DIMENSIONS.values())}",
                               field="dimension", allowed=list(reg.DIMENSIONS))
    if not reg.dimension_applies(measure, dimension):
        raise ValidationFailed(f"{measure.name}不能按{reg.DIMENSIONS[dimension].name}分组", field="dimension")
    raw = data.get("filters") or {}
    if not isinstance(raw, dict):
        raise ValidationFailed("筛选条件须为对象", field="filters")
    source = reg.SOURCES[measure.source]
    filters: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in reg.FILTER_NAMES:
            raise ValidationFailed(f"不能按 {str(name)[:40]} 筛选", field=f"filters.{str(name)[:40]}")
        if value is None or value == "":
            continue
        if name in reg.FILTERS and reg.FILTERS[name] not in source.reach:
            raise ValidationFailed(f"{measure.name}不能按{reg.FILTER_NAMES[name]}筛选", field=f"filters.{name}")
        if name == "period":
            if value not in reg.PERIODS:
                raise ValidationFailed(f"期间须为以下之一：{'、'.join(reg.PERIODS.values())}", field="filters.period")
        elif name in ("date_from", "date_to"):
            value = _date(value, name).isoformat()
        elif name.endswith("_id"):
            value = _int(value, name)
        elif name == "funder_type" and value not in reg.FUNDER_TYPES:
            raise ValidationFailed("资金方类型不存在", field="filters.funder_type")
        elif name == "tier" and value not in reg.TIERS:
            raise ValidationFailed("客户分层须为 A、B、C 或拦截池", field="filters.tier")
        elif name == "stage" and value not in reg.stage_values(measure.source):
            raise ValidationFailed(f"{measure.name}没有这个阶段", field="filters.stage")
        elif name == "product" and not (isinstance(value, str) and 0 < len(value) <= 32):
            raise ValidationFailed("产品须为产品代码", field="filters.product")
        filters[name] = value
    if "period" in filters and ("date_from" in filters or "date_to" in filters):
        raise ValidationFailed("期间与开始、结束日期只能选一种", field="filters.period")
    period_of(filters)
    return Definition(measure.key, dimension, filters)


def run(session: Session, viewer: Employee, definition: Definition, *, on: date | None = None) -> Result:
    """The report, limited by the filters and the viewer's data scope: for a measure the month counts keep,
    grouped by what they are keyed on, the whole Beijing months are read from them and the days around them from
    the tables; otherwise one SELECT over the source grouped by the dimension."""
    measure = reg.MEASURES[definition.measure]
    dimension = reg.DIMENSIONS[definition.dimension]
    start, end = period_of(definition.filters, on)
    since = beijing_day_start(start)
    until = beijing_day_start(end, 1)
    session.flush()
    span = MonthSpan(None, None, False, [(since, until)])
    if _from_month_counts(viewer, measure, definition):
        span = customer_service.month_span(since, until)
    totals: dict = {}
    found = _month_rows(session, viewer, measure, definition, span) if span.months else []
    if span.days:
        found += _table_rows(session, viewer, measure, definition, span.days)
    for k, *values in found:
        k = reg.key_text(k, dimension.unit) if dimension.unit and k is not None else getattr(k, "value", k)
        totals[k] = [a + int(b) for a, b in zip(totals.get(k, [0] * len(values)), values)]
    # the last number is how many rows the group had (folded month counts can keep keys that add up to nothing)
    totals = {k: values[:-1] for k, values in totals.items() if values[-1]}
    names = {} if dimension.unit else names_of(session, definition.dimension, measure.source, set(totals))
    rows = []
    for k, values in totals.items():
        name = k if dimension.unit else names.get(k, unnamed(definition.dimension))
        if measure.kind == "rate":
            rows.append(Row(k, name, percent(values[0], values[1]), values[0], values[1]))
        elif measure.kind == "amount":
            rows.append(Row(k, name, Decimal(values[0]) / 100))
        else:
            rows.append(Row(k, name, values[0]))
    if dimension.unit:
        rows.sort(key=lambda r: str(r.key))
    else:
        rows.sort(key=lambda r: (r.value is None, -(r.value or 0), str(r.name)))
    return Result(definition, measure.name, dimension.name, measure.kind, start, end, rows)


def _from_month_counts(viewer: Employee, measure: reg.Measure, definition: Definition) -> bool:
    """Whether the month counts answer the definition: they keep the measure, the dimension is one of their keys
    (or the month), every filter names one, and they hold the viewer's scope."""
    filters = [reg.FILTERS[name] for name in definition.filters if name in reg.FILTERS]
    return (bool(measure.month_columns) and definition.dimension in reg.MONTH_KEYS
            and all(f in reg.MONTH_KEYS for f in filters) and report_service.month_counts_cover(viewer))


def _month_rows(session: Session, viewer: Employee, measure: reg.Measure, definition: Definition,
                span: MonthSpan) -> list[tuple]:
    key = reg.MONTH_KEYS[definition.dimension]
    where = [org_service.owner_filter(session, viewer, OrderMonth.salesperson_id), *span.months_where(OrderMonth)]
    for name, value in definition.filters.items():
        if name in reg.FILTERS:
            where.append(reg.MONTH_KEYS[reg.FILTERS[name]] == value)
    sums = [func.coalesce(func.sum(getattr(OrderMonth, c)), 0)
            for c in (*measure.month_columns, reg.MONTH_PRESENCE.get(measure.source, measure.month_columns[0]))]
    return [tuple(r) for r in session.execute(select(key, *sums).where(*where).group_by(key))]


def _table_rows(session: Session, viewer: Employee, measure: reg.Measure, definition: Definition,
                stretches: list[tuple[datetime, datetime]]) -> list[tuple]:
    """One SELECT over the measure's source for the rows whose time falls in the stretches, grouped by the
    dimension."""
    source = reg.SOURCES[measure.source]
    dimension = reg.DIMENSIONS[definition.dimension]
    q = reg.Query(source.base())
    key = reg.time_bucket(source, dimension.unit) if dimension.unit else reg.reach(source, dimension.key, q)
    where = [*source.where(), source.scope(session, viewer),
             or_(*[reg.in_period(source, since, until) for since, until in stretches])]
    for name, value in definition.filters.items():
        if name in reg.FILTERS:
            column = reg.reach(source, reg.FILTERS[name], q)
            if name == "product" and source.key == "customers":
                where.append(column.in_(select(LoanProduct.id).where(LoanProduct.code == value)))
            else:
                where.append(column == value)
    return [tuple(r) for r in session.execute(select(key.label("k"), *measure.aggregates(), func.count())
                                              .select_from(q.froms)
                                              .where(*where).group_by(key))]


def unnamed(dimension: str) -> str:
    return {"product": "（未选产品）", "channel": "（无渠道）", "tier": "（未分层）", "employee": "（未分配）"}.get(
        dimension, "（未分配）")


def names_of(session: Session, dimension: str, source: str, keys: set) -> dict:
    keys = {getattr(k, "value", k) for k in keys if k is not None}
    if not keys:
        return {}
    if dimension in ("month", "week", "day"):
        return {k: str(k) for k in keys}
    if dimension == "funder_type":
        return {k: FUNDER_LABELS.get(k, k) for k in keys}
    if dimension == "tier":
        return {k: TIER_NAMES.get(k, k) for k in keys}
    if dimension == "stage":
        if source == "customers":
            return {k: STAGE_NAMES[Stage(k)] for k in keys}
        return {k: ORDER_STATUS_NAMES[OrderStatus(k)] for k in keys}
    if dimension == "product":
        column = LoanProduct.id if source == "customers" else LoanProduct.code
        return dict(session.execute(select(column, LoanProduct.name).where(column.in_(keys))).all())
    model = {"center": Center, "department": Department, "employee": Employee, "channel": Channel}[dimension]
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(keys))).all())


def catalog() -> dict:
    """What a definition may name, with the names people see, and which dimensions and filters each measure
    takes."""
    return {
        "measures": [{"key": m.key, "name": m.name, "kind": m.kind, "note": m.note,
                      "dimensions": [d for d in reg.DIMENSIONS if reg.dimension_applies(m, d)],
                      "filters": [f for f in reg.FILTER_NAMES
                                  if f not in reg.FILTERS or reg.FILTERS[f] in reg.SOURCES[m.source].reach]}
                     for m in reg.MEASURES.values()],
        "dimensions": [{"key": d.key, "name": d.name} for d in reg.DIMENSIONS.values()],
        "filters": [{"key": k, "name": v} for k, v in reg.FILTER_NAMES.items()],
        "periods": [{"key": k, "name": v} for k, v in reg.PERIODS.items()],
    }


# -- saved reports -------------------------------------------------------------------------------------------------

def _clean_name(name: Any) -> str:
    text = str(name or "").strip()
    if not text:
        raise ValidationFailed("请填写报表名称", field="name")
    if len(text) > 64:
        raise ValidationFailed("报表名称最长 64 个字", field="name")
    return text


def save(session: Session, owner: Employee, name: Any, definition: Any) -> SavedReport:
    """Save a checked definition at the end of the owner's dashboard (at most MAX_SAVED each)."""
    clean_name = _clean_name(name)
    checked = check(definition)
    mine = list(session.scalars(select(SavedReport.position).where(SavedReport.owner_id == owner.id)))
    if len(mine) >= MAX_SAVED:
        raise ValidationFailed(f"每人最多保存 {MAX_SAVED} 个报表，请先删除不用的", field="name")
    report = SavedReport(owner_id=owner.id, name=clean_name, definition=checked.as_json(),
                         position=max(mine, default=0) + 1)
    session.add(report)
    session.flush()
    return report


def list_mine(session: Session, owner: Employee) -> list[SavedReport]:
    return list(session.scalars(select(SavedReport).where(SavedReport.owner_id == owner.id)
                                .order_by(SavedReport.position, SavedReport.id)))


def get_mine(session: Session, owner: Employee, report_id: int) -> SavedReport:
    """The owner's saved report, or NotFound (someone else's is not found either)."""
    report = session.get(SavedReport, report_id)
    if report is None or report.owner_id != owner.id:
        raise NotFound(f"没有编号为 {report_id} 的报表")
    return report


def delete_mine(session: Session, owner: Employee, report_id: int) -> None:
    get_mine(session, owner, report_id)
    session.execute(delete(SavedReport).where(SavedReport.id == report_id, SavedReport.owner_id == owner.id))
    session.flush()


def run_saved(session: Session, viewer: Employee, report: SavedReport) -> Result:
    """A saved report run now, in the viewer's scope as it is today (the definition is checked again, as the
    whitelist may have changed since it was saved)."""
    return run(session, viewer, check(report.definition))


def count_saved(session: Session, owner: Employee) -> int:
    return int(session.scalar(select(func.count()).select_from(SavedReport).where(SavedReport.owner_id == owner.id)))
