"""Performance (财务业绩), the funnel and KPIs: set-based SQL over orders and the journal, grouped in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from backoffice.ledger.models import JournalEntry, JournalLine
from backoffice.orders import service as order_service
from backoffice.orders.models import Order, OrderStatus
from backoffice.settlements.models import PaymentMethod, Settlement, SettlementPayment, SettlementStatus
from scrm.core.config import get_settings
from scrm.core.db import utcnow
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from scrm.org.models import Center, Department, Employee

# revenue = fees collected (service, other fees, interest) less discounts and rebates, as the journal has them
REVENUE_ACCOUNTS = ("fee_revenue", "other_fee_revenue", "interest_income", "fee_discounts", "rebate_expense")
DISBURSED = (OrderStatus.disbursed, OrderStatus.settled)
DECIDED = (OrderStatus.disbursed, OrderStatus.settled, OrderStatus.refunded)
GroupBy = Literal["center", "department", "employee", "funder_type"]
KEYS = {"center": Order.center_id, "department": Order.department_id, "employee": Order.salesperson_id,
        "funder_type": Order.funder_type}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationFailed("结束日期早于开始日期", field="date_to")

    @property
    def since(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=timezone.utc)

    @property
    def until(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=timezone.utc) + timedelta(days=1)


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

    @property
    def success_rate(self) -> float | None:
        return None if not self.signups else round(self.reached_disbursement / self.signups, 4)


def _names(session: Session, group_by: str, keys: set) -> dict:
    keys = {k for k in keys if k is not None}
    if group_by == "funder_type":
        return {k: k.value for k in keys}
    model = {"center": Center, "department": Department, "employee": Employee}[group_by]
    if not keys:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(keys))).all())


def performance(session: Session, viewer: Employee, period: Period, group_by: GroupBy) -> list[PerformanceRow]:
    """Sign-ups, disbursements, revenue and success rate per center, department, employee or funder type;
    two GROUP BY queries, largest revenue first."""
    key = KEYS[group_by]
    scope: ColumnElement[bool] = order_service.order_condition(session, viewer)
    in_period = (Order.signed_at >= period.since) & (Order.signed_at < period.until) & (
        Order.status != OrderStatus.voided)
    paid_out = (Order.disbursed_on >= period.start) & (Order.disbursed_on <= period.end) & Order.status.in_(DISBURSED)
    # one scan of the orders signed or disbursed in the period answers both sides
    orders = session.execute(
        select(key, func.count().filter(in_period),
               func.coalesce(func.sum(Order.amount_applied_fen).filter(in_period), 0),
               func.count().filter(in_period & Order.status.in_(DISBURSED)),
               func.count().filter(paid_out), func.coalesce(func.sum(Order.disbursed_amount_fen).filter(paid_out), 0))
        .where(scope, in_period | paid_out)
        .group_by(key)).all()
    revenue = session.execute(
        select(key, func.coalesce(func.sum(JournalLine.credit_fen - JournalLine.debit_fen), 0))
        .select_from(JournalEntry)
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .join(Order, Order.id == JournalEntry.order_id)
        .where(scope, JournalEntry.posted_at >= period.since, JournalEntry.posted_at < period.until,
               JournalLine.account.in_(REVENUE_ACCOUNTS))
        .group_by(key)).all()
    rows: dict = {}
    names = _names(session, group_by, {r[0] for r in orders} | {r[0] for r in revenue})

    def row(k) -> PerformanceRow:
        if k not in rows:
            rows[k] = PerformanceRow(key=getattr(k, "value", k), name=names.get(k, "（未分配）"))
        return rows[k]

    for k, n, amount, reached, n_paid, paid_fen in orders:
        r = row(k)
        r.signups, r.signed_fen, r.reached_disbursement = int(n), int(amount), int(reached)
        r.disbursed_count, r.disbursed_fen = int(n_paid), int(paid_fen)
    for k, amount in revenue:
        row(k).revenue_fen = int(amount)
    return sorted(rows.values(), key=lambda r: (-r.revenue_fen, -r.disbursed_fen, str(r.key)))


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
