"""Commissions: computed when the referred customer's settlement closes, reversed on refund or void,
clawed back once paid, and never paid twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scrm.core.errors import InvalidTransition
from scrm.referral import service as referral_service
from scrm.referral.labels import COMMISSION_NAMES
from scrm.referral.models import Commission, CommissionState
from tests.factories.common import events_named
from tests.factories.customers import make_customer
from tests.factories.referral import fixed_rule, percent_rule, refer
from tests.miniprogram_api.helpers import emit, settle

CS = CommissionState


def _commissions(db, referrer):
    db.expire_all()
    return db.scalars(select(Commission).where(Commission.referrer_customer_id == referrer.id)
                      .order_by(Commission.id)).all()


def test_settlement_confirms_the_commission_once(db):
    referrer = make_customer(db)
    friend = refer(db, referrer)
    percent_rule(db, "5")
    db.commit()
    payload = settle(db, friend.id, fee_fen=1_234_567)
    [c] = _commissions(db, referrer)
    # 12345.67 yuan × 5% = 617.2835 → 617.28
    assert (c.state, c.amount_fen, c.level, c.settlement_id) == (CS.confirmed, 61728, 1, payload["settlement_id"])
    assert events_named(db, "referral.commission_confirmed") == [{
        "commission_id": c.id, "referrer_customer_id": referrer.id, "amount_fen": 61728,
        "settlement_id": payload["settlement_id"]}]
    emit(db, "settlement.closed", payload)  # the same event again
    assert len(_commissions(db, referrer)) == 1
    assert [t.to_state for t in referral_service.history(db, "commission", c.id)] == ["pending", "confirmed"]


def test_a_signed_order_makes_a_pending_commission_that_settlement_confirms(db):
    referrer = make_customer(db)
    friend = refer(db, referrer)
    percent_rule(db, "10")
    db.commit()
    emit(db, "order.signed", {"order_id": 42, "customer_id": friend.id, "salesperson_employee_id": None,
                              "product_code": "credit", "funder_type": "bank", "amount_applied_fen": 10_000_000})
    [c] = _commissions(db, referrer)
    assert c.state == CS.pending and c.amount_fen == 0
    settle(db, friend.id, fee_fen=300_000, order_id=42)
    [c] = _commissions(db, referrer)
    assert c.state == CS.confirmed and c.amount_fen == 30_000


def test_customers_without_a_referrer_or_a_rule_earn_nobody_anything(db, products):
    stranger = make_customer(db)
    referrer = make_customer(db)
    friend = refer(db, referrer)
    percent_rule(db, "5", product_code="house_mortgage")
    db.commit()
    settle(db, stranger.id, fee_fen=100_000)
    settle(db, friend.id, fee_fen=100_000, product_code="credit")
    assert db.scalars(select(Commission)).all() == []


def test_the_most_specific_rule_applies_with_its_cap(db, products):
    referrer = make_customer(db)
    friend = refer(db, referrer)
    percent_rule(db, "5")
    percent_rule(db, "8", product_code="credit", cap="500")
    fixed_rule(db, "50", product_code="credit", funder_type="consumer_finance")
    db.commit()
    settle(db, friend.id, fee_fen=1_000_000, funder_type="bank")  # 8% of 10000 = 800, capped at 500
    settle(db, friend.id, fee_fen=1_000_000, funder_type="consumer_finance")
    settle(db, friend.id, fee_fen=1_000_000, product_code="car_mortgage")
    assert [c.amount_fen for c in _commissions(db, referrer)] == [50_000, 5_000, 50_000]


def test_two_levels_only_when_configured_and_within_the_fee_share(db, settings_env):
    grand, parent = make_customer(db), make_customer(db)
    refer(db, grand, parent)
    child = refer(db, parent)
    percent_rule(db, "20")
    percent_rule(db, "15", level=2)
    db.commit()
    settle(db, child.id, fee_fen=100_000)
    assert [c.amount_fen for c in _commissions(db, parent)] == [20_000]
    assert _commissions(db, grand) == []
    settings_env(SCRM_REFERRAL_DEPTH="2", SCRM_REFERRAL_MAX_FEE_SHARE_PERCENT="30")
    settle(db, child.id, fee_fen=100_000)
    # 20% + 15% of 1000 = 350, held to the 30% share: 300 in all
    assert [c.amount_fen for c in _commissions(db, parent)] == [20_000, 20_000]
    assert [(c.level, c.amount_fen) for c in _commissions(db, grand)] == [(2, 10_000)]


@pytest.mark.pure
def test_depth_above_two_is_refused(settings_env):
    import pytest
    from pydantic import ValidationError

    from scrm.core.config import get_settings

    settings_env(SCRM_REFERRAL_DEPTH="3")
    with pytest.raises(ValidationError):
        get_settings()


def test_a_refunded_deposit_reverses_and_a_voided_settlement_too(db):
    referrer = make_customer(db)
    friend = refer(db, referrer)
    percent_rule(db, "5")
    db.commit()
    first = settle(db, friend.id, fee_fen=200_000)
    second = settle(db, friend.id, fee_fen=400_000)
    emit(db, "deposit.refunded", {"deposit_id": 1, "order_id": first["order_id"], "customer_id": friend.id,
                                  "amount_fen": 50_000, "full": False})
    assert [c.state for c in _commissions(db, referrer)] == [CS.confirmed, CS.confirmed]
    emit(db, "deposit.refunded", {"deposit_id": 1, "order_id": first["order_id"], "customer_id": friend.id,
                                  "amount_fen": 50_000, "full": True})
    emit(db, "settlement.voided", {"settlement_id": second["settlement_id"], "order_id": second["order_id"],
                                   "customer_id": friend.id})
    rows = _commissions(db, referrer)
    assert [c.state for c in rows] == [CS.reversed, CS.reversed] and not any(c.was_paid for c in rows)
    assert events_named(db, "referral.commission_reversed") == [
        {"commission_id": rows[0].id, "referrer_customer_id": referrer.id, "amount_fen": 10_000, "was_paid": False},
        {"commission_id": rows[1].id, "referrer_customer_id": referrer.id, "amount_fen": 20_000, "was_paid": False}]
    assert referral_service.balance(db, referrer.id)["available"] == 0


def test_cooling_off_then_withdrawable(db, settings_env):
    settings_env(SCRM_REFERRAL_COOLING_OFF_HOURS="24")
    referrer = make_customer(db)
    friend = refer(db, referrer)
    percent_rule(db, "5")
    db.commit()
    settle(db, friend.id, fee_fen=200_000)
    [c] = _commissions(db, referrer)
    assert referral_service.release_withdrawable(db) == 0
    from datetime import timedelta

    assert referral_service.release_withdrawable(db, now=c.withdrawable_after + timedelta(seconds=1)) == 1
    assert c.state == CS.withdrawable
    assert referral_service.balance(db, referrer.id)["available"] == 10_000


def test_illegal_transitions_are_refused(db):
    referrer = make_customer(db)
    friend = refer(db, referrer)
    percent_rule(db, "5")
    db.commit()
    settle(db, friend.id, fee_fen=200_000)
    [c] = _commissions(db, referrer)
    with pytest.raises(InvalidTransition) as refused:
        referral_service.COMMISSION_MACHINE.advance(db, c, "pay", note="skip the cooling-off")
    # the 409 names the commission's state (冷静期) and where paying is allowed from (可提现), as staff call them
    assert refused.value.status_code == 409
    assert COMMISSION_NAMES[CommissionState.confirmed] in refused.value.message
    assert COMMISSION_NAMES[CommissionState.withdrawable] in refused.value.message
    referral_service.reverse(db, c, "test")
    with pytest.raises(InvalidTransition):
        referral_service.reverse(db, c, "twice")
