"""The payee (收款人) of a reimbursement: name, account and bank; the account encrypted at rest and masked in
every list."""

from __future__ import annotations

from sqlalchemy import text

from backoffice.reimbursements.models import Reimbursement
from tests.factories.org import auth

ACCOUNT = "6222 0212 3456 7890 123"


def test_payee_is_kept_encrypted_and_shown_masked(db, client, world):
    w = world
    customer = w.customer(db)
    body = {"customer_id": customer.id, "cost_type": "processing", "category": "交通", "amount": "86.50",
            "spent_on": "2026-11-20", "payee_name": "李四", "payee_account": ACCOUNT, "payee_bank": "工商银行"}
    r = client.post("/api/backoffice/reimbursements", json=body, headers=auth(w.sales))
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["payee_name"], out["payee_account_masked"], out["payee_bank"]) == ("李四", "**** 0123", "工商银行")
    assert "payee_account" not in out
    listed = client.get("/api/backoffice/reimbursements", headers=auth(w.finance)).json()["items"]
    assert [i["payee_account_masked"] for i in listed] == ["**** 0123"]
    assert "6222021234567890123" not in client.get("/api/backoffice/reimbursements", headers=auth(w.finance)).text

    raw = db.execute(text("SELECT payee_account FROM bo_reimbursement WHERE id = :id"), {"id": out["id"]}).scalar()
    assert raw and "6222" not in raw and "0123" not in raw
    db.expire_all()
    assert db.get(Reimbursement, out["id"]).payee_account == "6222021234567890123"

    for change, field in (({"payee_account": "12ab"}, "payee_account"), ({"payee_name": ""}, "payee_name"),
                          ({"payee_account": "1234567"}, "payee_account")):
        bad = client.post("/api/backoffice/reimbursements", json=body | change, headers=auth(w.sales))
        assert bad.status_code == 422 and bad.json()["field"] == field, (change, bad.text)
    none = client.post("/api/backoffice/reimbursements", json={k: v for k, v in body.items()
                                                               if not k.startswith("payee")}, headers=auth(w.sales))
    assert none.status_code == 201 and none.json()["payee_account_masked"] is None
