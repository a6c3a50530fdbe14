"""The same withdrawal request sent many times at once makes one withdrawal (row locks, committed data);
one commission per settlement and level even if two deliveries race."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from scrm.core.db import session_scope
from scrm.customers.models import Customer
from scrm.referral import service as referral_service
from scrm.referral.models import Commission, CommissionState, Withdrawal, WithdrawalMethod
from tests.factories.customers import make_customer
from tests.factories.referral import percent_rule, refer
from tests.miniprogram_api.helpers import settle


def _race(threads: int, fn) -> list:
    results, start = [], threading.Barrier(threads)

    def work():
        start.wait()
        try:
            with session_scope() as session:
                results.append(fn(session))
        except BaseException as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results


def test_the_same_withdrawal_request_at_once_is_one_withdrawal(committed_db, settings_env):
    settings_env(SCRM_REFERRAL_COOLING_OFF_HOURS="0")
    db = committed_db
    referrer = make_customer(db, name="推荐人")
    percent_rule(db, "10")
    friends = [refer(db, referrer) for _ in range(3)]
    db.commit()
    for friend in friends:
        settle(db, friend.id, fee_fen=100_000)
    referral_service.release_withdrawable(db)
    db.commit()

    def request(session):
        customer = session.get(Customer, referrer.id)
        row, created = referral_service.request_withdrawal(
            session, customer, request_id="wd-same", method=WithdrawalMethod.bank, account_name="推荐人",
            bank_name="招商银行", bank_card="6225880137716003")
        return row.id, created

    results = _race(6, request)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({r[0] for r in results}) == 1 and sum(r[1] for r in results) == 1
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Withdrawal)) == 1
    assert db.scalar(select(Withdrawal.amount_fen)) == 30_000


def test_one_commission_per_settlement_and_level(db):
    referrer = make_customer(db)
    friend = refer(db, referrer)
    percent_rule(db, "10")
    db.commit()
    payload = settle(db, friend.id, fee_fen=100_000)
    with pytest.raises(IntegrityError):
        with db.begin_nested():
            db.add(Commission(referrer_customer_id=referrer.id, referred_customer_id=friend.id, level=1,
                              order_id=payload["order_id"], settlement_id=payload["settlement_id"], amount_fen=1,
                              state=CommissionState.confirmed))
            db.flush()
