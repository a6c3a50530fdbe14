"""Through the served app on PostgreSQL and on the embedded default: six managers setting one centre's budget
for a month at once leave one row holding one of their amounts; a type deleted while an expense of it is being
added is either refused (409, the expense stays) or gone before the expense (422): no expense of a deleted type."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from backoffice.budgets.models import ExpenseBudget
from backoffice.settlements.models import ExpenseType, SettlementExpense
from scrm.org.models import Department, Role
from tests.conftest import race
from tests.factories.backoffice import disbursed, make_world
from tests.factories.org import auth, make_employee


def test_six_budgets_set_at_once_leave_one_row(committed_any, served_any):
    db = committed_any
    w = make_world(db)
    managers = [make_employee(db, role=Role.manager, department=db.get(Department, w.dept_id)) for _ in range(6)]
    center = db.get(Department, w.dept_id).center_id
    db.commit()
    url = f"{served_any.url}/api/backoffice/budgets"

    answers = race(6, lambda i: httpx.put(url, headers=auth(managers[i]), timeout=60,
                                          json={"center_id": center, "month": "2026-11", "amount": f"{1000 + i}"}))

    assert [a.status_code for a in answers] == [200] * 6, [(a.status_code, a.text[:160]) for a in answers]
    db.expire_all()
    rows = list(db.scalars(select(ExpenseBudget)))
    assert len(rows) == 1 and rows[0].amount_fen in {(1000 + i) * 100 for i in range(6)}


def test_a_type_deleted_while_an_expense_of_it_is_added(committed_any, served_any):
    db = committed_any
    w = make_world(db)
    settlements = [disbursed(db, w)[1] for _ in range(3)]
    db.commit()
    base = served_any.url
    for n, s in enumerate(settlements):
        made = httpx.post(f"{base}/api/backoffice/expense-types", headers=auth(w.finance), timeout=60,
                          json={"name": f"临时费用{n}", "account": "appraisal_expense"}).json()

        def act(i: int, made=made, s=s):
            if i == 0:
                return httpx.delete(f"{base}/api/backoffice/expense-types/{made['id']}", headers=auth(w.finance),
                                    timeout=60)
            return httpx.post(f"{base}/api/backoffice/settlements/{s.id}/expenses", headers=auth(w.finance),
                              timeout=60, json={"kind": made["code"], "payee": "某公司", "amount": "10"})

        deleted, added = race(2, act)
        assert (deleted.status_code, added.status_code) in {(204, 422), (409, 201)}, (deleted.text, added.text)
    db.expire_all()
    orphans = db.scalar(select(func.count()).select_from(SettlementExpense).where(
        SettlementExpense.kind.not_in(select(ExpenseType.code))))
    assert orphans == 0
