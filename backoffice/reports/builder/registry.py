"""The report builder's whitelist: the measures (what is counted, summed or divided), the dimensions (what it is
grouped by) and the filters, each mapped to SQLAlchemy expressions over the tables the existing reports read.

A measure reads one *source* (customers, orders signed, orders disbursed, revenue lines of the journal,
settlements left to direct debit); the source says which column is its time, how the viewer's scope limits it,
and how each dimension and filter reaches its rows (joining the customer, the owner's department, the tier only
when asked for). Nothing outside these tables can be named by a definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Literal

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from backoffice.ledger.models import JournalEntry, JournalLine
from backoffice.orders import service as order_service
from backoffice.orders.models import FunderType, Order, OrderStatus
from backoffice.reports.models import OrderMonth
from backoffice.reports.service import DECIDED, DISBURSED, REVENUE_ACCOUNTS
from backoffice.settlements.models import PaymentMethod, Settlement, SettlementPayment, SettlementStatus
from scrm.core.config import get_settings
from scrm.core.db import utcnow
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, CustomerStatus, Stage
from scrm.groups.models import CustomerTier
from scrm.org.models import Department, Employee

Kind = Literal["count", "amount", "rate"]


# -- time buckets, the same key strings on both databases (Beijing time) -----------------------------------------

class bucket(FunctionElement):
    """The month, week (from Monday) or day of a UTC timestamp in Beijing time, or of a date column as it is: a
    timestamp on PostgreSQL, ``YYYY-MM`` / ``YYYY-MM-DD`` text on SQLite (``key_text`` makes both the text). One subclass per unit and column type, so each has its own statement-cache key."""

    inherit_cache = True
    unit = "day"
    is_date = False


BUCKETS = {(unit, is_date): type(f"bucket_{unit}{'_date' if is_date else ''}", (bucket,),
                                 {"unit": unit, "is_date": is_date, "inherit_cache": True})
           for unit in ("month", "week", "day") for is_date in (False, True)}


@compiles(bucket, "postgresql")
def _bucket_pg(element: bucket, compiler: Any, **kw: Any) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    # grouped as a timestamp (far cheaper per row than to_char); ``key_text`` formats the few groups
    local = column if element.is_date else f"({column} AT TIME ZONE 'Asia/Shanghai')"
    return f"date_trunc('{element.unit}', {local})"


@compiles(bucket)
def _bucket_sqlite(element: bucket, compiler: Any, **kw: Any) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    shift = "" if element.is_date else ", '+8 hours'"
    if element.unit == "month":
        return f"strftime('%Y-%m', {column}{shift})"
    if element.unit == "week":
        return f"date({column}{shift}, '-6 days', 'weekday 1')"
    return f"date({column}{shift})"


class days_between(FunctionElement):
    """Days (fractional) from one UTC timestamp to a later one."""

    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(days_between)
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


# -- sources -------------------------------------------------------------------------------------------------------

class Query:
    """A SELECT being built over one source: joins are added once, when a dimension or filter needs them."""

    def __init__(self, base: Any) -> None:
        self.froms = base
        self.joined: set[str] = set()

    def join(self, name: str, target: Any, on: ColumnElement[bool], outer: bool = True) -> None:
        if name not in self.joined:
            self.joined.add(name)
            self.froms = self.froms.outerjoin(target, on) if outer else self.froms.join(target, on)


Reach = Callable[[Query], ColumnElement]


@dataclass
class Source:
    key: str
    base: Callable[[], Any]  # the FROM clause
    time: Any
    time_is_date: bool
    where: Callable[[], list[ColumnElement[bool]]]
    scope: Callable[[Session, Employee], ColumnElement[bool]]
    # dimension / filter name → how a query reaches that value for this source's rows
    reach: dict[str, Reach] = field(default_factory=dict)


def _customer_owner_department(q: Query) -> ColumnElement:
    q.join("owner", Employee, Employee.id == Customer.owner_id)
    return Employee.department_id


def _customer_center(q: Query) -> ColumnElement:
    _customer_owner_department(q)
    q.join("owner_department", Department, Department.id == Employee.department_id)
    return Department.center_id


def _customer_tier(q: Query) -> ColumnElement:
    q.join("tier", CustomerTier, CustomerTier.customer_id == Customer.id)
    return CustomerTier.tier


def order_customer(q: Query) -> None:
    q.join("customer", Customer, Customer.id == Order.customer_id, outer=False)


def _order_channel(q: Query) -> ColumnElement:
    order_customer(q)
    return Customer.channel_id


def _order_tier(q: Query) -> ColumnElement:
    q.join("tier", CustomerTier, CustomerTier.customer_id == Order.customer_id)
    return CustomerTier.tier


ORDER_REACH: dict[str, Reach] = {
    "center": lambda q: Order.center_id, "department": lambda q: Order.department_id,
    "employee": lambda q: Order.salesperson_id, "product": lambda q: Order.product_code,
    "channel": _order_channel, "funder_type": lambda q: Order.funder_type, "tier": _order_tier,
    "stage": lambda q: Order.status,
}


def _order_scope(session: Session, viewer: Employee) -> ColumnElement[bool]:
    return order_service.order_condition(session, viewer)


def _paid_subquery() -> Any:
    return (select(SettlementPayment.settlement_id, func.sum(SettlementPayment.amount_fen).label("fen"))
            .group_by(SettlementPayment.settlement_id).subquery("paid"))


PAID = _paid_subquery()
OWING = Settlement.amount_due_fen - func.coalesce(PAID.c.fen, 0)


def _overdue_where() -> list[ColumnElement[bool]]:
    due_days = get_settings().settlement_due_days
    return [Settlement.status == SettlementStatus.closed, Settlement.payment_method == PaymentMethod.direct_debit,
            Settlement.amount_due_fen > 0, Settlement.closed_at < utcnow() - timedelta(days=due_days)]


SOURCES: dict[str, Source] = {
    "customers": Source(
        "customers", lambda: Customer.__table__, Customer.created_at, False,
        lambda: [Customer.status != CustomerStatus.merged],
        lambda session, viewer: customer_service.visible_condition(session, viewer),
        {"center": _customer_center, "department": _customer_owner_department,
         "employee": lambda q: Customer.owner_id, "product": lambda q: Customer.product_id,
         "channel": lambda q: Customer.channel_id, "tier": _customer_tier, "stage": lambda q: Customer.stage}),
    "orders": Source(
        "orders", lambda: Order.__table__, Order.signed_at, False,
        lambda: [Order.status != OrderStatus.voided], _order_scope, ORDER_REACH),
    "disbursed": Source(
        "disbursed", lambda: Order.__table__, Order.disbursed_on, True,
        lambda: [Order.status.in_(DISBURSED)], _order_scope, ORDER_REACH),
    "revenue": Source(
        "revenue", lambda: JournalLine.__table__.join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Order, Order.id == JournalEntry.order_id), JournalEntry.posted_at, False,
        lambda: [JournalLine.account.in_(REVENUE_ACCOUNTS)], _order_scope, ORDER_REACH),
    "overdue": Source(
        "overdue", lambda: Settlement.__table__.join(Order, Order.id == Settlement.order_id)
        .outerjoin(PAID, PAID.c.settlement_id == Settlement.id), Settlement.closed_at, False,
        _overdue_where, _order_scope, ORDER_REACH),
}


# -- measures ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    key: str
    name: str
    kind: Kind
    source: str
    # one aggregate (count, sum in fen) or, for a rate, numerator and denominator
    aggregates: Callable[[], tuple[ColumnElement, ...]]
    note: str = ""
    # the same aggregates as columns of the month counts (``OrderMonth``), where they keep it
    month_columns: tuple[str, ...] = ()


def _count() -> tuple[ColumnElement, ...]:
    return (func.count(),)


MEASURES: dict[str, Measure] = {m.key: m for m in [
    Measure("customers", "客户数", "count", "customers", _count, "期间新增的客户"),
    Measure("conversion_rate", "转化率", "rate", "customers",
            lambda: (func.count().filter(Customer.stage.in_(customer_service.CONVERTED_STAGES)), func.count()),
            "期间新增客户中已签约及以后的比例"),
    Measure("signups", "签单数", "count", "orders", _count, "期间签单（作废的除外）", ("signed_n",)),
    Measure("signed_amount", "签单金额", "amount", "orders",
            lambda: (func.coalesce(func.sum(Order.amount_applied_fen), 0),), "期间签单的申请金额", ("signed_fen",)),
    Measure("disbursement_rate", "放款成功率", "rate", "orders",
            lambda: (func.count().filter(Order.status.in_(DISBURSED)), func.count()), "期间签单中已放款的比例",
            ("reached_n", "signed_n")),
    Measure("approval_pass_rate", "审批通过率", "rate", "orders",
            lambda: (func.count().filter(Order.status.in_(DISBURSED)), func.count().filter(Order.status.in_(DECIDED))),
            "期间签单中已有结果的（放款或退定）放款的比例", ("reached_n", "decided_n")),
    Measure("disbursed_count", "放款笔数", "count", "disbursed", _count, "期间放款的订单", ("disbursed_n",)),
    Measure("disbursed_amount", "放款金额", "amount", "disbursed",
            lambda: (func.coalesce(func.sum(Order.disbursed_amount_fen), 0),), "期间放款的金额", ("disbursed_fen",)),
    Measure("revenue", "创收", "amount", "revenue",
            lambda: (func.coalesce(func.sum(JournalLine.credit_fen - JournalLine.debit_fen), 0),),
            "期间入账的服务费、其他费用和利息，减去优惠和返点", ("revenue_fen",)),
    Measure("overdue_rate", "逾期率", "rate", "overdue",
            lambda: (func.count().filter(OWING > 0), func.count()),
            "期间结单、留待代扣且已过还款期限的结算中仍有欠款的比例"),
]}


# -- dimensions and filters ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    unit: str | None = None  # a time bucket


DIMENSIONS: dict[str, Dimension] = {d.key: d for d in [
    Dimension("month", "月", "month"), Dimension("week", "周", "week"), Dimension("day", "日", "day"),
    Dimension("center", "中心"), Dimension("department", "部门"), Dimension("employee", "员工"),
    Dimension("product", "产品"), Dimension("channel", "渠道"), Dimension("funder_type", "资金方类型"),
    Dimension("tier", "客户分层"), Dimension("stage", "阶段"),
]}

PERIODS = {"7d": "最近7天", "30d": "最近30天", "90d": "最近90天", "12m": "最近12个月", "this_month": "本月",
           "this_year": "今年"}
# filter name → the dimension whose column it compares with
FILTERS = {"center_id": "center", "department_id": "department", "employee_id": "employee", "product": "product",
           "channel_id": "channel", "funder_type": "funder_type", "tier": "tier", "stage": "stage"}
FILTER_NAMES = {"period": "期间", "date_from": "开始日期", "date_to": "结束日期", "center_id": "中心",
                "department_id": "部门", "employee_id": "员工", "product": "产品", "channel_id": "渠道",
                "funder_type": "资金方类型", "tier": "客户分层", "stage": "阶段"}
TIERS = ("A", "B", "C", "blocked")


def stage_values(source: str) -> set[str]:
    return {s.value for s in (Stage if source == "customers" else OrderStatus)}


def dimension_applies(measure: Measure, dimension: str) -> bool:
    return DIMENSIONS[dimension].unit is not None or dimension in SOURCES[measure.source].reach


def reach(source: Source, name: str, q: Query) -> ColumnElement:
    """The column a dimension (or its filter) reads for this source's rows, joining what it needs."""
    return source.reach[name](q)


def key_text(key: Any, unit: str) -> str:
    if hasattr(key, "strftime"):
        return key.strftime("%Y-%m" if unit == "month" else "%Y-%m-%d")
    return str(key)


def time_bucket(source: Source, unit: str) -> ColumnElement:
    return BUCKETS[unit, source.time_is_date](source.time)


def in_period(source: Source, since, until) -> ColumnElement[bool]:
    """Rows whose time falls in the Beijing days [since, until): datetimes for timestamps, dates for a date column."""
    if source.time_is_date:
        return and_(source.time >= since.date(), source.time < until.date())
    return and_(source.time >= since, source.time < until)


FUNDER_TYPES = {f.value for f in FunderType}
# what the month counts are keyed on: a definition naming only these (and whole months) is read from them
MONTH_KEYS = {"month": OrderMonth.month, "center": OrderMonth.center_id, "department": OrderMonth.department_id,
              "employee": OrderMonth.salesperson_id, "product": OrderMonth.product_code,
              "funder_type": OrderMonth.funder_type}
# the month counts' column saying a key had rows of the source (revenue: the amount itself)
MONTH_PRESENCE = {"orders": "signed_n", "disbursed": "disbursed_n"}
