"""Withdrawal requests racing through the served app, on PostgreSQL and on the embedded default.

However many requests arrive at once, the sum finance can pay out never exceeds the commissions
earned, and what one customer withdraws in a day never exceeds the daily limit (issue 15, item 1:
eight parallel requests for one 300.00 commission used to give seven paid withdrawals on SQLite).
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from scrm.auth import issue_customer_token, issue_staff_token
from scrm.core.money import to_fen
from scrm.org.models import Role
from scrm.referral import service as referral_service
from scrm.referral.models import Commission, CommissionState, Withdrawal, WithdrawalState
from tests.conftest import race
from tests.factories.customers import make_customer
from tests.factories.org import make_employee
from tests.factories.referral import percent_rule, refer
from tests.miniprogram_api.helpers import settle
from tests.wecom.conftest import LiveService


@pytest.fixture
def live(committed_any, settings_env):
    settings_env(SCRM_REFERRAL_COOLING_OFF_HOURS="0")
    service = LiveService()
    try:
        yield service
    finally:
        service.stop()


def _earn(db, fees_fen: list[int]):
    """A referrer holding one withdrawable 10% commission per fee, and a finance employee."""
    referrer = make_customer(db, name="推荐人", mp_openid=f"oRef{len(fees_fen):024d}")
    finance = make_employee(db, role=Role.finance)
    percent_rule(db, "10")
    friends = [refer(db, referrer) for _ in fees_fen]
    db.commit()
    for friend, fee in zip(friends, fees_fen):
        settle(db, friend.id, fee_fen=fee)
    assert referral_service.release_withdrawable(db) == len(fees_fen)
    db.commit()
    return referrer, finance


def _request_all(live, referrer, n: int) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {issue_customer_token(referrer.id)}"}

    def request(i: int) -> httpx.Response:
        return httpx.post(f"{live.url}/mp/referral/withdrawals", headers=headers, timeout=60, json={
            "request_id": f"wd-race-{i:03d}", "method": "bank", "account_name": "推荐人", "bank_name": "招商银行",
            "bank_card": "6225880137716003"})

    return race(n, request)


def _approve_and_pay_everything(live, finance) -> int:
    """Finance approves and pays every withdrawal the service accepted; returns the fen paid out."""
    headers = {"Authorization": f"Bearer {issue_staff_token(finance.id)}"}
    paid = 0
    listed = httpx.get(f"{live.url}/api/referral/withdrawals", headers=headers).json()
    for row in listed:
        approved = httpx.post(f"{live.url}/api/referral/withdrawals/{row['id']}/approve", headers=headers)
        assert approved.status_code == 200, approved.text
        done = httpx.post(f"{live.url}/api/referral/withdrawals/{row['id']}/pay", headers=headers,
                          json={"bank_reference": f"TRF{row['id']}"})
        assert done.status_code == 200, done.text
        paid += to_fen(Decimal(done.json()["amount"]))
    return paid


def test_eight_requests_for_one_commission_pay_it_once(committed_any, live):
    db = committed_any
    referrer, finance = _earn(db, [300_000])  # one 300.00 commission

    answers = _request_all(live, referrer, 8)

    assert all(isinstance(a, httpx.Response) for a in answers), answers
    accepted = [a for a in answers if a.status_code == 201]
    assert len(accepted) == 1, [(a.status_code, a.text[:120]) for a in answers]
    assert {a.status_code for a in answers if a.status_code != 201} == {422}
    assert _approve_and_pay_everything(live, finance) == 30_000
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Withdrawal)) == 1
    assert set(db.scalars(select(Commission.state))) == {CommissionState.paid}


@pytest.mark.parametrize("fees_fen, requests", [
    ([1_000_000] * 8, 8),               # eight 1,000.00 commissions: the 5,000.00 daily limit must hold
    ([300_000, 450_000, 1_230_000, 2_000_000, 5_500_000], 10),
    ([12_000] * 30, 12),                # thirty 12.00 commissions (the minimum is 10.00)
])
def test_racing_withdrawals_never_pay_more_than_earned_or_the_daily_limit(committed_any, live, fees_fen, requests):
    db = committed_any
    referrer, finance = _earn(db, fees_fen)
    earned = sum(f // 10 for f in fees_fen)
    daily_limit = 500_000

    answers = _request_all(live, referrer, requests)

    assert all(isinstance(a, httpx.Response) and a.status_code in (201, 422) for a in answers), \
        [a if not isinstance(a, httpx.Response) else (a.status_code, a.text[:160]) for a in answers]
    paid = _approve_and_pay_everything(live, finance)
    assert paid == sum(to_fen(Decimal(a.json()["amount"])) for a in answers if a.status_code == 201)
    assert 0 < paid <= min(earned, daily_limit)
    db.expire_all()
    # every commission is in at most one withdrawal, and each paid withdrawal is exactly its commissions
    for withdrawal in db.scalars(select(Withdrawal)):
        assert withdrawal.state == WithdrawalState.paid
        inside = db.scalars(select(Commission.amount_fen).where(Commission.withdrawal_id == withdrawal.id)).all()
        assert sum(inside) == withdrawal.amount_fen
    paid_commissions = db.scalar(select(func.coalesce(func.sum(Commission.amount_fen), 0))
                                 .where(Commission.state == CommissionState.paid))
    assert paid_commissions == paid


def test_finance_paying_and_rejecting_one_withdrawal_at_once_does_one_of_them(committed_any, live):
    """Two finance users: one pays the withdrawal, the other rejects it, several presses each. Either it is
    paid (its commissions paid) or rejected (its commissions free again), never a paid withdrawal shown as
    rejected with its commissions released for a second withdrawal."""
    db = committed_any
    referrer, finance = _earn(db, [300_000, 450_000])
    other = make_employee(db, role=Role.finance)
    db.commit()
    made = _request_all(live, referrer, 1)[0]
    assert made.status_code == 201, made.text
    wid = made.json()["id"]
    base = f"{live.url}/api/referral/withdrawals/{wid}"
    assert httpx.post(f"{base}/approve", headers={"Authorization": f"Bearer {issue_staff_token(finance.id)}"}
                      ).status_code == 200

    def act(i: int) -> httpx.Response:
        if i % 2:
            return httpx.post(f"{base}/reject", headers={"Authorization": f"Bearer {issue_staff_token(other.id)}"},
                              json={"reason": "收款信息有误"}, timeout=60)
        return httpx.post(f"{base}/pay", headers={"Authorization": f"Bearer {issue_staff_token(finance.id)}"},
                          json={"bank_reference": f"TRF{i}"}, timeout=60)

    answers = race(6, act)

    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409, 409], \
        [(a.status_code, a.text[:160]) for a in answers]
    db.expire_all()
    withdrawal = db.get(Withdrawal, wid)
    states = set(db.scalars(select(Commission.state)))
    if withdrawal.state == WithdrawalState.paid:
        assert states == {CommissionState.paid}
        assert set(db.scalars(select(Commission.withdrawal_id))) == {wid}
    else:
        assert withdrawal.state == WithdrawalState.rejected
        assert states == {CommissionState.withdrawable}
        assert set(db.scalars(select(Commission.withdrawal_id))) == {None}
    db.commit()
