"""The same 财务业绩 figures on PostgreSQL and on the embedded SQLite default (days to disbursement are counted
in SQL differently on each: a Beijing date on both), and the expenses by month on both."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from backoffice.budgets import service as budget_service
from backoffice.orders.models import FunderType
from backoffice.reports import service as report_service
from backoffice.settlements import service as settlement_service
from tests.factories.backoffice import make_world
from tests.factories.performance import Case, beijing, beijing_today, drive, expected


def test_figures_agree_on_both_databases(committed_any):
    db = committed_any
    w = make_world(db)
    cases = [drive(db, w, c) for c in (
        Case(w.sales, "credit", FunderType.bank, 20_000_000, beijing(2026, 11, 2), 18_000_000, date(2026, 11, 20),
             settle=True, discount_per_loan_fen=15_000, loans=2, rebate_fen=50_000),
        # 04:00 in Beijing on 5 November is 4 November in UTC: 20 days, not 21
        Case(w.sales, "house_mortgage", FunderType.microloan, 100_000_000, beijing(2026, 11, 5, 4), 90_000_000,
             date(2026, 11, 25)),
        Case(w.other_sales, "credit", FunderType.consumer_finance, 5_000_000, beijing(2026, 11, 8)),
    )]
    settlement_service.current_settlement(db, cases[0].order.id).closed_at = beijing(2026, 11, 30, 23)
    db.commit()
    period = report_service.Period(date(2026, 11, 1), beijing_today())
    rows = report_service.performance(db, w.finance, period, "employee")
    got = {r.key: {"signups": r.signups, "signed_amount": f"{r.signed_fen / 100:.2f}",
                   "disbursed_count": r.disbursed_count, "disbursed_amount": f"{r.disbursed_fen / 100:.2f}",
                   "revenue": f"{r.revenue_fen / 100:.2f}", "success_rate": r.success_rate,
                   "average_days": None if r.average_days is None else str(r.average_days)} for r in rows}
    assert got == expected(cases, lambda c: c.salesperson.id)
    assert [r.average_days for r in rows if r.key == w.sales.id] == [Decimal("19.0")]

    spent = budget_service.expenses(db, w.finance, "2026-11", "2026-11")
    assert [(r.category, r.month, r.amount_fen) for r in spent] == [("返点", "2026-11", 50_000)]
