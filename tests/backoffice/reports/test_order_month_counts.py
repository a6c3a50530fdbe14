"""财务业绩 at a million orders reads whole Beijing months from the month counts (``order_month``, kept by triggers
on PostgreSQL and on the embedded SQLite default) and the days around them from the orders and the journal. The
figures must equal those counted by hand from every order and journal line, for any period, any viewer's scope,
every grouping, after every kind of change to an order or the journal, before and after folding, and under
concurrent writers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select, update

from backoffice.ledger.models import JournalEntry, JournalLine
from backoffice.orders import service as order_service
from backoffice.orders.models import FunderType, Order, OrderStatus
from backoffice.reports import service as report_service
from backoffice.reports.builder import registry
from backoffice.reports.builder import service as builder
from backoffice.reports.models import KEY, OrderMonth
from scrm.core import db as scrm_db
from scrm.org.models import DataScope, Role
from tests.conftest import race
from tests.factories.backoffice import make_world
from tests.factories.org import make_department, make_employee
from tests.factories.performance import Case, beijing, drive

BEIJING = timezone(timedelta(hours=8))
GROUPINGS = ("center", "department", "employee", "product", "funder_type")
# whole months, parts of months, one day either side of a Beijing month start, and everything
PERIODS = [(date(2026, 9, 1), date(2026, 12, 31)), (date(2026, 10, 1), date(2026, 10, 31)),
           (date(2026, 10, 15), date(2026, 11, 10)), (date(2026, 9, 30), date(2026, 10, 1)),
           (date(2026, 11, 1), date(2026, 11, 1)), (date(2026, 8, 20), date(2026, 11, 30)),
           (date(2000, 1, 1), date(2099, 12, 31))]


def _expected(db, viewer, start: date, end: date, group_by: str) -> dict:
    """The oracle: every order in the viewer's scope and every revenue line read back and added up in Python."""
    orders = {o.id: o for o in db.scalars(select(Order).where(order_service.order_condition(db, viewer))
                                          .execution_options(populate_existing=True))}
    key = {"center": lambda o: o.center_id, "department": lambda o: o.department_id,
           "employee": lambda o: o.salesperson_id, "product": lambda o: o.product_code,
           "funder_type": lambda o: o.funder_type.value}[group_by]
    out: dict = defaultdict(lambda: [0] * 7)
    for o in orders.values():
        signed_on = o.signed_at.astimezone(BEIJING).date()
        if o.status != OrderStatus.voided and start <= signed_on <= end:
            g = out[key(o)]
            g[0] += 1
            g[1] += o.amount_applied_fen
            g[2] += o.status in report_service.DISBURSED
        if o.status in report_service.DISBURSED and o.disbursed_on and start <= o.disbursed_on <= end:
            g = out[key(o)]
            g[3] += 1
            g[4] += o.disbursed_amount_fen
            g[5] += (o.disbursed_on - signed_on).days
    lines = db.execute(select(JournalEntry.order_id, JournalEntry.posted_at,
                              JournalLine.credit_fen - JournalLine.debit_fen)
                       .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                       .where(JournalLine.account.in_(report_service.REVENUE_ACCOUNTS)))
    for order_id, posted_at, fen in lines:
        if order_id in orders and start <= posted_at.astimezone(BEIJING).date() <= end:
            out[key(orders[order_id])][6] += fen
    return {k: tuple(v) for k, v in out.items() if any(v)}


def _got(db, viewer, start: date, end: date) -> dict:
    views = report_service.performance_views(db, viewer, report_service.Period(start, end), GROUPINGS)
    return {g: {r.key: (r.signups, r.signed_fen, r.reached_disbursement, r.disbursed_count, r.disbursed_fen,
                        r.days_to_disbursement, r.revenue_fen)
                for r in rows if report_service._counted(r)} for g, rows in views.items()}


def _assert_all_agree(db, viewers) -> None:
    db.flush()
    for viewer in viewers:
        for start, end in PERIODS:
            got = _got(db, viewer, start, end)
            for g in GROUPINGS:
                assert got[g] == _expected(db, viewer, start, end, g), (viewer.name, start, end, g)


