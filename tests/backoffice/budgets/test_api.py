"""Expenses by branch: confirmed reimbursements and closed settlements' expenses per centre, department,
category and month; the budget a manager sets per centre and month, and the share used; the scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backoffice.budgets.models import ExpenseBudget
from backoffice.orders.models import FunderType
from backoffice.settlements import service as settlement_service
from scrm.org.models import DataScope, Department, Role
from tests.factories.org import auth, make_employee
from tests.factories.performance import Case, beijing, drive

NOV = "month_from=2026-11&month_to=2026-11"


def _claim(client, w, customer_id: int, cost_type: str, category: str, amount: str, *, confirm: bool = True):
    body = {"customer_id": customer_id, "cost_type": cost_type, "category": category, "amount": amount,
            "spent_on": "2026-11-15"}
    r = client.post("/api/backoffice/reimbursements", json=body, headers=auth(w.sales))
    assert r.status_code == 201, r.text
    if confirm:
        client.post(f"/api/backoffice/reimbursements/{r.json()['id']}/confirm", headers=auth(w.finance))
    return r.json()


def test_expenses_by_branch_and_the_share_of_the_budget_used(db, client, world):
    w = world
    customer = w.customer(db)
    _claim(client, w, customer.id, "marketing", "广告", "300.00")
    _claim(client, w, customer.id, "processing", "交通", "86.50")
    _claim(client, w, customer.id, "processing", "交通", "999.00", confirm=False)  # not confirmed: not spent yet
    case = drive(db, w, Case(w.sales, "credit", FunderType.bank, 20_000_000, beijing(2026, 11, 2), 18_000_000,
                             date(2026, 11, 20), settle=True, rebate_fen=50_000))
    settlement = settlement_service.current_settlement(db, case.order.id)
    settlement.closed_at = beijing(2026, 11, 30, 23)  # 30 November in Beijing, still a November expense
    db.flush()
    center = db.get(Department, w.dept_id).center_id
    dept = db.get(Department, w.dept_id).name

    r = client.get(f"/api/backoffice/expenses?{NOV}", headers=auth(w.finance))
    assert r.status_code == 200, r.text
    rows = [(x["center_id"], x["department"], x["category"], x["month"], x["amount"]) for x in r.json()["rows"]]
    assert sorted(rows) == sorted([(center, dept, "做单成本·交通", "2026-11", "86.50"),
                                   (center, dept, "营销成本·广告", "2026-11", "300.00"),
                                   (center, dept, "返点", "2026-11", "500.00")])
    assert r.json()["budgets"] == [{"center_id": center, "center": r.json()["budgets"][0]["center"],
                                    "month": "2026-11", "budget": None, "spent": "886.50", "share_used": None}]
    assert client.get("/api/backoffice/expenses?month_from=2026-12&month_to=2026-12",
                      headers=auth(w.finance)).json()["rows"] == []

    # a manager sets the centre's budget for November; setting it again replaces it (one row)
    put = client.put("/api/backoffice/budgets", json={"center_id": center, "month": "2026-11", "amount": "5000"},
                     headers=auth(w.manager))
    assert put.status_code == 200, put.text
    assert (put.json()["budget"], put.json()["spent"], put.json()["share_used"]) == ("5000.00", "886.50", 0.1773)
    again = client.put("/api/backoffice/budgets", json={"center_id": center, "month": "2026-11", "amount": "886.50"},
                       headers=auth(w.manager))
    assert again.json()["share_used"] == 1.0
    assert db.scalar(select(func.count()).select_from(ExpenseBudget)) == 1
    listed = client.get(f"/api/backoffice/expenses?{NOV}&center_id={center}", headers=auth(w.manager)).json()
    assert [(b["budget"], b["share_used"]) for b in listed["budgets"]] == [("886.50", 1.0)]


def test_budget_input_and_scope(db, client, world):
    w = world
    mine = db.get(Department, w.dept_id).center_id
    theirs = db.get(Department, w.other_sales.department_id).center_id
    head = make_employee(db, role=Role.manager, department=db.get(Department, w.dept_id))
    head.scope = DataScope.center
    db.flush()
    body = {"center_id": mine, "month": "2026-11", "amount": "100"}
    assert client.put("/api/backoffice/budgets", json=body, headers=auth(w.finance)).status_code == 403
    assert client.put("/api/backoffice/budgets", json=body, headers=auth(w.sales)).status_code == 403
    other = client.put("/api/backoffice/budgets", json=body | {"center_id": theirs}, headers=auth(head))
    assert other.status_code == 403
    for change, field in (({"month": "2026-13"}, "month"), ({"amount": "-1"}, "amount"),
                          ({"center_id": 999999}, "center_id"), ({"amount": "0.001"}, "amount")):
        r = client.put("/api/backoffice/budgets", json=body | change, headers=auth(head))
        assert r.status_code == 422 and r.json()["field"] == field, (change, r.text)
    assert db.scalar(select(func.count()).select_from(ExpenseBudget)) == 0
    assert client.put("/api/backoffice/budgets", json=body, headers=auth(head)).status_code == 200
    # the centre manager reads their centre only
    assert client.get(f"/api/backoffice/expenses?{NOV}&center_id={theirs}", headers=auth(head)).status_code == 403
    assert client.get(f"/api/backoffice/expenses?{NOV}&department_id={w.other_sales.department_id}",
                      headers=auth(head)).status_code == 403
    seen = client.get(f"/api/backoffice/expenses?{NOV}", headers=auth(head)).json()["budgets"]
    assert [b["center_id"] for b in seen] == [mine]
    bad = client.get("/api/backoffice/expenses?month_from=2026-11&month_to=2026-10", headers=auth(head))
    assert bad.status_code == 422 and bad.json()["field"] == "month_to"
