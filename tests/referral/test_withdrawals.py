"""Withdrawals through the mini-program and finance: limits, idempotency, approval, bank payment,
rejection, and claw-back of a paid commission."""

from __future__ import annotations

from sqlalchemy import select

from scrm.auth import issue_customer_token
from scrm.org.models import Role
from scrm.referral import service as referral_service
from scrm.referral.models import Commission, CommissionState, Withdrawal
from tests.factories.common import events_named
from tests.factories.customers import make_customer
from tests.factories.org import auth, make_employee
from tests.factories.referral import percent_rule, refer
from tests.miniprogram_api.helpers import bearer, emit, settle

CARD = "6225880137716003"
BANK = {"method": "bank", "account_name": "推荐人", "bank_name": "招商银行", "bank_card": CARD}


def _earn(db, referrer, fees: list[int]) -> list[dict]:
    """Friends of ``referrer`` settle with these fees (10% rule); commissions become withdrawable."""
    payloads = [settle(db, refer(db, referrer).id, fee_fen=fee) for fee in fees]
    referral_service.release_withdrawable(db)
    db.commit()
    return payloads


def _setup(db, settings_env, **env):
    settings_env(SCRM_REFERRAL_COOLING_OFF_HOURS="0", SCRM_REFERRAL_WITHDRAW_MIN_FEN="1000", **env)
    referrer = make_customer(db, name="推荐人", mp_openid="o_referrer")
    percent_rule(db, "10")
    db.commit()
    return referrer, bearer(issue_customer_token(referrer.id)), auth(make_employee(db, role=Role.finance))


def test_withdraw_by_bank_approved_and_paid_once(db, client, settings_env):
    referrer, me, finance = _setup(db, settings_env)
    _earn(db, referrer, [100_000, 50_000])  # 100 + 50 yuan
    centre = client.get("/mp/referral", headers=me).json()
    assert centre["balance"]["available"] == "150.00" and centre["friends"] == 2
    body = {"request_id": "wd-1", **BANK}
    r = client.post("/mp/referral/withdrawals", json=body, headers=me)
    assert r.status_code == 201, r.text
    wd = r.json()
    assert wd["amount"] == "150.00" and wd["bank_card"] == "**** 6003" and wd["state"] == "requested"
    again = client.post("/mp/referral/withdrawals", json=body, headers=me)
    assert again.status_code == 200 and again.json()["id"] == wd["id"]
    assert client.post("/mp/referral/withdrawals", json={"request_id": "wd-2", **BANK}, headers=me).status_code == 422
    assert len(client.get("/mp/referral/withdrawals", headers=me).json()) == 1

    assert client.post(f"/api/referral/withdrawals/{wd['id']}/pay", json={"bank_reference": "B1"},
                       headers=finance).status_code == 409  # not approved yet
    assert client.post(f"/api/referral/withdrawals/{wd['id']}/approve", headers=auth(make_employee(db))).status_code == 403
    queue = client.get("/api/referral/withdrawals?state=requested", headers=finance).json()
    assert [w["id"] for w in queue] == [wd["id"]] and queue[0]["bank_card"] == "**** 6003"
    assert client.post(f"/api/referral/withdrawals/{wd['id']}/approve", headers=finance).status_code == 200
    r = client.post(f"/api/referral/withdrawals/{wd['id']}/pay", json={}, headers=finance)
    assert r.status_code == 422 and r.json()["field"] == "bank_reference"
    r = client.post(f"/api/referral/withdrawals/{wd['id']}/pay", json={"bank_reference": "CMB20261130001"},
                    headers=finance)
    assert r.status_code == 200 and r.json()["state"] == "paid"
    assert client.post(f"/api/referral/withdrawals/{wd['id']}/pay", json={"bank_reference": "again"},
                       headers=finance).status_code == 409
    db.expire_all()
    assert {c.state for c in db.scalars(select(Commission))} == {CommissionState.paid}
    assert events_named(db, "referral.withdrawal_paid") == [
        {"withdrawal_id": wd["id"], "customer_id": referrer.id, "amount_fen": 15_000, "method": "bank"}]
    history = client.get(f"/api/referral/withdrawals/{wd['id']}/history", headers=finance).json()
    assert [h["to_state"] for h in history] == ["requested", "approved", "paid"]


def test_minimum_and_daily_limit(db, client, settings_env):
    referrer, me, _ = _setup(db, settings_env, SCRM_REFERRAL_WITHDRAW_DAILY_LIMIT_FEN="25000")
    _earn(db, referrer, [5_000])  # 5 yuan: under the 10 yuan minimum
    r = client.post("/mp/referral/withdrawals", json={"request_id": "wd-a", **BANK}, headers=me)
    assert r.status_code == 422 and r.json()["field"] == "amount" and r.json()["available"] == "5.00"
    _earn(db, referrer, [100_000, 100_000, 100_000])  # 3 × 100 yuan more
    r = client.post("/mp/referral/withdrawals", json={"request_id": "wd-b", **BANK}, headers=me)
    assert r.status_code == 201 and r.json()["amount"] == "205.00"  # 5 + 100 + 100 within 250
    r = client.post("/mp/referral/withdrawals", json={"request_id": "wd-c", **BANK}, headers=me)
    assert r.status_code == 422 and "今日" in r.json()["message"]


