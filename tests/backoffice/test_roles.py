"""Every back-office action refused to the roles that may not take it (403), before anything is looked up."""

from __future__ import annotations

import pytest

from tests.factories.org import auth

FINANCE_ONLY = [
    ("post", "/api/backoffice/orders/1/confirm", None),
    ("post", "/api/backoffice/orders/1/correct", {"reason": "x"}),
    # a sign-up's amounts are set and corrected by finance only
    ("patch", "/api/backoffice/orders/1", {"deposit": "1"}),
    ("post", "/api/backoffice/orders/1/deposit", {"processor_id": 1}),
    ("post", "/api/backoffice/refunds/1/confirm", {}),
    ("post", "/api/backoffice/refunds/1/reject", {"note": "x"}),
    ("post", "/api/backoffice/orders/1/borrowings", {"principal": "1", "lent_on": "2026-11-01", "annual_rate": "1"}),
    ("post", "/api/backoffice/borrowings/1/repay", {"on": "2026-11-01"}),
    ("patch", "/api/backoffice/settlements/1", {}),
    ("post", "/api/backoffice/settlements/1/fees", {"name": "下户费", "amount": "1"}),
    ("post", "/api/backoffice/settlements/1/expenses", {"kind": "rebate", "payee": "x", "amount": "1"}),
    ("post", "/api/backoffice/settlements/1/expenses/1/confirm", {}),
    ("post", "/api/backoffice/settlements/1/close", {}),
    ("post", "/api/backoffice/settlements/1/void", {"reason": "x"}),
    ("get", "/api/backoffice/settlements/1/amount-due", None),
    ("post", "/api/backoffice/reimbursements/1/confirm", None),
    ("post", "/api/backoffice/reimbursements/1/pay", {"payer": "cash"}),
]
PROCESSOR_ONLY = [
    ("post", "/api/backoffice/orders/1/follow-ups", {"content": "x"}),
    ("post", "/api/backoffice/orders/1/disburse", {"amount": "1", "disbursed_on": "2026-11-01", "funder_name": "x"}),
    ("post", "/api/backoffice/orders/1/deposit/refunds", {"amount": "1", "reason": "x"}),
]


@pytest.mark.parametrize("method,path,body", FINANCE_ONLY)
def test_finance_actions_refused_to_other_roles(db, client, world, method, path, body):
    for who in (world.sales, world.processor, world.supervisor):
        r = client.request(method, path, json=body, headers=auth(who))
        assert r.status_code == 403, (who.role, r.text)


@pytest.mark.parametrize("method,path,body", PROCESSOR_ONLY)
def test_processing_actions_refused_to_other_roles(db, client, world, method, path, body):
    for who in (world.sales, world.finance, world.supervisor, world.manager):
        r = client.request(method, path, json=body, headers=auth(who))
        assert r.status_code == 403, (who.role, r.text)


def test_sign_up_is_for_sales_and_review_for_supervisors(db, client, world):
    body = {"customer_id": 1, "product_code": "credit", "funder_type": "bank", "amount_applied": "1"}
    for who in (world.finance, world.processor, world.supervisor, world.manager):
        assert client.post("/api/backoffice/orders", json=body, headers=auth(who)).status_code == 403
    for who in (world.sales, world.finance, world.processor):
        assert client.post("/api/backoffice/orders/1/review", json={}, headers=auth(who)).status_code == 403
    assert client.get("/api/backoffice/reports/performance?date_from=2026-11-01&date_to=2026-11-30",
                      headers=auth(world.processor)).status_code == 403
    assert client.get("/api/backoffice/orders").status_code == 401
