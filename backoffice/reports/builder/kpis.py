"""KPIs per product and per channel: leads, signed, conversion, follow-ups per conversion, days from lead to
signing, approval pass rate and the overdue rate of fees left to direct debit, each grouped in the database
through the report builder's sources (so scope, joins and names are the builder's own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.orders.models import Order
from backoffice.reports.builder import registry as reg
from backoffice.reports.builder.service import names_of, percent, unnamed
from backoffice.reports.service import DECIDED, DISBURSED
from scrm.core.clock import beijing_day_start
from scrm.core.errors import ValidationFailed
from scrm.core.params import in_this_century
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, FollowUp, LoanProduct
from scrm.org.models import Employee


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
    for name, day in (("date_from", date_from), ("date_to", date_to)):
        if not in_this_century(day):
            raise ValidationFailed("日期须在 2000–2099 年之间", field=name)
    if date_to < date_from:
        raise ValidationFailed("结束日期早于开始日期", field="date_to")
    return beijing_day_start(date_from), beijing_day_start(date_to, 1)


def _grouped(session: Session, viewer: Employee, source: reg.Source, aggregates: list, since: datetime,
             until: datetime, base=None, customer_join: bool = False) -> list:
    """(product key, channel key, *aggregates) rows: one scan answers both tables."""
    q = reg.Query(base if base is not None else source.base())
    if customer_join:
        reg.order_customer(q)
    keys = [reg.reach(source, "product", q), reg.reach(source, "channel", q)]
    return session.execute(select(*keys, *aggregates).select_from(q.froms)
                           .where(*source.where(), source.scope(session, viewer), reg.in_period(source, since, until))
                           .group_by(*keys)).all()


def _add(target: KpiRow, leads=0, signed=0, follow_ups=0, signups=0, days=0.0, passed=0, decided=0, due=0,
         late=0) -> None:
    target.leads += int(leads)
    target.signed += int(signed)
    target.follow_ups += int(follow_ups)
    target.signups += int(signups)
    target.days_to_sign_total += float(days or 0)
    target.approval_passed += int(passed)
    target.approval_decided += int(decided)
    target.debits_due += int(due)
    target.debits_overdue += int(late)


def kpis(session: Session, viewer: Employee, date_from: date, date_to: date) -> tuple[list[KpiRow], list[KpiRow]]:
    """The KPIs of the Beijing days date_from..date_to per product (customers by the product they asked for, orders
    by the product signed) and per channel (the customer's first channel), in the viewer's scope, most leads first:
    four grouped queries (customers, their follow-ups, orders, settlements left to direct debit), each grouped by
    product and channel together and added up into both tables here."""
    since, until = _window(date_from, date_to)
    session.flush()
    customers, orders, overdue = reg.SOURCES["customers"], reg.SOURCES["orders"], reg.SOURCES["overdue"]
    converted = Customer.stage.in_(customer_service.CONVERTED_STAGES)
    # customers name the product they asked for by id, orders by code: one key, the code
    codes = dict(session.execute(select(LoanProduct.id, LoanProduct.code)).all())
    found: list[tuple] = []
    for p, c, leads, signed in _grouped(session, viewer, customers, [func.count(), func.count().filter(converted)],
                                        since, until):
        found.append((codes.get(p), c, dict(leads=leads, signed=signed)))
    for p, c, n in _grouped(session, viewer, customers, [func.count(FollowUp.id)], since, until,
                            base=Customer.__table__.join(FollowUp, FollowUp.customer_id == Customer.id)):
        found.append((codes.get(p), c, dict(follow_ups=n)))
    for p, c, n, days, passed, decided in _grouped(session, viewer, orders, [
            func.count(), func.coalesce(func.sum(reg.days_between(Customer.created_at, Order.signed_at)), 0),
            func.count().filter(Order.status.in_(DISBURSED)), func.count().filter(Order.status.in_(DECIDED))],
            since, until, customer_join=True):
        found.append((p, c, dict(signups=n, days=days, passed=passed, decided=decided)))
    for p, c, due, late in _grouped(session, viewer, overdue, [func.count(), func.count().filter(reg.OWING > 0)],
                                    since, until, customer_join=True):
        found.append((p, c, dict(due=due, late=late)))
    tables = []
    for index, by in ((0, "product"), (1, "channel")):
        rows: dict = {}
        for figures in found:
            k = figures[index]
            _add(rows.setdefault(k, KpiRow(key=k, name="")), **figures[2])
        names = names_of(session, by, "orders" if by == "product" else "customers", set(rows))
        for k, r in rows.items():
            r.name = names.get(k, unnamed(by))
        tables.append(sorted(rows.values(), key=lambda r: (-r.leads, -r.signups, r.name)))
    return tables[0], tables[1]