def test_bank_details_are_checked_and_another_customers_withdrawal_is_hidden(db, client, settings_env):
    referrer, me, _ = _setup(db, settings_env)
    _earn(db, referrer, [100_000])
    r = client.post("/mp/referral/withdrawals", headers=me, json={
        "request_id": "wd-x1", "method": "bank", "account_name": "别人", "bank_name": "", "bank_card": "62258801"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"account_name", "bank_name", "bank_card"}
    wd = client.post("/mp/referral/withdrawals", json={"request_id": "wd-x2", **BANK}, headers=me).json()
    other = bearer(issue_customer_token(make_customer(db).id))
    db.commit()
    assert client.get(f"/mp/referral/withdrawals/{wd['id']}", headers=other).status_code == 404
    assert client.get(f"/mp/referral/withdrawals/{wd['id']}", headers=me).status_code == 200


def test_a_rejected_withdrawal_frees_its_commissions(db, client, settings_env):
    referrer, me, finance = _setup(db, settings_env)
    _earn(db, referrer, [100_000])
    wd = client.post("/mp/referral/withdrawals", json={"request_id": "wd-r1", **BANK}, headers=me).json()
    assert client.get("/mp/referral", headers=me).json()["balance"]["available"] == "0.00"
    r = client.post(f"/api/referral/withdrawals/{wd['id']}/reject", json={"reason": "卡号与身份不符"}, headers=finance)
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert client.get("/mp/referral", headers=me).json()["balance"]["available"] == "100.00"
    assert client.post(f"/api/referral/withdrawals/{wd['id']}/approve", headers=finance).status_code == 409


def test_a_paid_commission_reversed_is_clawed_back_from_the_next_withdrawal(db, client, settings_env):
    referrer, me, finance = _setup(db, settings_env)
    [first] = _earn(db, referrer, [100_000])
    wd = client.post("/mp/referral/withdrawals", json={"request_id": "wd-p1", **BANK}, headers=me).json()
    client.post(f"/api/referral/withdrawals/{wd['id']}/approve", headers=finance)
    client.post(f"/api/referral/withdrawals/{wd['id']}/pay", json={"bank_reference": "R1"}, headers=finance)
    emit(db, "deposit.refunded", {"deposit_id": 7, "order_id": first["order_id"], "customer_id": first["customer_id"],
                                  "amount_fen": 100_000, "full": True})
    balance = client.get("/mp/referral", headers=me).json()["balance"]
    assert balance["owed"] == "100.00" and balance["available"] == "-100.00"
    assert events_named(db, "referral.commission_reversed")[-1]["was_paid"] is True
    commissions = client.get("/mp/referral/commissions", headers=me).json()
    assert commissions[0]["state"] == "reversed" and commissions[0]["was_paid"] is True
    r = client.post("/mp/referral/withdrawals", json={"request_id": "wd-p2", **BANK}, headers=me)
    assert r.status_code == 422  # nothing to withdraw while the debt is larger
    _earn(db, referrer, [250_000])  # 250 yuan; 100 of it repays the debt
    r = client.post("/mp/referral/withdrawals", json={"request_id": "wd-p3", **BANK}, headers=me)
    assert r.status_code == 201 and r.json()["amount"] == "150.00"
    balance = client.get("/mp/referral", headers=me).json()["balance"]
    assert balance["owed"] == "0.00" and balance["available"] == "0.00"
    db.expire_all()
    clawed = db.scalars(select(Commission).where(Commission.was_paid.is_(True))).one()
    assert clawed.clawback_withdrawal_id == r.json()["id"]


def test_a_commission_reversed_while_in_a_withdrawal_comes_out_of_it(db, client, settings_env):
    referrer, me, finance = _setup(db, settings_env)
    payloads = _earn(db, referrer, [100_000, 300_000])
    wd = client.post("/mp/referral/withdrawals", json={"request_id": "wd-q1", **BANK}, headers=me).json()
    assert wd["amount"] == "400.00"
    emit(db, "settlement.voided", {"settlement_id": payloads[0]["settlement_id"], "order_id": payloads[0]["order_id"],
                                   "customer_id": payloads[0]["customer_id"]})
    db.expire_all()
    assert db.get(Withdrawal, wd["id"]).amount_fen == 30_000


def test_withdraw_by_wechat_pays_once_through_the_wechat_pay_sandbox(db, client, settings_env, sandbox_wechatpay):
    referrer, me, finance = _setup(db, settings_env)
    _earn(db, referrer, [80_000])  # 80 yuan
    wd = client.post("/mp/referral/withdrawals", json={"request_id": "wx-1", "method": "wechat"}, headers=me)
    assert wd.status_code == 201, wd.text
    wd = wd.json()
    assert client.post(f"/api/referral/withdrawals/{wd['id']}/approve", headers=finance).status_code == 200
    paid = client.post(f"/api/referral/withdrawals/{wd['id']}/pay", json={}, headers=finance)
    assert paid.status_code == 200, paid.text
    assert paid.json()["state"] == "paid"
    transfer = sandbox_wechatpay.transfers[f"wd{wd['id']}"]
    assert transfer["openid"] == "o_referrer" and int(transfer["amount"]) == 8_000
    assert client.post(f"/api/referral/withdrawals/{wd['id']}/pay", json={}, headers=finance).status_code == 409
    assert len(sandbox_wechatpay.transfers) == 1
    assert events_named(db, "referral.withdrawal_paid")[-1]["method"] == "wechat"
