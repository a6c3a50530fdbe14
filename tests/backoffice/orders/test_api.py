"""The order flow through the HTTP API: roles (403), scope (404), illegal steps (409), money as strings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from backoffice.ledger import service as ledger
from scrm.customers import service as customer_service
from scrm.customers.models import Stage
from tests.factories.common import events_named
from tests.factories.org import auth


def stage_of(db, customer_id: int) -> Stage:
    db.expire_all()
    return customer_service.get(db, customer_id).stage


def sign_body(customer_id: int, **kw) -> dict:
    body = {"customer_id": customer_id, "product_code": "credit", "funder_type": "bank", "amount_applied": "200000",
            "deposit": "5000.00"}
    body.update(kw)
    return body


def test_sign_confirm_review_deposit_process_disburse_settle(db, client, world):
    w = world
    customer = w.customer(db)
    r = client.post("/api/backoffice/orders", json=sign_body(customer.id), headers=auth(w.sales))
    assert r.status_code == 201, r.text
    order = r.json()
    oid = order["id"]
    assert order["agreement_no"].startswith("HT") and order["status"] == "signed"
    assert order["amount_applied"] == "200000.00"
    # the fees come from 信用贷's fee rule: 3%, at least 1,000.00
    assert (order["service_fee_rate"], order["service_fee"], order["service_fee_min"], order["other_fees"],
            order["expected_service_fee"]) == ("3", None, "1000.00", "0.00", "6000.00")
    assert order["customer_phone"].count("*") == 4 and order["settle_pending"] is False
    assert stage_of(db, customer.id) == Stage.signed
    assert events_named(db, "order.signed")[-1] == {
        "order_id": oid, "customer_id": customer.id, "salesperson_employee_id": w.sales.id, "product_code": "credit",
        "funder_type": "bank", "amount_applied_fen": 20_000_000}

    # only finance confirms; only the supervisor reviews, and only after confirmation
    assert client.post(f"/api/backoffice/orders/{oid}/confirm", headers=auth(w.sales)).status_code == 403
    assert client.post(f"/api/backoffice/orders/{oid}/review", json={}, headers=auth(w.supervisor)).status_code == 409
    # amounts are finance's to set: the salesperson's change is refused, finance's is taken
    r = client.patch(f"/api/backoffice/orders/{oid}", json={"deposit": "2000"}, headers=auth(w.sales))
    assert r.status_code == 403
    assert client.patch(f"/api/backoffice/orders/{oid}", json={"deposit": "2000"}, headers=auth(w.finance)).json()[
        "deposit"] == "2000.00"
    assert client.post(f"/api/backoffice/orders/{oid}/confirm", headers=auth(w.finance)).status_code == 200
    assert client.post(f"/api/backoffice/orders/{oid}/confirm", headers=auth(w.finance)).status_code == 409
    r = client.patch(f"/api/backoffice/orders/{oid}", json={"deposit": "1"}, headers=auth(w.finance))
    assert r.status_code == 409 and (r.json()["action"], r.json()["state"], r.json()["allowed"]) == (
        "amend", "confirmed", ["signed"])
    assert client.post(f"/api/backoffice/orders/{oid}/review", json={}, headers=auth(w.finance)).status_code == 403
    assert client.post(f"/api/backoffice/orders/{oid}/review", json={"note": "ok"},
                       headers=auth(w.supervisor)).json()["status"] == "reviewed"

    dep = {"processor_id": w.processor.id, "method": "wechat"}
    assert client.post(f"/api/backoffice/orders/{oid}/deposit", json=dep, headers=auth(w.processor)).status_code == 403
    bad = client.post(f"/api/backoffice/orders/{oid}/deposit", json={"processor_id": w.sales.id},
                      headers=auth(w.finance))
    assert bad.status_code == 422 and bad.json()["field"] == "processor_id"
    r = client.post(f"/api/backoffice/orders/{oid}/deposit", json=dep, headers=auth(w.finance))
    assert r.status_code == 201 and r.json()["received"] == "2000.00"
    assert stage_of(db, customer.id) == Stage.processing

    # the processing specialist of this order works it; another one does not see it
    fu = {"kind": "disbursed_pending", "content": "银行已放款，待结算"}
    assert client.post(f"/api/backoffice/orders/{oid}/follow-ups", json=fu,
                       headers=auth(w.other_processor)).status_code == 404
    disb = {"amount": "180000", "disbursed_on": "2026-11-20", "funder_name": "招商银行", "term_months": 36,
            "repayment_day": 15}
    r = client.post(f"/api/backoffice/orders/{oid}/disburse", json=disb, headers=auth(w.processor))
    assert r.status_code == 409 and "已放款待结算" in r.json()["message"]
    assert client.post(f"/api/backoffice/orders/{oid}/follow-ups", json=fu, headers=auth(w.processor)).status_code == 201
    # a disbursement dated after today (Beijing) is a typing slip: refused, naming the field, nothing written
    tomorrow = (datetime.now(timezone(timedelta(hours=8))).date() + timedelta(days=1)).isoformat()
    r = client.post(f"/api/backoffice/orders/{oid}/disburse", json={**disb, "disbursed_on": tomorrow},
                    headers=auth(w.processor))
    assert r.status_code == 422 and r.json()["field"] == "disbursed_on", r.text
    assert client.get(f"/api/backoffice/orders/{oid}", headers=auth(w.processor)).json()["status"] == "processing"
    r = client.post(f"/api/backoffice/orders/{oid}/disburse", json=disb, headers=auth(w.processor))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["totals"]["service_fee"] == "5400.00"  # 3% of 180000
    assert events_named(db, "loan.disbursed")[-1] == {
        "order_id": oid, "customer_id": customer.id, "amount_fen": 18_000_000, "disbursed_on": "2026-11-20",
        "funder_name": "招商银行", "term_months": 36, "repayment_day": 15}
    listed = client.get("/api/backoffice/orders?status=disbursed", headers=auth(w.finance)).json()
    assert [(o["id"], o["settle_pending"], o["processor_name"]) for o in listed["items"]] == [
        (oid, True, w.processor.name)]

    h = auth(w.finance)
    assert client.patch(f"/api/backoffice/settlements/{sid}", json={"discount_kind": "percent"},
                        headers=auth(w.processor)).status_code == 403
    r = client.patch(f"/api/backoffice/settlements/{sid}", headers=h, json={
        "discount_kind": "percent", "discount_percent": "10", "installment_fee": "300", "payment_method": "alipay"})
    assert r.json()["totals"]["discount"] == "540.00"
    client.post(f"/api/backoffice/settlements/{sid}/fees", json={"name": "下户费", "amount": "200"}, headers=h)
    r = client.post(f"/api/backoffice/settlements/{sid}/expenses", json={"kind": "rebate", "payee": "渠道A",
                                                                         "amount": "1000"}, headers=h)
    expense_id = r.json()["expenses"][0]["id"]
    r = client.post(f"/api/backoffice/settlements/{sid}/close", json={}, headers=h)
    assert r.status_code == 409 and "未确认" in r.json()["message"]
    client.post(f"/api/backoffice/settlements/{sid}/expenses/{expense_id}/confirm", json={"amount": "900"}, headers=h)
    r = client.post(f"/api/backoffice/settlements/{sid}/close", json={}, headers=h)
    assert r.status_code == 200, r.text
    t = r.json()["totals"]
    assert (t["net_service_fee"], t["total_charges"], t["deposit_applied"], t["collected_at_close"], t["amount_due"],
            t["rebates"]) == ("4860.00", "5360.00", "2000.00", "3360.00", "0.00", "900.00")
    assert r.json()["status"] == "closed" and r.json()["expenses"][0]["corrected_from"] == "1000.00"
    assert client.post(f"/api/backoffice/settlements/{sid}/close", json={}, headers=h).status_code == 409
    assert stage_of(db, customer.id) == Stage.settled
    closed = events_named(db, "settlement.closed")[-1]
    assert closed["service_fee_collected_fen"] == 486_000 and closed["disbursed_amount_fen"] == 18_000_000
    entries = client.get(f"/api/backoffice/ledger/orders/{oid}", headers=h).json()
    assert [e["source_type"] for e in entries] == ["deposit.received", "settlement.closed"]
    assert client.get(f"/api/backoffice/ledger/orders/{oid}", headers=auth(w.sales)).status_code == 403
    tb = client.get("/api/backoffice/ledger/trial-balance", headers=h).json()
    assert tb["balanced"] is True
    rows = {row["account"]: row["balance"] for row in tb["rows"]}
    assert rows["fee_revenue"] == "5400.00" and rows["fee_discounts"] == "540.00" and rows["deposits_held"] == "0.00"
    assert rows["bank"] == "4460.00"  # 2000 deposit by WeChat + 3360 by Alipay - 900 rebate
    assert client.get("/api/backoffice/ledger/trial-balance", headers=auth(w.sales)).status_code == 403

    r = client.post(f"/api/backoffice/settlements/{sid}/void", json={"reason": "折扣录错"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["id"] != sid
    assert r.json()["totals"]["discount"] == "540.00" and r.json()["totals"]["deposit_applied"] == "2000.00"
    assert [f["name"] for f in r.json()["fees"]] == ["下户费"]
    assert [(e["amount"], e["confirmed"]) for e in r.json()["expenses"]] == [("900.00", False)]
    assert events_named(db, "settlement.voided")[-1] == {"settlement_id": sid, "order_id": oid,
                                                         "customer_id": customer.id}
    assert stage_of(db, customer.id) == Stage.disbursed
    rows = {row["account"]: row["balance"] for row in
            client.get("/api/backoffice/ledger/trial-balance", headers=h).json()["rows"]}
    assert rows["fee_revenue"] == "0.00" and rows["deposits_held"] == "2000.00" and rows["bank"] == "2000.00"


def test_a_customer_without_an_appointment_cannot_be_signed_and_sales_see_only_their_orders(db, client, world):
    w = world
    lead = w.customer(db, stage=Stage.contacted)
    r = client.post("/api/backoffice/orders", json=sign_body(lead.id), headers=auth(w.sales))
    assert r.status_code == 409 and "预约" in r.json()["message"]
    assert client.post("/api/backoffice/orders", json=sign_body(lead.id), headers=auth(w.finance)).status_code == 403
    r = client.post("/api/backoffice/orders", json=sign_body(w.customer(db).id, service_fee="100"),
                    headers=auth(w.sales))
    assert r.status_code == 422 and r.json()["field"] == "service_fee"
    r = client.post("/api/backoffice/orders", json=sign_body(w.customer(db).id, amount_applied="1.234"),
                    headers=auth(w.sales))
    assert r.status_code == 422
    mine = client.post("/api/backoffice/orders", json=sign_body(w.customer(db).id), headers=auth(w.sales)).json()
    theirs_customer = w.customer(db, owner=w.other_sales)
    assert client.post("/api/backoffice/orders", json=sign_body(theirs_customer.id),
                       headers=auth(w.sales)).status_code == 404
    theirs = client.post("/api/backoffice/orders", json=sign_body(theirs_customer.id),
                         headers=auth(w.other_sales)).json()
    assert theirs["agreement_no"] != mine["agreement_no"]
    assert [o["id"] for o in client.get("/api/backoffice/orders", headers=auth(w.sales)).json()["items"]] == [mine["id"]]
    assert client.get(f"/api/backoffice/orders/{theirs['id']}", headers=auth(w.sales)).status_code == 404
    assert client.get("/api/backoffice/orders", headers=auth(w.finance)).json()["total"] == 2
    assert client.get("/api/backoffice/orders?sort=-nothing", headers=auth(w.finance)).status_code == 422
    # the other department's supervisor cannot review it
    assert client.post(f"/api/backoffice/orders/{theirs['id']}/confirm", headers=auth(w.finance)).status_code == 200
    assert client.post(f"/api/backoffice/orders/{theirs['id']}/review", json={},
                       headers=auth(w.supervisor)).status_code == 404


def test_void_and_correction_are_recorded(db, client, world):
    w = world
    customer = w.customer(db)
    order = client.post("/api/backoffice/orders", json=sign_body(customer.id), headers=auth(w.sales)).json()
    oid = order["id"]
    assert client.post(f"/api/backoffice/orders/{oid}/confirm", headers=auth(w.finance)).status_code == 200
    r = client.post(f"/api/backoffice/orders/{oid}/void", json={"reason": "录错"}, headers=auth(w.sales))
    assert r.status_code == 403  # after confirmation only finance
    r = client.post(f"/api/backoffice/orders/{oid}/correct", json={"deposit": "3000", "reason": "定金录错"},
                    headers=auth(w.finance))
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["replaces_order_id"] == oid and new["deposit"] == "3000.00" and new["status"] == "signed"
    assert new["salesperson_id"] == w.sales.id
    old = client.get(f"/api/backoffice/orders/{oid}", headers=auth(w.finance)).json()
    assert old["status"] == "voided" and "定金录错" in old["void_reason"]
    steps = [(h["action"], h["to_status"]) for h in
             client.get(f"/api/backoffice/orders/{oid}/history", headers=auth(w.finance)).json()]
    assert steps == [("create", "signed"), ("confirm", "confirmed"), ("void", "voided")]
    assert client.post(f"/api/backoffice/orders/{oid}/void", json={"reason": "x"},
                       headers=auth(w.finance)).status_code == 409
    assert ledger.trial_balance(db) and ledger.unbalanced_entries(db) == []


def test_the_signed_date_filter_counts_beijing_days(db, client, world):
    """Staff pick dates in Beijing: an order signed at 00:30 on 3 March in Beijing (16:30 on 2 March in UTC) is a
    3 March order in the list, and in no 2 March list."""
    w = world
    oid = client.post("/api/backoffice/orders", json=sign_body(w.customer(db).id), headers=auth(w.sales)).json()["id"]
    db.execute(text("UPDATE bo_order SET signed_at = :at WHERE id = :id"),
               {"at": datetime(2026, 3, 2, 16, 30, tzinfo=timezone.utc), "id": oid})
    db.commit()

    def listed(**days) -> list[int]:
        r = client.get("/api/backoffice/orders", params=days, headers=auth(w.finance))
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["items"]]

    assert listed(signed_from="2026-03-03", signed_to="2026-03-03") == [oid]
    assert listed(signed_from="2026-03-02", signed_to="2026-03-02") == []
    assert listed(signed_to="2026-03-02") == []
    assert listed(signed_from="2026-03-03") == [oid]


def test_ids_no_row_can_have_are_a_422_naming_the_field_and_write_nothing(db, client, world):
    """Found by API fuzzing: a processor id past 2^64 confirming a deposit was refused by the database naming no
    field (a 500 on SQLite before the OverflowError was read as the DataError it is)."""
    w = world
    customer = w.customer(db)
    for change, field in (({"customer_id": 2**64}, "customer_id"),
                          ({"marketing_specialist_id": 2**63}, "marketing_specialist_id")):
        r = client.post("/api/backoffice/orders", json={**sign_body(customer.id), **change}, headers=auth(w.sales))
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert client.get("/api/backoffice/orders", headers=auth(w.finance)).json()["total"] == 0
    oid = client.post("/api/backoffice/orders", json=sign_body(customer.id), headers=auth(w.sales)).json()["id"]
    r = client.patch(f"/api/backoffice/orders/{oid}", json={"marketing_specialist_id": 2**63}, headers=auth(w.finance))
    assert r.status_code == 422 and r.json()["field"] == "marketing_specialist_id"
    r = client.post(f"/api/backoffice/orders/{oid}/deposit", json={"processor_id": 18766668145277730816,
                                                                  "method": "online_bank"}, headers=auth(w.finance))
    assert r.status_code == 422 and r.json()["field"] == "processor_id"
    r = client.post("/api/backoffice/reimbursements", headers=auth(w.sales), json={
        "customer_id": customer.id, "order_id": 2**63, "cost_type": "marketing", "category": "交通", "amount": "10",
        "spent_on": "2026-11-20"})
    assert r.status_code == 422 and r.json()["field"] == "order_id", r.text
    r = client.post("/api/backoffice/debits", headers=auth(w.finance), json={
        "customer_id": customer.id, "due_key": "settlement:1", "amount": "10", "mandate_id": 2**63})
    assert r.status_code == 422 and r.json()["field"] == "mandate_id", r.text
    r = client.put("/api/backoffice/budgets", headers=auth(w.admin), json={"center_id": 2**63, "month": "2026-11",
                                                                         "amount": "10"})
    assert r.status_code == 422 and r.json()["field"] == "center_id", r.text
