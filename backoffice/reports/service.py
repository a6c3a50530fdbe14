"""Performance (财务业绩), the funnel and KPIs: set-based SQL over orders and the journal, grouped in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy import ColumnElement, Integer, func, or_, select
from sqlalchemy.orm import Session

from backoffice.ledger.models import JournalEntry, JournalLine
from backoffice.orders import service as order_service
from backoffice.orders.labels import FUNDER_LABELS
from backoffice.orders.models import FunderType, Order, OrderStatus
from backoffice.reports.models import KEY, MEASURES, OrderMonth
from backoffice.settlements.models import PaymentMethod, Settlement, SettlementPayment, SettlementStatus
from scrm.core.clock import beijing_date, beijing_day_start
from scrm.core.config import get_settings
from scrm.core.db import fold_appended, utcnow
from scrm.core.errors import Forbidden, ValidationFailed
from scrm.core.params import in_this_century
from scrm.customers import service as customer_service
from scrm.customers.models import LoanProduct, Stage
from scrm.customers.service import MonthSpan
from scrm.org import service as org_service
from scrm.org.models import Center, Department, Employee, Role

# revenue = fees collected (service, other fees, interest) less discounts and rebates, as the journal has them
REVENUE_ACCOUNTS = ("fee_revenue", "other_fee_revenue", "interest_income", "fee_discounts", "rebate_expense")
BEIJING_TZ = "Asia/Shanghai"
DISBURSED = (OrderStatus.disbursed, OrderStatus.settled)
DECIDED = (OrderStatus.disbursed, OrderStatus.settled, OrderStatus.refunded)
GroupBy = Literal["center", "department", "employee", "product", "funder_type"]
KEYS = {"center": Order.center_id, "department": Order.department_id, "employee": Order.salesperson_id,
        "product": Order.product_code, "funder_type": Order.funder_type}
GROUP_NAMES = {"center": "中心", "department": "部门", "employee": "员工", "product": "产品", "funder_type": "资方类型"}
# the funder-type ranking always lists these, with zeros where nothing happened
RANKED_FUNDERS = (FunderType.bank, FunderType.consumer_finance, FunderType.credit_insurance, FunderType.microloan)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        for name, day in (("date_from", self.start), ("date_to", self.end)):
            if not in_this_century(day):
                raise ValidationFailed("日期须在 2000–2099 年之间", field=name)
        if self.end < self.start:
            raise ValidationFailed("结束日期早于开始日期", field="date_to")

    @property
    def since(self) -> datetime:
        """Beijing midnight starting the first day."""
        return beijing_day_start(self.start)

    @property
    def until(self) -> datetime:
        """Beijing midnight ending the last day."""
        return beijing_day_start(self.end, 1)


@dataclass(frozen=True)
class PerformanceFilter:
    """Which orders count: the salesperson's centre and department at signing, the salesperson, the product and
    the funder type; every one optional."""

    center_id: int | None = None
    department_id: int | None = None
    employee_id: int | None = None
    product_code: str | None = None
    funder_type: FunderType | None = None

    def conditions(self, table: type[Order] | type[OrderMonth] = Order) -> list[ColumnElement[bool]]:
        """On the orders, or on the month counts (which keep the funder type as its text)."""
        funder = self.funder_type if table is Order or self.funder_type is None else self.funder_type.value
        pairs = ((table.center_id, self.center_id), (table.department_id, self.department_id),
                 (table.salesperson_id, self.employee_id), (table.product_code, self.product_code),
                 (table.funder_type, funder))
        return [column == value for column, value in pairs if value is not None]


def check_filter(session: Session, viewer: Employee, flt: PerformanceFilter) -> None:
    """A filter naming nothing is a 422 naming the field; a centre, department or employee outside the viewer's
    data scope is a 403 (a centre manager asking for another centre is refused, not quietly shown their own)."""
    visible = org_service.visible_department_ids(session, viewer)
    if flt.center_id is not None:
        if session.get(Center, flt.center_id) is None:
            raise ValidationFailed(f"没有编号为 {flt.center_id} 的中心", field="center_id")
        if visible is not None and not session.scalar(select(func.count()).select_from(Department).where(
                Department.center_id == flt.center_id, Department.id.in_(visible or [-1]))):
            raise Forbidden("只能查看本人数据范围内的中心")
    if flt.department_id is not None:
        if session.get(Department, flt.department_id) is None:
            raise ValidationFailed(f"没有编号为 {flt.department_id} 的部门", field="department_id")
        if visible is not None and flt.department_id not in visible:
            raise Forbidden("只能查看本人数据范围内的部门")
    if flt.employee_id is not None:
        if session.get(Employee, flt.employee_id) is None:
            raise ValidationFailed(f"没有编号为 {flt.employee_id} 的员工", field="employee_id")
        if not org_service.can_see_employee(session, viewer, flt.employee_id):
            raise Forbidden("只能查看本人数据范围内的员工")
    if flt.product_code is not None and customer_service.get_product(session, flt.product_code) is None:
        raise ValidationFailed(f"没有代码为 {flt.product_code} 的贷款产品", field="product_code")


@dataclass
class PerformanceRow:
    key: str | int | None
    name: str
    signups: int = 0
    signed_fen: int = 0
    disbursed_count: int = 0
    disbursed_fen: int = 0
    revenue_fen: int = 0
    reached_disbursement: int = 0  # of the orders signed in the period
    days_to_disbursement: int = 0  # summed over the orders disbursed in the period

    @property
    def success_rate(self) -> float | None:
        return None if not self.signups else round(self.reached_disbursement / self.signups, 4)

    @property
    def average_days(self) -> Decimal | None:
        """Days from sign-up (Beijing date) to disbursement, averaged over the loans disbursed, to 0.1 day."""
        if not self.disbursed_count:
            return None
        return (Decimal(self.days_to_disbursement) / self.disbursed_count).quantize(Decimal("0.1"), ROUND_HALF_UP)


def total_row(rows: list[PerformanceRow]) -> PerformanceRow:
    """The rows added up (a rate and an average over the sums, never an average of rates)."""
    total = PerformanceRow(key=None, name="合计")
    for r in rows:
        for name in ("signups", "signed_fen", "disbursed_count", "disbursed_fen", "revenue_fen",
                     "reached_disbursement", "days_to_disbursement"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return total


def _names(session: Session, group_by: str, keys: set) -> dict:
    keys = {k for k in keys if k is not None}
    if group_by == "funder_type":
        return {k: FUNDER_LABELS.get(k.value, k.value) for k in keys}
    if not keys:
        return {}
    if group_by == "product":
        return dict(session.execute(select(LoanProduct.code, LoanProduct.name).where(LoanProduct.code.in_(keys))).all())
    model = {"center": Center, "department": Department, "employee": Employee}[group_by]
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(keys))).all())


def _days_to_disbursement(session: Session) -> ColumnElement:
    """Whole days from the Beijing date of signing to the disbursement date, in SQL for either database."""
    if session.get_bind().dialect.name == "postgresql":
        return Order.disbursed_on - func.date(func.timezone(BEIJING_TZ, Order.signed_at))
    # the seconds' fraction cut off as the month counts' trigger does (SQLite would round it to milliseconds)
    return func.cast(func.julianday(Order.disbursed_on)
                     - func.julianday(func.date(func.substr(Order.signed_at, 1, 19), "+8 hours")), Integer)


def performance(session: Session, viewer: Employee, period: Period, group_by: GroupBy,
                flt: PerformanceFilter | None = None) -> list[PerformanceRow]:
    """Sign-ups, disbursements, revenue, success rate and days to disbursement per center, department, employee,
    product or funder type (the ranking), for the orders the filter and the viewer's scope let through;
    two GROUP BY queries, largest revenue first."""
    return performance_views(session, viewer, period, (group_by,), flt)[group_by]


def performance_views(session: Session, viewer: Employee, period: Period, groupings: tuple[GroupBy, ...],
                      flt: PerformanceFilter | None = None) -> dict[str, list[PerformanceRow]]:
    """``performance`` for several groupings at once (the page's table and its funder ranking): the whole Beijing
    months of the period are read from the month counts (``OrderMonth``), the days around them from the orders
    and the journal, all grouped by every grouping's columns together, and the rows are added up here per
    grouping."""
    flt = flt or PerformanceFilter()
    check_filter(session, viewer, flt)
    wanted = list(dict.fromkeys(groupings))
    session.flush()
    span = customer_service.month_span(period.since, period.until)
    if not month_counts_cover(viewer):
        span = MonthSpan(None, None, False, [(period.since, period.until)])
    found = _month_rows(session, viewer, wanted, span, flt) if span.months else []
    if span.days:
        found += _day_rows(session, viewer, wanted, span.days, flt)
    width = len(wanted)
    out = {}
    for i, group_by in enumerate(wanted):
        rows: dict = {}
        names = _names(session, group_by, {r[i] for r in found} | (
            set(RANKED_FUNDERS) if group_by == "funder_type" else set()))

        def row(k, rows=rows, names=names) -> PerformanceRow:
            if k not in rows:
                rows[k] = PerformanceRow(key=getattr(k, "value", k), name=names.get(k, "（未分配）"))
            return rows[k]

        for one in found:
            n, amount, reached, n_paid, paid_fen, days, revenue = one[width:]
            r = row(one[i])
            r.signups += int(n)
            r.signed_fen += int(amount)
            r.reached_disbursement += int(reached)
            r.disbursed_count += int(n_paid)
            r.disbursed_fen += int(paid_fen)
            r.days_to_disbursement += int(days)
            r.revenue_fen += int(revenue)
        if group_by == "funder_type" and flt.funder_type is None:
            for k in RANKED_FUNDERS:
                row(k)
        out[group_by] = sorted((r for r in rows.values() if r.key in RANKED_FUNDERS or _counted(r)),
                               key=lambda r: (-r.revenue_fen, -r.disbursed_fen, -r.signups, str(r.key)))
    return out


def month_counts_cover(viewer: Employee) -> bool:
    """Whether the order month counts hold the viewer's scope: it is by salesperson, except a processor's, who
    also sees the files they process (which the counts are not keyed on)."""
    return viewer.role != Role.processor


def _counted(row: PerformanceRow) -> bool:
    """Whether anything happened in the row (folded month counts can leave keys that add up to nothing)."""
    return any((row.signups, row.signed_fen, row.disbursed_count, row.disbursed_fen, row.revenue_fen))


def _month_rows(session: Session, viewer: Employee, wanted: list[str], span: MonthSpan,
                flt: PerformanceFilter) -> list[tuple]:
    keys = [getattr(OrderMonth, KEYS[g].key) for g in wanted]
    sums = [func.coalesce(func.sum(getattr(OrderMonth, m)), 0) for m in (
        "signed_n", "signed_fen", "reached_n", "disbursed_n", "disbursed_fen", "disbursed_days", "revenue_fen")]
    found = session.execute(
        select(*keys, *sums)
        .where(org_service.owner_filter(session, viewer, OrderMonth.salesperson_id), *span.months_where(OrderMonth),
               *flt.conditions(OrderMonth))
        .group_by(*keys)).all()
    # the month counts keep the funder type as its text; the orders' rows carry the enum
    at = wanted.index("funder_type") if "funder_type" in wanted else None
    if at is None:
        return [tuple(r) for r in found]
    return [(*r[:at], FunderType(r[at]) if r[at] is not None else None, *r[at + 1:]) for r in found]


def _day_rows(session: Session, viewer: Employee, wanted: list[str], stretches: list[tuple[datetime, datetime]],
              flt: PerformanceFilter) -> list[tuple]:
    """The same figures counted from the orders and the journal, over stretches of Beijing days."""
    keys = [KEYS[g] for g in wanted]
    where = [order_service.order_condition(session, viewer), *flt.conditions()]
    in_period = or_(*[(Order.signed_at >= since) & (Order.signed_at < until) for since, until in stretches]) & (
        Order.status != OrderStatus.voided)
    paid_out = or_(*[(Order.disbursed_on >= beijing_date(since)) & (Order.disbursed_on < beijing_date(until))
                     for since, until in stretches]) & Order.status.in_(DISBURSED)
    # one scan of the orders signed or disbursed in the stretches answers both sides
    orders = session.execute(
        select(*keys, func.count().filter(in_period),
               func.coalesce(func.sum(Order.amount_applied_fen).filter(in_period), 0),
               func.count().filter(in_period & Order.status.in_(DISBURSED)),
               func.count().filter(paid_out), func.coalesce(func.sum(Order.disbursed_amount_fen).filter(paid_out), 0),
               func.coalesce(func.sum(_days_to_disbursement(session)).filter(paid_out), 0))
        .where(*where, in_period | paid_out)
        .group_by(*keys)).all()
    posted = or_(*[(JournalEntry.posted_at >= since) & (JournalEntry.posted_at < until) for since, until in stretches])
    revenue = session.execute(
        select(*keys, func.coalesce(func.sum(JournalLine.credit_fen - JournalLine.debit_fen), 0))
        .select_from(JournalEntry)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .join(Order, Order.id == JournalEntry.order_id)
        .where(*where, posted, JournalLine.account.in_(REVENUE_ACCOUNTS))
        .group_by(*keys)).all()
    width = len(keys)
    return [(*r, 0) for r in orders] + [(*r[:width], 0, 0, 0, 0, 0, 0, r[width]) for r in revenue]


def compact_order_months(session: Session) -> int:
    """Fold the month counts' appended rows into one per key; returns how many rows were folded."""
    return fold_appended(session, OrderMonth.__tablename__, KEY, MEASURES)




FUNNEL = [Stage.lead, Stage.contacted, Stage.appointment, Stage.signed, Stage.processing, Stage.disbursed,
          Stage.settled]


@dataclass
class Kpis:
    funnel: list[tuple[str, int]]
    orders: dict[str, int]
    channel_conversion: list[dict] = field(default_factory=list)
    follow_ups_per_conversion: float | None = None
    approval_pass_rate: float | None = None
    overdue: "Overdue | None" = None


@dataclass
class Overdue:
    """Fees the customer still owes after closing (settled by direct debit), once past their due date: the
    repayment data the broker holds itself. Counts and amounts are of settlements closed in the period."""

    due_days: int
    due: int  # settlements whose due date has passed
    overdue: int  # of those, still owing something now
    due_fen: int
    overdue_fen: int

    @property
    def rate(self) -> float | None:
        return round(self.overdue / self.due, 4) if self.due else None

    @property
    def amount_rate(self) -> float | None:
        return round(self.overdue_fen / self.due_fen, 4) if self.due_fen else None


def overdue(session: Session, viewer: Employee, period: Period) -> Overdue:
    due_days = get_settings().settlement_due_days
    paid = (select(SettlementPayment.settlement_id, func.sum(SettlementPayment.amount_fen).label("fen"))
            .group_by(SettlementPayment.settlement_id).subquery())
    owing = Settlement.amount_due_fen - func.coalesce(paid.c.fen, 0)
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(Settlement.amount_due_fen), 0),
               func.count().filter(owing > 0), func.coalesce(func.sum(owing).filter(owing > 0), 0))
        .select_from(Settlement)
        .join(Order, Order.id == Settlement.order_id)
        .outerjoin(paid, paid.c.settlement_id == Settlement.id)
        .where(order_service.order_condition(session, viewer), Settlement.status == SettlementStatus.closed,
               Settlement.payment_method == PaymentMethod.direct_debit, Settlement.amount_due_fen > 0,
               Settlement.closed_at >= period.since, Settlement.closed_at < period.until,
               Settlement.closed_at < utcnow() - timedelta(days=due_days))).one()
    return Overdue(due_days=due_days, due=int(row[0]), due_fen=int(row[1]), overdue=int(row[2]),
                   overdue_fen=int(row[3]))


