"""The customer fills in their own credit and income details in the mini-program: recorded as theirs on the timeline,
scored and checked against the rules like a salesperson's entry, and showing them no score or decision."""

from __future__ import annotations

from sqlalchemy import select

from scrm.customers.models import TimelineEntry
from tests.factories.customers import make_customer
from tests.factories.mandates import customer_auth
from tests.factories.org import auth
from tests.risk.conftest import write_seed_rules


def test_a_customer_fills_in_their_own_facts(client, db, staff):
    customer = make_customer(db, staff.sales, "自助")
    write_seed_rules(client, staff)
    assert client.get("/mp/risk/facts", headers=customer_auth(customer)).json()["materials"] == []

    answer = client.patch("/mp/risk/facts", headers=customer_auth(customer),
                          json={"monthly_income_fen": 1_000_000, "total_debt_fen": 9_000_000, "materials": ["id_card"]})

    assert answer.status_code == 200, answer.text
    assert answer.json()["monthly_income_fen"] == 1_000_000 and "score" not in answer.json()
    assert client.patch("/mp/risk/facts", headers=customer_auth(customer), json={"score": 100}).status_code == 422
    entry = db.scalars(select(TimelineEntry).where(TimelineEntry.customer_id == customer.id,
                                                   TimelineEntry.kind == "risk_facts_changed")).one()
    assert entry.actor_employee_id is None and entry.summary.startswith("客户本人更新风控资料")
    risk = client.get(f"/api/customers/{customer.id}/risk", headers=auth(staff.sales)).json()
    assert risk["facts"]["debt_ratio"] == "75.00"
    assert sorted(f["rule_name"] for f in risk["firings"]) == ["负债率过高", "资料缺少关键项", "资质评分不足"]  # score 40
