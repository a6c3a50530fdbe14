"""Reimbursements: entered by staff, confirmed and paid by finance (posted), voided and resubmitted, listed."""

from __future__ import annotations

from backoffice.ledger import service as ledger
from tests.factories.backoffice import signed
from tests.factories.org import auth


def test_enter_confirm_pay_void_resubmit_and_list(db, client, world):
    w = world
    order = signed(db, w)
    body = {"customer_id": order.customer_id, "order_id": order.id, "cost_type": "processing", "category": "交通",
            "amount": "86.50", "spent_on": "2026-11-20", "remark": "去银行面签"}
    r = client.post("/api/backoffice/reimbursements", json=body, headers=auth(w.sales))
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["agreement_no"], first["funder_type"], first["amount"], first["status"], first["confirmed"]) == (
        order.agreement_no, "bank", "86.50", "submitted", False)
    assert client.post("/api/backoffice/reimbursements", json=body | {"amount": "0"},
                       headers=auth(w.sales)).status_code == 422
    other = client.post("/api/backoffice/reimbursements", json=body, headers=auth(w.other_sales))
    assert other.status_code == 404  # not their customer

    rid = first["id"]
    assert client.post(f"/api/backoffice/reimbursements/{rid}/confirm", headers=auth(w.sales)).status_code == 403
    assert client.post(f"/api/backoffice/reimbursements/{rid}/pay", json={"payer": "cash"},
                       headers=auth(w.finance)).status_code == 409  # not confirmed yet
    r = client.post(f"/api/backoffice/reimbursements/{rid}/confirm", headers=auth(w.finance))
    assert r.json()["confirmed"] is True
    r = client.post(f"/api/backoffice/reimbursements/{rid}/pay", json={"payer": "online_bank"}, headers=auth(w.finance))
    assert r.json()["status"] == "paid" and r.json()["payer"] == "online_bank"
    assert ledger.balances(db)["reimbursement_expense"] == 8650 and ledger.balances(db)["bank"] == -8650
    assert client.post(f"/api/backoffice/reimbursements/{rid}/void", json={"reason": "x"},
                       headers=auth(w.finance)).status_code == 409  # paid: too late

    second = client.post("/api/backoffice/reimbursements", json=body | {"cost_type": "marketing", "category": "办公用品"},
                         headers=auth(w.sales)).json()
    assert client.post(f"/api/backoffice/reimbursements/{second['id']}/void", json={"reason": "录错"},
                       headers=auth(w.other_sales)).status_code == 404
    assert client.post(f"/api/backoffice/reimbursements/{second['id']}/resubmit", json={},
                       headers=auth(w.sales)).status_code == 409  # not voided
    assert client.post(f"/api/backoffice/reimbursements/{second['id']}/void", json={"reason": "金额录错"},
                       headers=auth(w.sales)).json()["status"] == "voided"
    r = client.post(f"/api/backoffice/reimbursements/{second['id']}/resubmit", json={"amount": "45"},
                    headers=auth(w.sales))
    assert r.status_code == 201 and r.json()["resubmits_id"] == second["id"] and r.json()["amount"] == "45.00"

    page = client.get("/api/backoffice/reimbursements?limit=2", headers=auth(w.finance)).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert [i["status"] for i in client.get("/api/backoffice/reimbursements?status=voided",
                                            headers=auth(w.finance)).json()["items"]] == ["voided"]
    marketing = client.get("/api/backoffice/reimbursements?cost_type=marketing", headers=auth(w.sales)).json()
    assert marketing["total"] == 2 and {i["entered_by_name"] for i in marketing["items"]} == {w.sales.name}
    assert client.get("/api/backoffice/reimbursements", headers=auth(w.other_sales)).json()["total"] == 0
