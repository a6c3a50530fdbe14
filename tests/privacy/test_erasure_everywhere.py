"""A customer's deletion request reaches every copy of their personal data: after the erasure, no table holds
their name, phone, ID number or card numbers (in clear, encrypted, or as the keyed hash that would find them
again), while the amounts, the ledger and the ids that tie the records together stay."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backoffice.ledger import service as ledger_service
from backoffice.orders import service as order_service
from backoffice.orders.models import FollowUpKind, Order
from backoffice.reimbursements import service as reimbursement_service
from backoffice.reimbursements.models import CostType, Reimbursement
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import PaymentMethod
from scrm.auth import issue_customer_token
from scrm.core import crypto
from scrm.customers import service as customer_service
from scrm.customers.models import Customer, Stage
from scrm.mandates import service as mandate_service
from scrm.mandates.models import Mandate, MandateStatus
from scrm.referral import service as referral_service
from scrm.referral.models import Withdrawal
from scrm.wecom.client import _call_log
from tests.factories.backoffice import make_world, terms
from tests.factories.customers import make_customer
from tests.factories.mandates import SCOPE, customer_auth, sign_papay
from tests.factories.org import auth
from tests.factories.referral import percent_rule, refer
from tests.mandates.conftest import pay_client, pay_live  # noqa: F401
from tests.miniprogram_api.helpers import application, bearer, settle
from tests.privacy.scan import stored_matches

NAME = "欧阳秀英"
PHONE = "13912345678"
ID_NO = "11010519491231002X"
CARD = "6222021234567890128"  # the direct-debit card
ID_PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
PAYOUT_CARD = "6225880137716003"  # the card commissions are paid to
EXTERNAL_USERID = "wmErasureTest0000000000000001"
OPENID = "oErasureTest000000000000001"
UNIONID = "uErasureTest000000000000001"


def _everything(db, client, sandbox, settings_env, tmp_path):
    """A customer with a record of every kind: profile, follow-ups, attachment, application, settled order,
    reimbursement, bank-card and papay authorisations, a paid commission withdrawal, WeCom and WeChat Pay calls."""
    settings_env(SCRM_REFERRAL_COOLING_OFF_HOURS="0", SCRM_REFERRAL_WITHDRAW_MIN_FEN="1000",
                 SCRM_DATA_DIR=str(tmp_path))
    w = make_world(db)
    customer = make_customer(db, owner=w.sales, name=NAME, phone=PHONE, stage=Stage.appointment, id_no=ID_NO,
                             id_no_hash=customer_service.id_no_hash(ID_NO), mp_openid=OPENID, unionid=UNIONID,
                             wecom_external_userid=EXTERNAL_USERID, corp_name=f"{NAME}的小店", purpose=f"{NAME}装修",
                             avatar="https://wx.qlogo.cn/erasure.png")
    customer_service.add_follow_up(db, customer, employee_id=w.sales.id, kind="call",
                                   content=f"{NAME}说手机 {PHONE} 随时打，身份证 {ID_NO}")
    customer_service.upload_attachment(db, customer, data=ID_PHOTO, filename=f"{NAME}身份证.jpg", kind="id_card",
                                       uploaded_by=w.sales.id)
    me = customer_auth(customer)
    applied = client.post("/mp/applications", headers=me, json=application(
        name=NAME, purpose=f"{NAME}装修", fields={"employer_type": "private", "monthly_salary": "12000",
                                                "social_security_months": 36}))
    assert applied.status_code in (200, 201), applied.text

    order = order_service.sign_order(db, w.sales, customer.id, terms())
    order_service.confirm_contract(db, w.finance, order)
    order_service.review(db, w.supervisor, order)
    order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id)
    order_service.add_follow_up(db, w.processor, order, FollowUpKind.disbursed_pending, f"{NAME}的贷款银行已放款")
    s = settlement_service.disburse(db, w.processor, order, amount_fen=18_000_000, disbursed_on=date(2026, 11, 20),
                                    funder_name="招商银行", term_months=36, repayment_day=15)
    settlement_service.set_charges(db, w.finance, s, payment_method=PaymentMethod.cash)
    settlement_service.close(db, w.finance, s)
    reimbursement_service.submit(db, w.sales, reimbursement_service.Claim(
        customer_id=customer.id, cost_type=CostType.processing, category="征信报告", amount_fen=5_000,
        spent_on=date(2026, 11, 1), order_id=order.id, remark=f"给{NAME}打征信"))

    bound = client.post("/mp/mandates/bank-card", headers=me,
                        json={"holder_name": NAME, "id_no": ID_NO, "card_no": CARD, "phone": PHONE})
    assert bound.status_code == 201, bound.text
    mandate_id = bound.json()["id"]
    assert client.post(f"/mp/mandates/{mandate_id}/sms-confirm", headers=me,
                       json={"code": sandbox.last_sms_code(PHONE)}).status_code == 200
    assert client.post(f"/mp/mandates/{mandate_id}/sign", headers=me, json=SCOPE).status_code == 200
    papay = sign_papay(client, customer)
    assert papay["status"] == "active"

    percent_rule(db, "10")
    settle(db, refer(db, customer).id, fee_fen=100_000)
    referral_service.release_withdrawable(db)
    db.commit()
    asked = client.post("/mp/referral/withdrawals", headers=bearer(issue_customer_token(customer.id)), json={
        "request_id": "wd-erasure", "method": "bank", "account_name": NAME, "bank_name": "招商银行历下支行",
        "bank_card": PAYOUT_CARD})
    assert asked.status_code == 201, asked.text
    withdrawal_id = asked.json()["id"]
    assert client.post(f"/api/referral/withdrawals/{withdrawal_id}/approve", headers=auth(w.finance)).status_code == 200
    assert client.post(f"/api/referral/withdrawals/{withdrawal_id}/pay", json={"bank_reference": "CMB-ERASE-1"},
                       headers=auth(w.finance)).status_code == 200

    # what the WeCom client records when it reads the contact (the sandbox WeCom plays no part in erasure)
    _call_log.write(dict(endpoint="externalcontact/get", idempotency_key=None,
                         request={"external_userid": EXTERNAL_USERID}, errcode=0, errmsg="ok",
                         response={"external_contact": {"external_userid": EXTERNAL_USERID, "name": NAME,
                                                        "unionid": UNIONID, "avatar": customer.avatar}},
                         attempts=1, duration_ms=12))
    _call_log.write(dict(endpoint="externalcontact/remark", idempotency_key=f"remark-{EXTERNAL_USERID}",
                         request={"userid": w.sales.wecom_userid, "external_userid": EXTERNAL_USERID,
                                  "remark": NAME, "description": f"{NAME} 想贷20万", "remark_mobiles": [PHONE]},
                         errcode=0, errmsg="ok", response={"errcode": 0, "errmsg": "ok"}, attempts=1, duration_ms=9))
    viewed = client.get(f"/api/customers/{customer.id}/pii", params={"reason": "核对合同"}, headers=auth(w.manager))
    assert viewed.status_code == 200 and viewed.json()["phone"] == PHONE
    db.commit()
    return w, customer, order, withdrawal_id


def test_erasure_leaves_no_personal_data_anywhere_and_the_books_still_balance(db, pay_client, sandbox_wechatpay,
                                                                              settings_env, tmp_path):
    w, customer, order, withdrawal_id = _everything(db, pay_client, sandbox_wechatpay, settings_env, tmp_path)
    files = tmp_path / "files"
    assert [p for p in files.rglob("*") if p.is_file()] != []
    needles = [NAME, PHONE, ID_NO, CARD, PAYOUT_CARD, EXTERNAL_USERID, OPENID, UNIONID,
               *customer_service.phone_hashes(PHONE), *customer_service.id_no_hashes(ID_NO),
               crypto.blind_index("card", CARD), referral_service.card_hash(PAYOUT_CARD)]
    assert stored_matches(db, needles, decrypt=True) != []  # the search finds them before
    trial_before = [(r.account, r.debit_fen, r.credit_fen) for r in ledger_service.trial_balance(db)]
    amounts_before = db.execute(select(Order.amount_applied_fen, Order.disbursed_amount_fen)
                                .where(Order.id == order.id)).one()

    erased = pay_client.post(f"/api/customers/{customer.id}/erase", json={"reason": "客户申请 #2026-118"},
                             headers=auth(w.manager))
    assert erased.status_code == 200, erased.text

    db.expire_all()
    assert [p for p in files.rglob("*") if p.is_file()] == []  # the stored photo is gone too
    left = stored_matches(db, needles, decrypt=True)
    assert left == [], "\n".join(map(str, sorted(set(left))))
    # the books are as they were, and still balance
    trial_after = [(r.account, r.debit_fen, r.credit_fen) for r in ledger_service.trial_balance(db)]
    assert trial_after == trial_before
    assert sum(d for _, d, _ in trial_after) == sum(c for _, _, c in trial_after)
    assert ledger_service.unbalanced_entries(db) == []
    assert db.execute(select(Order.amount_applied_fen, Order.disbursed_amount_fen)
                      .where(Order.id == order.id)).one() == amounts_before
    assert db.get(Order, order.id).customer_name == "已删除客户"
    assert db.scalars(select(Reimbursement.customer_name).where(Reimbursement.customer_id == customer.id)).all() \
        == ["已删除客户"]
    # no debit can use the authorisations any more
    assert mandate_service.active_mandates(db, customer.id) == []
    assert {m.status for m in db.scalars(select(Mandate).where(Mandate.customer_id == customer.id))} \
        == {MandateStatus.revoked}
    withdrawal = db.get(Withdrawal, withdrawal_id)
    assert withdrawal.amount_fen == 10_000 and withdrawal.state.value == "paid"
    assert withdrawal.bank_card is None and withdrawal.account_name is None and withdrawal.bank_name is None
    row = db.get(Customer, customer.id)
    assert (row.wecom_external_userid, row.mp_openid, row.unionid, row.avatar, row.corp_name, row.purpose) \
        == (None, None, None, None, None, None)
    assert row.custom_fields == {}
