"""财务业绩 with its filters: the figures per centre, department, employee, product and funder type equal the ones
counted by hand from the orders created here and the journal's revenue; every filter narrows them; bad filter
values are a 422 naming the field; a centre manager sees their centre only and is refused another (403)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.ledger.models import JournalEntry, JournalLine
from backoffice.orders.models import FunderType
from backoffice.reports.service import REVENUE_ACCOUNTS
from scrm.org.models import DataScope, Department, Role
from tests.factories.org import auth, make_employee
from tests.factories.performance import Case, beijing, beijing_today, drive, expected

TODAY = beijing_today().isoformat()
BASE = f"/api/backoffice/reports/performance?date_from=2026-11-01&date_to={TODAY}"


@pytest.fixture
def cases(db, world):
    w = world
    made = [
        # 180,000 disbursed: fee 5,400, less 150.00 × 2 loans and a 500.00 rebate
        Case(w.sales, "credit", FunderType.bank, 20_000_000, beijing(2026, 11, 2), 18_000_000, date(2026, 11, 20),
             settle=True, discount_per_loan_fen=15_000, loans=2, rebate_fen=50_000),
        # signed at 04:00 Beijing on 5 November (still 4 November in UTC): 20 days to disbursement, not 21
        Case(w.sales, "house_mortgage", FunderType.microloan, 100_000_000, beijing(2026, 11, 5, 4), 90_000_000,
             date(2026, 11, 25)),
        Case(w.sales, "credit", FunderType.consumer_finance, 5_000_000, beijing(2026, 11, 8)),
        Case(w.other_sales, "car_mortgage", FunderType.bank, 10_000_000, beijing(2026, 11, 10), 10_000_000,
             date(2026, 11, 28), settle=True),
    ]
    return [drive(db, w, c) for c in made]


def _center(db, employee) -> int:
    return db.get(Department, employee.department_id).center_id


def _rows(client, staff, query: str = "") -> list[dict]:
    r = client.get(BASE + query, headers=auth(staff))
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def _figures(rows: list[dict]) -> dict:
    keep = ("signups", "signed_amount", "disbursed_count", "disbursed_amount", "revenue", "success_rate",
            "average_days")
    return {r["key"]: {k: r[k] for k in keep} for r in rows if r["signups"] or r["disbursed_count"] or r["revenue"]
            != "0.00"}


def test_figures_per_grouping_equal_the_orders_counted_by_hand_and_the_journal(db, client, world, cases):
    w = world
    keys = {"center": lambda c: _center(db, c.salesperson), "department": lambda c: c.salesperson.department_id,
            "employee": lambda c: c.salesperson.id, "product": lambda c: c.product,
            "funder_type": lambda c: c.funder.value}
    for group_by, key in keys.items():
        assert _figures(_rows(client, w.finance, f"&group_by={group_by}")) == expected(cases, key), group_by

    names = {r["key"]: r["name"] for r in _rows(client, w.finance, "&group_by=funder_type")}
    assert names == {"bank": "银行", "consumer_finance": "消金", "credit_insurance": "信保", "microloan": "小贷"}
    products = {r["key"]: r["name"] for r in _rows(client, w.finance, "&group_by=product")}
    assert products == {"credit": "信用贷", "house_mortgage": "房抵贷", "car_mortgage": "车抵贷"}

    # the revenue is the journal's: the revenue accounts' lines of these orders' entries
    journal = db.scalar(select(func.sum(JournalLine.credit_fen - JournalLine.debit_fen))
                        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                        .where(JournalEntry.order_id.in_([c.order.id for c in cases]),
                               JournalLine.account.in_(REVENUE_ACCOUNTS)))
    total = client.get(BASE, headers=auth(w.finance)).json()["total"]
    assert total["revenue"] == f"{journal / 100:.2f}" == "7600.00"  # 5,400 − 300 − 500 + 3,000
    assert (total["signups"], total["disbursed_count"], total["success_rate"], total["average_days"]) == (
        4, 3, 0.75, "18.7")  # (18 + 20 + 18) / 3


def test_every_filter_narrows_the_figures(db, client, world, cases):
    w = world
    other_center = _center(db, w.other_sales)
    filters = {
        f"&center_id={other_center}": lambda c: _center(db, c.salesperson) == other_center,
        f"&department_id={w.dept_id}": lambda c: c.salesperson.department_id == w.dept_id,
        f"&employee_id={w.sales.id}": lambda c: c.salesperson.id == w.sales.id,
        "&product_code=credit": lambda c: c.product == "credit",
        "&funder_type=bank": lambda c: c.funder == FunderType.bank,
        f"&funder_type=bank&employee_id={w.sales.id}": lambda c: c.funder == FunderType.bank and
        c.salesperson.id == w.sales.id,
    }
    for query, keep in filters.items():
        chosen = [c for c in cases if keep(c)]
        got = _figures(_rows(client, w.finance, query + "&group_by=employee"))
        assert got == expected(chosen, lambda c: c.salesperson.id), query
        assert 0 < len(chosen) < len(cases) or query.startswith("&funder_type=bank&")


def test_bad_filter_values_are_422_naming_the_field(client, world, cases):
    w = world
    for query, field in (("&center_id=999999", "center_id"), ("&department_id=999999", "department_id"),
                         ("&employee_id=999999", "employee_id"), ("&product_code=nope", "product_code"),
                         ("&funder_type=pawnshop", "funder_type"), ("&group_by=planet", "group_by"),
                         ("&center_id=abc", "center_id")):
        r = client.get(BASE + query, headers=auth(w.finance))
        assert r.status_code == 422 and r.json()["field"] == field, (query, r.text)
    # a date outside 2000–2099 (the first day of year 1 or the last of 9999 would overflow a Beijing midnight)
    for query, field in (("date_from=0001-01-01&date_to=2026-11-30", "date_from"),
                         ("date_from=2026-11-01&date_to=9999-12-31", "date_to")):
        r = client.get(f"/api/backoffice/reports/performance?{query}", headers=auth(w.finance))
        assert r.status_code == 422 and r.json()["field"] == field, (query, r.text)
        r = client.get(f"/api/backoffice/reports/funnel?{query}", headers=auth(w.finance))
        assert r.status_code == 422 and r.json()["field"] == field, (query, r.text)


def test_a_centre_manager_sees_their_centre_and_is_refused_another(db, client, world, cases):
    w = world
    head = make_employee(db, role=Role.manager, department=db.get(Department, w.dept_id))
    head.scope = DataScope.center
    db.flush()
    mine, theirs = _center(db, w.sales), _center(db, w.other_sales)
    rows = _rows(client, head, "&group_by=center")
    assert [r["key"] for r in rows] == [mine]
    assert _figures(rows) == expected([c for c in cases if c.salesperson.id == w.sales.id],
                                      lambda c: _center(db, c.salesperson))
    for query in (f"&center_id={theirs}", f"&department_id={w.other_sales.department_id}",
                  f"&employee_id={w.other_sales.id}"):
        assert client.get(BASE + query, headers=auth(head)).status_code == 403, query
    assert client.get(BASE + f"&center_id={mine}", headers=auth(head)).status_code == 200
    assert client.get(BASE, headers=auth(w.sales)).status_code == 403
