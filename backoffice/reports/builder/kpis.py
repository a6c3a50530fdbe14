"""KPIs per product and per channel: leads, signed, conversion, follow-ups per conversion, days from lead to
signing, approval pass rate and the overdue rate of fees left to direct debit, each grouped in the database
through the report builder's sources (so scope, joins and names are the builder's own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.orders.models import Order
from backoffice.reports.builder import registry as reg
from backoffice.reports.builder.service import BEIJING, names_of, percent, unnamed
from backoffice.reports.service import DECIDED, DISBURSED
from scrm.core.errors import ValidationFailed
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, FollowUp, LoanProduct
from scrm.org.models import Employee

By = Literal["product", "channel"]


@dataclass
class KpiRow:
    key: str | int | None
    name: str
    leads: int = 0  # customers created in the period
    signed: int = 0  # of those, signed or further on
    follow_ups: int = 0  # every follow-up recorded on those customers
    signups: int = 0  # orders signed in the period (voided ones left out)
    days_to_sign_total: float = 0.0  # customer created → order signed, summed over those orders
    approval_passed: int = 0  # of those orders, disbursed or settled
    approval_decided: int = 0  # of those orders, disbursed, settled or refunded
    debits_due: int = 0  # settlements closed in the period, left to direct debit, past their due days
    debits_overdue: int = 0  # of those, still owing

    @property
    def conversion_percent(self) -> Decimal | None:
        return percent(self.signed, self.leads)

    @property
    def follow_ups_per_conversion(self) -> Decimal | None:
        if not self.signed:
            return None
        return (Decimal(self.follow_ups) / Decimal(self.signed)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def days_to_sign(self) -> Decimal | None:
        if not self.signups:
            return None
        return (Decimal(repr(self.days_to_sign_total)) / Decimal(self.signups)).quantize(Decimal("0.1"),
                                                                                         ROUND_HALF_UP)

    @property
    def approval_pass_percent(self) -> Decimal | None:
        return percent(self.approval_passed, self.approval_decided)

    @property
    def overdue_percent(self) -> Decimal | None:
        return percent(self.debits_overdue, self.debits_due)


def _window(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    if date_to < date_from:
        raise ValidationFailed("结束日期早于开始日期", field="date_to")
    return (datetime.combine(date_from, time.min, BEIJING),
            datetime.combine(date_to + timedelta(days=1), time.min, BEIJING))


def _grouped(session: Session, viewer: Employee, source: reg.Source, by: By, aggregates: list, since: datetime,
             until: datetime, base=None, customer_join: bool = False) -> list:
    q = reg.Query(base if base is not None else source.base())
    if customer_join:
        reg.order_customer(q)
    key = reg.reach(source, by, q)
    return session.execute(select(key, *aggregates).select_from(q.froms)
                           .where(*source.where(), source.scope(session, viewer), reg.in_period(source, since, until))
                           .group_by(key)).all()


def kpis(session: Session, viewer: Employee, date_from: date, date_to: date, by: By) -> list[KpiRow]:
    """The KPIs of the Beijing days date_from..date_to per product (customers by the product they asked for, orders
    by the product signed) or per channel (the customer's first channel), in the viewer's scope; most leads first."""
    since, until = _window(date_from, date_to)
    session.flush()
    customers, orders, overdue = reg.SOURCES["customers"], reg.SOURCES["orders"], reg.SOURCES["overdue"]
    converted = Customer.stage.in_(customer_service.CONVERTED_STAGES)
    lead_rows = _grouped(session, viewer, customers, by, [func.count(), func.count().filter(converted)], since, until)
    follow_rows = _grouped(session, viewer, customers, by, [func.count(FollowUp.id)], since, until,
                           base=Customer.__table__.join(FollowUp, FollowUp.customer_id == Customer.id))
    order_rows = _grouped(session, viewer, orders, by, [
        func.count(), func.coalesce(func.sum(reg.days_between(Customer.created_at, Order.signed_at)), 0),
        func.count().filter(Order.status.in_(DISBURSED)), func.count().filter(Order.status.in_(DECIDED))],
        since, until, customer_join=True)
    debit_rows = _grouped(session, viewer, overdue, by, [func.count(), func.count().filter(reg.OWING > 0)],
                          since, until)
    if by == "product":
        # customers name the product they asked for by id, orders by code: one key, the code
        codes = dict(session.execute(select(LoanProduct.id, LoanProduct.code)).all())
        lead_rows = [(codes.get(k), *rest) for k, *rest in lead_rows]
        follow_rows = [(codes.get(k), *rest) for k, *rest in follow_rows]
    rows: dict = {}

    def row(k) -> KpiRow:
        if k not in rows:
            rows[k] = KpiRow(key=k, name="")
        return rows[k]

    for k, leads, signed in lead_rows:
        r = row(k)
        r.leads, r.signed = r.leads + int(leads), r.signed + int(signed)
    for k, n in follow_rows:
        row(k).follow_ups += int(n)
    for k, n, days, passed, decided in order_rows:
        r = row(k)
        r.signups, r.days_to_sign_total = int(n), float(days or 0)
        r.approval_passed, r.approval_decided = int(passed), int(decided)
    for k, due, late in debit_rows:
        r = row(k)
        r.debits_due, r.debits_overdue = int(due), int(late)
    names = names_of(session, by, "orders" if by == "product" else "customers", set(rows))
    for k, r in rows.items():
        r.name = names.get(k, unnamed(by))
    return sorted(rows.values(), key=lambda r: (-r.leads, -r.signups, r.name))
