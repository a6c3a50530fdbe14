"""Finance's debit API: preview then confirm, the same press answering the same order, list with a status
filter and pages, detail with attempts and changes, reconcile, roles; the notification endpoints."""

from __future__ import annotations

from datetime import datetime

from backoffice.direct_debit.models import DebitStatus
from scrm.core.clock import BEIJING
from tests.factories.mandates import bind_card, customer_auth, sign_papay
from tests.factories.org import auth


def test_preview_confirm_press_again_detail(pay_client, people, sandbox_wechatpay):
    mandate = sign_papay(pay_client, people.bob)
    finance = auth(people.finance)
    body = {"customer_id": people.bob.id, "due_key": "settlement:7", "amount": "3200.50", "description": "服务费"}
    preview = pay_client.post("/api/backoffice/debits", headers=finance, json=body)
    assert preview.status_code == 200, preview.text
    assert preview.json()["mandate_id"] == mandate["id"] and preview.json()["existing_debit_id"] is None
    assert sandbox_wechatpay.deductions() == []

    made = pay_client.post("/api/backoffice/debits", headers=finance, json={**body, "confirm": True})
    assert made.status_code == 201, made.text
    again = pay_client.post("/api/backoffice/debits", headers=finance, json={**body, "confirm": True})
    assert again.json()["id"] == made.json()["id"]
    assert len(sandbox_wechatpay.deductions()) == 1 and sandbox_wechatpay.deductions()[0]["total_fee"] == 320050

    detail = pay_client.get(f"/api/backoffice/debits/{made.json()['id']}", headers=finance).json()
    assert detail["status"] == "succeeded" and detail["amount"] == "3200.50"
    assert [a["status"] for a in detail["attempt_list"]] == ["succeeded"]
    assert [c["to_status"] for c in detail["changes"]] == ["created", "submitted", "succeeded"]
    repeat_preview = pay_client.post("/api/backoffice/debits", headers=finance, json=body).json()
    assert repeat_preview["existing_debit_id"] == made.json()["id"]


def test_list_filter_pages_and_reconcile(pay_client, people, sandbox_wechatpay):
    sign_papay(pay_client, people.bob)
    finance = auth(people.finance)
    sandbox_wechatpay.inject("pay/pappayapply", notify="hold", times=1)
    ids = []
    for n in range(3):
        answer = pay_client.post("/api/backoffice/debits", headers=finance, json={
            "customer_id": people.bob.id, "due_key": f"settlement:{n}", "amount": "10", "confirm": True})
        ids.append(answer.json()["id"])
    page = pay_client.get("/api/backoffice/debits", headers=finance, params={"status": "succeeded", "page_size": 1})
    assert page.json()["total"] == 2 and len(page.json()["items"]) == 1
    second = pay_client.get("/api/backoffice/debits", headers=finance,
                            params={"status": "succeeded", "page_size": 1, "page": 2}).json()
    assert {page.json()["items"][0]["id"], second["items"][0]["id"]} == set(ids[1:])
    waiting = pay_client.get("/api/backoffice/debits", headers=finance, params={"status": "submitted"}).json()
    assert [d["id"] for d in waiting["items"]] == [ids[0]]

    day = sandbox_wechatpay.now().astimezone(BEIJING).date().isoformat()
    rec = pay_client.post("/api/backoffice/debits/reconcile", headers=finance, json={"provider": "papay", "date": day})
    assert rec.status_code == 200 and rec.json()["matched"] == 2 and rec.json()["mismatches"] == []
    reconciled = pay_client.get("/api/backoffice/debits", headers=finance, params={"status": "reconciled"}).json()
    assert reconciled["total"] == 2


def test_roles_and_errors(pay_client, people, sandbox_wechatpay):
    bind_card(pay_client, sandbox_wechatpay, people.alice)
    body = {"customer_id": people.alice.id, "due_key": "settlement:1", "amount": "100", "confirm": True}
    assert pay_client.post("/api/backoffice/debits", headers=auth(people.sales), json=body).status_code == 403
    assert pay_client.get("/api/backoffice/debits", headers=auth(people.sales)).status_code == 403
    assert pay_client.post("/api/backoffice/debits", headers=customer_auth(people.alice), json=body).status_code == 401
    too_much = pay_client.post("/api/backoffice/debits", headers=auth(people.finance), json={**body, "amount": "5000.01"})
    assert too_much.status_code == 422 and too_much.json()["field"] == "amount"
    none = pay_client.post("/api/backoffice/debits", headers=auth(people.finance),
                           json={**body, "customer_id": people.bob.id})
    assert none.status_code == 409 and none.json()["field"] == "customer_id"
    made = pay_client.post("/api/backoffice/debits", headers=auth(people.finance), json=body).json()
    assert made["status"] == "created" and made["provider"] == "bank"  # submitted after the answer is committed
    made = pay_client.get(f"/api/backoffice/debits/{made['id']}", headers=auth(people.finance)).json()
    assert made["status"] == DebitStatus.succeeded.value
    poll = pay_client.post(f"/api/backoffice/debits/{made['id']}/poll", headers=auth(people.finance))
    assert poll.status_code == 409 and (poll.json()["action"], poll.json()["allowed"]) == ("poll", ["submitted", "unknown"])
    assert pay_client.get("/api/backoffice/debits/999999", headers=auth(people.finance)).status_code == 404


def test_preview_outside_papay_hours_says_when(pay_client, people, sandbox_wechatpay, settings_env):
    sign_papay(pay_client, people.bob)
    sandbox_wechatpay.set_clock(datetime.now(BEIJING).replace(hour=5, minute=0))
    settings_env(SCRM_WECHATPAY_CLOCK_OFFSET_S=int(sandbox_wechatpay.clock_offset_s))
    preview = pay_client.post("/api/backoffice/debits", headers=auth(people.finance), json={
        "customer_id": people.bob.id, "due_key": "settlement:1", "amount": "100"}).json()
    assert datetime.fromisoformat(preview["not_before"]).astimezone(BEIJING).hour == 7


def test_a_page_whose_offset_no_database_holds_is_a_422_naming_the_page(pay_client, people):
    finance = auth(people.finance)
    answer = pay_client.get(f"/api/backoffice/debits?page={2**62}&page_size=200", headers=finance)
    assert answer.status_code == 422 and answer.json()["field"] == "page", answer.text
    last = pay_client.get(f"/api/backoffice/debits?page={2**31 - 1}&page_size=200", headers=finance)
    assert last.status_code == 200 and last.json()["items"] == []
