"""The mini-program's direct-debit authorisation: bank card with the bank's SMS code and a signed scope,
a WeChat papay contract activated by WeChat's notification, revocation; per-field validation; a customer
sees only their own; finance reads a customer's authorisations; card numbers never leave in full."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from scrm.mandates import service as mandate_service
from scrm.mandates.models import Mandate, MandateChange, MandateStatus
from tests.factories.mandates import CARD, ID_NO, PHONE, SCOPE, bind_card, customer_auth, sign_papay
from tests.factories.org import auth


def test_bind_card_with_sms_code_and_sign_scope(pay_client, sandbox_wechatpay, people, db):
    mandate = bind_card(pay_client, sandbox_wechatpay, people.alice)
    assert mandate["status"] == "active" and mandate["card_last4"] == "0128"
    assert mandate["max_amount"] == "5000.00" and mandate["scope_ref"] == "HT-2026-0001"
    assert mandate["phone"] == "138****8000" and mandate["holder_name"] == "张*"
    listed = pay_client.get("/mp/mandates", headers=customer_auth(people.alice))
    assert CARD not in listed.text and ID_NO not in listed.text and PHONE not in listed.text
    stored = db.execute(text("select card_no, id_no, phone from mandate")).one()
    assert CARD not in "".join(stored) and ID_NO not in "".join(stored)
    assert [m.id for m in mandate_service.active_mandates(db, people.alice.id)] == [mandate["id"]]
    assert mandate_service.active_mandates(db, people.bob.id) == []
    changes = db.scalars(select(MandateChange.to_status).where(MandateChange.mandate_id == mandate["id"])
                         .order_by(MandateChange.id)).all()
    assert changes == ["sms_sent", "verified", "active"]


def test_field_errors_name_the_field(pay_client, people):
    headers = customer_auth(people.alice)
    good = {"holder_name": "张三", "id_no": ID_NO, "card_no": CARD, "phone": PHONE}
    for field, bad in [("card_no", "6222021234567890129"), ("card_no", "62220212345678ab"), ("id_no", "110101199003074478"),
                       ("phone", "12345")]:
        answer = pay_client.post("/mp/mandates/bank-card", headers=headers, json={**good, field: bad})
        assert answer.status_code == 422 and answer.json()["field"] == field, (field, answer.text)
    assert pay_client.get("/mp/mandates", headers=headers).json() == []


def test_wrong_codes_are_counted_and_lock_the_binding(pay_client, sandbox_wechatpay, people, db):
    headers = customer_auth(people.alice)
    bound = pay_client.post("/mp/mandates/bank-card", headers=headers,
                            json={"holder_name": "张三", "id_no": ID_NO, "card_no": CARD, "phone": PHONE}).json()
    for left in (4, 3, 2, 1):
        wrong = pay_client.post(f"/mp/mandates/{bound['id']}/sms-confirm", headers=headers, json={"code": "0000000"})
        assert wrong.status_code == 422 and wrong.json()["field"] == "code" and wrong.json()["attempts_left"] == left
    last = pay_client.post(f"/mp/mandates/{bound['id']}/sms-confirm", headers=headers, json={"code": "0000000"})
    assert last.status_code == 422 and last.json()["status"] == "failed"
    right = pay_client.post(f"/mp/mandates/{bound['id']}/sms-confirm", headers=headers,
                            json={"code": sandbox_wechatpay.last_sms_code(PHONE)})
    assert right.status_code == 409
    assert db.get(Mandate, bound["id"]).status == MandateStatus.failed


def test_expired_code(pay_client, sandbox_wechatpay, people, db):
    headers = customer_auth(people.alice)
    bound = pay_client.post("/mp/mandates/bank-card", headers=headers,
                            json={"holder_name": "张三", "id_no": ID_NO, "card_no": CARD, "phone": PHONE}).json()
    mandate = db.get(Mandate, bound["id"])
    mandate.sms_sent_at -= timedelta(minutes=6)
    db.flush()
    answer = pay_client.post(f"/mp/mandates/{bound['id']}/sms-confirm", headers=headers,
                             json={"code": sandbox_wechatpay.last_sms_code(PHONE)})
    assert answer.status_code == 422 and "验证码已过期" in answer.json()["message"]


def test_scope_must_be_sensible(pay_client, sandbox_wechatpay, people):
    headers = customer_auth(people.alice)
    bound = pay_client.post("/mp/mandates/bank-card", headers=headers,
                            json={"holder_name": "张三", "id_no": ID_NO, "card_no": CARD, "phone": PHONE}).json()
    pay_client.post(f"/mp/mandates/{bound['id']}/sms-confirm", headers=headers,
                    json={"code": sandbox_wechatpay.last_sms_code(PHONE)})
    past = pay_client.post(f"/mp/mandates/{bound['id']}/sign", headers=headers,
                           json={**SCOPE, "valid_until": "2020-01-01T00:00:00+08:00"})
    assert past.status_code == 422 and past.json()["field"] == "valid_until"


def test_papay_contract_is_activated_by_wechat_and_revoked(pay_client, sandbox_wechatpay, people, db):
    mandate = sign_papay(pay_client, people.bob)
    assert mandate["status"] == "active" and mandate["contract_id"]
    contract = sandbox_wechatpay.contracts[mandate["contract_id"]]
    assert contract["openid"] == people.bob.mp_openid and contract["contract_state"] == "0"
    # WeChat sends the same notification again: nothing changes
    sandbox_wechatpay.resend_notification()
    assert len(db.scalars(select(MandateChange).where(MandateChange.mandate_id == mandate["id"])).all()) == 2

    revoked = pay_client.post(f"/mp/mandates/{mandate['id']}/revoke", headers=customer_auth(people.bob))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert contract["contract_state"] == "1"
    again = pay_client.post(f"/mp/mandates/{mandate['id']}/revoke", headers=customer_auth(people.bob))
    assert again.status_code == 409


def test_forged_contract_notification_changes_nothing(pay_client, sandbox_wechatpay, people, db, pay_live):
    started = pay_client.post("/mp/mandates/papay", headers=customer_auth(people.bob), json=SCOPE).json()
    code = started["params"]["contract_code"]
    note = sandbox_wechatpay.notify_pay_raw(f"{pay_live.url}/pay/notify/papay/contract",
                                            {"return_code": "SUCCESS", "contract_code": code, "change_type": "ADD",
                                             "contract_id": "forged"}, key="not-the-merchant-key")
    assert not note.ok
    assert db.get(Mandate, started["mandate"]["id"]).status == MandateStatus.signing


def test_customers_see_only_their_own(pay_client, sandbox_wechatpay, people):
    mandate = bind_card(pay_client, sandbox_wechatpay, people.alice)
    bob = customer_auth(people.bob)
    assert pay_client.get("/mp/mandates", headers=bob).json() == []
    assert pay_client.post(f"/mp/mandates/{mandate['id']}/revoke", headers=bob).status_code == 404
    assert pay_client.post(f"/mp/mandates/{mandate['id']}/sign", headers=bob, json=SCOPE).status_code == 404
    assert pay_client.get("/mp/mandates", headers=auth(people.finance)).status_code == 401


def test_finance_lists_a_customers_authorisations(pay_client, sandbox_wechatpay, people):
    bind_card(pay_client, sandbox_wechatpay, people.alice)
    rows = pay_client.get("/api/mandates", params={"customer_id": people.alice.id}, headers=auth(people.finance))
    assert rows.status_code == 200 and [r["card_last4"] for r in rows.json()] == ["0128"]
    assert CARD not in rows.text
    assert pay_client.get("/api/mandates", params={"customer_id": people.alice.id},
                          headers=auth(people.sales)).status_code == 403
    assert pay_client.get("/api/mandates", params={"customer_id": people.alice.id},
                          headers=customer_auth(people.alice)).status_code == 401