@pytest.fixture
def world(committed_any):
    db = committed_any
    w = make_world(db)
    third = make_employee(db, "南区销售", role=Role.sales, department=make_department(db, "南区"))
    w.supervisor.scope = DataScope.department
    w.finance.scope = DataScope.all
    people = (w.sales, w.other_sales, third)
    # sign-ups on both sides of Beijing month starts (00:30 Beijing on the 1st is the last day of the month in UTC)
    moments = [beijing(2026, 9, 30, 23), beijing(2026, 10, 1, 0), beijing(2026, 10, 1, 1), beijing(2026, 10, 15),
               beijing(2026, 10, 31, 23), beijing(2026, 11, 1, 0), beijing(2026, 11, 20), beijing(2026, 12, 1, 2)]
    cases = []
    for i, at in enumerate(moments * 2):
        paid = i % 3 != 2
        cases.append(drive(db, w, Case(
            people[i % 3], ("credit", "car_mortgage")[i % 2], list(FunderType)[i % 4], (i + 1) * 1_000_000, at,
            disbursed_fen=(i + 1) * 900_000 if paid else None,
            disbursed_on=at.astimezone(BEIJING).date() + timedelta(days=i % 5) if paid else None,
            settle=paid and i % 2 == 0, rebate_fen=10_000 * (i % 4) if paid and i % 2 == 0 else 0)))
    db.commit()
    viewers = [w.finance, w.supervisor, w.sales, third, w.processor]
    return db, w, third, cases, viewers


def test_month_counts_agree_with_the_orders_and_journal_after_every_kind_of_change(world):
    db, w, third, cases, viewers = world
    _assert_all_agree(db, viewers)
    settled = [c.order for c in cases if c.settle]
    paid = [c.order for c in cases if c.disbursed_fen is not None]
    # voided; handed to someone in another centre, revenue and all; re-coded; signed in another month; paid later
    db.execute(update(Order).where(Order.id == cases[2].order.id).values(status=OrderStatus.voided))
    moved = settled[0]
    db.execute(update(Order).where(Order.id == moved.id).values(
        salesperson_id=third.id, department_id=third.department_id, center_id=99))
    db.execute(update(Order).where(Order.id == settled[1].id).values(product_code="house_mortgage",
                                                                     funder_type=FunderType.other))
    db.execute(update(Order).where(Order.id == paid[1].id).values(signed_at=beijing(2026, 8, 31, 23)))
    db.execute(update(Order).where(Order.id == paid[2].id).values(disbursed_on=date(2026, 12, 30),
                                                                  disbursed_amount_fen=123_456))
    db.execute(update(Order).where(Order.id == paid[3].id).values(status=OrderStatus.refunded))
    # a correction posted to the journal by hand on the 1st, Beijing time, and one revenue line taken back out
    entry = JournalEntry(source_type="manual", source_id=1, order_id=settled[2].id, memo="调整",
                         posted_at=beijing(2026, 11, 1, 0))
    db.add(entry)
    db.flush()
    db.add_all([JournalLine(entry_id=entry.id, account="fee_revenue", credit_fen=77_700),
                JournalLine(entry_id=entry.id, account="bank", debit_fen=77_700)])
    db.flush()
    first_rebate = db.scalar(select(JournalLine.id).join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                             .where(JournalEntry.order_id == settled[3].id, JournalLine.account == "rebate_expense"))
    db.execute(delete(JournalLine).where(JournalLine.id == first_rebate))
    db.commit()
    _assert_all_agree(db, viewers)
    # the voided order back, and all of another order's journal lines deleted
    db.execute(update(Order).where(Order.id == cases[2].order.id).values(status=OrderStatus.signed))
    db.execute(delete(JournalLine).where(JournalLine.entry_id.in_(
        select(JournalEntry.id).where(JournalEntry.order_id == settled[4].id))))
    db.commit()
    _assert_all_agree(db, viewers)


def test_folding_keeps_every_figure_and_leaves_one_row_per_key(world):
    db, w, third, cases, viewers = world
    for c in cases[:6]:
        db.execute(update(Order).where(Order.id == c.order.id).values(product_code="house_mortgage"))
        db.execute(update(Order).where(Order.id == c.order.id).values(product_code=c.product))
    db.commit()
    before = db.scalar(select(func.count()).select_from(OrderMonth))
    folded = report_service.compact_order_months(db)
    db.commit()
    after = db.scalar(select(func.count()).select_from(OrderMonth))
    keys = db.scalar(select(func.count()).select_from(
        select(*[getattr(OrderMonth, k) for k in KEY]).distinct().subquery()))
    assert folded == before and after == keys < before
    _assert_all_agree(db, viewers)
    report_service.compact_order_months(db)
    db.commit()
    assert db.scalar(select(func.count()).select_from(OrderMonth)) == after
    _assert_all_agree(db, viewers)