def funnel_and_kpis(session: Session, viewer: Employee, period: Period) -> Kpis:
    """The funnel from lead to settlement (customers created in the period, by the furthest stage reached) and
    the KPIs: conversion per channel, follow-ups per conversion, approval pass rate, overdue rate."""
    counts = customer_service.stage_counts_by_channel(session, viewer, created_from=period.since,
                                                      created_to=period.until)
    reached = {s: 0 for s in FUNNEL}
    per_channel: dict = {}
    for channel_id, stage, n in counts:
        # a lost customer is counted as a lead only: how far it got is not kept
        depth = FUNNEL.index(stage) if stage in FUNNEL else 0
        for s in FUNNEL[:depth + 1]:
            reached[s] += n
        c = per_channel.setdefault(channel_id, [0, 0])
        c[0] += n
        if stage in customer_service.CONVERTED_STAGES:
            c[1] += n
    converted = reached[Stage.signed]
    scope = order_service.order_condition(session, viewer)
    by_status = dict(session.execute(
        select(Order.status, func.count()).where(scope, Order.signed_at >= period.since,
                                                 Order.signed_at < period.until)
        .group_by(Order.status)).all())
    decided = sum(by_status.get(s, 0) for s in DECIDED)
    passed = sum(by_status.get(s, 0) for s in DISBURSED)
    follow_ups = customer_service.follow_up_count(session, viewer, created_from=period.since, created_to=period.until)
    return Kpis(
        funnel=[(s.value, reached[s]) for s in FUNNEL],
        orders={s.value: int(by_status.get(s, 0)) for s in OrderStatus},
        channel_conversion=[{"channel_id": ch, "customers": total, "converted": conv,
                             "rate": round(conv / total, 4) if total else None}
                            for ch, (total, conv) in sorted(per_channel.items(), key=lambda kv: -kv[1][1])],
        follow_ups_per_conversion=round(follow_ups / converted, 2) if converted else None,
        approval_pass_rate=round(passed / decided, 4) if decided else None,
        overdue=overdue(session, viewer, period),
    )