def test_a_period_in_beijing_days_counts_an_order_signed_at_half_past_midnight_on_the_first(world):
    db, w, third, cases, viewers = world
    october = report_service.Period(date(2026, 10, 1), date(2026, 10, 31))
    rows = report_service.performance(db, w.finance, october, "center")
    signed_in_october = [c for c in cases if c.signed_at.astimezone(BEIJING).date().month == 10]
    # 00:00 and 01:00 Beijing on 1 October are still 30 September in UTC; 23:00 on 30 September is not October
    assert sum(r.signups for r in rows) == len(signed_in_october) == 8


def test_concurrent_order_changes_and_folds_keep_the_figures_exact(world):
    db, w, third, cases, viewers = world
    ids = [c.order.id for c in cases]
    people = [w.sales.id, w.other_sales.id, third.id]

    def change(i: int) -> None:
        session = scrm_db.new_session()
        try:
            if i == 0:
                report_service.compact_order_months(session)
            else:
                # each thread re-assigns orders of its own to salespeople the others also assign to, in opposite
                # orders: counters updated in place would lock each other here
                mine = ids[i - 1::4]
                for order_id in (mine if i % 2 else mine[::-1]):
                    session.execute(update(Order).where(Order.id == order_id)
                                    .values(salesperson_id=people[(order_id + i) % 3], product_code="house_mortgage"))
            session.commit()
        finally:
            session.close()

    results = race(5, change)
    assert [r for r in results if isinstance(r, BaseException)] == []
    db.rollback()
    db.expire_all()
    _assert_all_agree(db, viewers)


def test_the_triggers_are_in_place_on_a_migrated_database(committed_any):
    db = committed_any
    w = make_world(db)
    drive(db, w, Case(w.sales, "credit", FunderType.bank, 5_000_000, datetime(2026, 10, 9, tzinfo=timezone.utc)))
    db.commit()
    assert db.scalar(select(func.sum(OrderMonth.signed_fen)).where(OrderMonth.month == date(2026, 10, 1))) == 5_000_000


def _builder_from_tables(db, viewer, definition: builder.Definition) -> dict:
    """The oracle for the report builder: the source's own rows over the whole period, grouped in the database."""
    measure = registry.MEASURES[definition.measure]
    start, end = builder.period_of(definition.filters)
    since = datetime.combine(start, time.min, BEIJING)
    until = datetime.combine(end + timedelta(days=1), time.min, BEIJING)
    unit = registry.DIMENSIONS[definition.dimension].unit
    out = {}
    for k, *values, n in builder._table_rows(db, viewer, measure, definition, [(since, until)]):
        if n:
            out[registry.key_text(k, unit) if unit and k is not None else getattr(k, "value", k)] = tuple(values)
    return out


def test_saved_reports_read_from_the_month_counts_equal_the_tables(world):
    db, w, third, cases, viewers = world
    db.execute(update(Order).where(Order.id == cases[3].order.id).values(
        salesperson_id=third.id, department_id=third.department_id))
    db.execute(update(Order).where(Order.id == cases[4].order.id).values(status=OrderStatus.refunded))
    db.commit()
    report_service.compact_order_months(db)
    db.commit()
    measures = [m for m in registry.MEASURES.values() if m.month_columns]
    assert {m.source for m in measures} == {"orders", "disbursed", "revenue"}
    periods = [{"date_from": "2026-09-01", "date_to": "2026-12-31"},
               {"date_from": "2026-09-30", "date_to": "2026-11-01"},
               {"date_from": "2026-10-01", "date_to": "2026-10-31", "funder_type": "bank"},
               {"date_from": "2026-08-01", "date_to": "2027-01-31", "employee_id": w.sales.id}]
    checked = 0
    for viewer in (w.finance, w.supervisor, third):
        for m in measures:
            for dimension in registry.MONTH_KEYS:
                for filters in periods:
                    definition = builder.check({"measure": m.key, "dimension": dimension, "filters": filters})
                    if definition.filters.get("employee_id") and viewer is third:
                        continue
                    result = builder.run(db, viewer, definition)
                    got = {r.key: (r.numerator, r.denominator) if m.kind == "rate" else
                           (int(r.value * 100) if m.kind == "amount" else r.value,) for r in result.rows}
                    assert got == _builder_from_tables(db, viewer, definition), (viewer.name, m.key, dimension, filters)
                    checked += bool(got)
    assert checked > 100
