"""Debit orders against the sandbox providers: one order per amount due, the state machine, papay's
window and pre-deduction notice, attempts and retries, failures, the bank provider, reconciliation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from backoffice.direct_debit import service, tasks
from backoffice.direct_debit.labels import DEBIT_NAMES
from backoffice.direct_debit.models import AttemptStatus, DebitChange, DebitOrder, DebitStatus, PaymentAlert
from scrm.core.clock import BEIJING
from scrm.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from tests.factories.common import events_named
from tests.factories.mandates import bind_card, customer_auth, sign_papay


@pytest.fixture
def papay(pay_client, people):
    return sign_papay(pay_client, people.bob)


@pytest.fixture
def card(pay_client, sandbox_wechatpay, people):
    return bind_card(pay_client, sandbox_wechatpay, people.alice)


def debit(db, people, customer=None, due_key="settlement:1", amount_fen=320000, **kw) -> DebitOrder:
    made = service.create_debit(db, people.finance, customer_id=(customer or people.bob).id, due_key=due_key,
                                amount_fen=amount_fen, description="服务费", **kw)
    db.commit()  # the rolled-back test transaction stays open; this ends the savepoint and runs the jobs
    db.refresh(made)
    return made


def test_papay_debit_succeeds_once_however_often_pressed(db, people, papay, sandbox_wechatpay):
    first = debit(db, people)
    again = debit(db, people)
    assert again.id == first.id and first.status == DebitStatus.succeeded
    assert len(sandbox_wechatpay.deductions(succeeded_only=True)) == 1
    assert len(sandbox_wechatpay.notices) == 1 and sandbox_wechatpay.notices[0]["estimated_amount"] == 320000
    [event] = events_named(db, "debit.succeeded")
    assert event == {"debit_id": first.id, "due_key": "settlement:1", "customer_id": people.bob.id,
                     "amount_fen": 320000, "provider": "papay", "succeeded_at": first.succeeded_at.isoformat()}
    path = db.scalars(select(DebitChange.to_status).where(DebitChange.debit_id == first.id).order_by(DebitChange.id)).all()
    assert path == ["created", "submitted", "succeeded"]


def test_same_key_other_amount_is_refused_while_live(db, people, papay):
    debit(db, people)
    with pytest.raises(Conflict):
        service.create_debit(db, people.finance, customer_id=people.bob.id, due_key="settlement:1", amount_fen=1,
                             description="x")


def test_only_finance_debits(db, people, papay):
    with pytest.raises(Forbidden):
        service.create_debit(db, people.sales, customer_id=people.bob.id, due_key="k", amount_fen=100, description="x")


def test_amount_limits_and_mandates(db, people, papay, card):
    with pytest.raises(ValidationFailed) as over:
        service.create_debit(db, people.finance, customer_id=people.bob.id, due_key="k", amount_fen=500001,
                             description="x")
    assert over.value.field == "amount"
    with pytest.raises(ValidationFailed) as zero:
        service.create_debit(db, people.finance, customer_id=people.bob.id, due_key="k", amount_fen=0, description="x")
    assert zero.value.field == "amount"
    with pytest.raises(ValidationFailed) as other:
        service.create_debit(db, people.finance, customer_id=people.bob.id, due_key="k", amount_fen=100,
                             description="x", mandate_id=card["id"])
    assert other.value.field == "mandate_id"
    with pytest.raises(Conflict):
        service.create_debit(db, people.finance, customer_id=people.finance.id + 10_000, due_key="k", amount_fen=100,
                             description="x")


def test_every_illegal_transition_is_refused(db, people, papay):
    made = debit(db, people)
    for current in DebitStatus:
        for action in service.DEBIT_MACHINE.actions:
            made.status = current
            if (current, action) in service.DEBIT_MACHINE.transitions:
                continue
            with pytest.raises(InvalidTransition) as refused:
                service.DEBIT_MACHINE.advance(db, made, action, note="test")
            # the 409 names the current state as finance knows it, and the states the action is allowed from
            assert refused.value.status_code == 409 and DEBIT_NAMES[current.value] in refused.value.message
            assert all(DEBIT_NAMES[s.value] in refused.value.message for s in service.DEBIT_MACHINE.allowed_from(action))
            assert refused.value.extra["allowed"] == [s.value for s in service.DEBIT_MACHINE.allowed_from(action)]


def test_outside_papay_hours_waits_for_seven(db, people, papay, sandbox_wechatpay, settings_env):
    night = datetime.now(BEIJING).replace(hour=23, minute=10, second=0, microsecond=0)
    sandbox_wechatpay.set_clock(night)
    settings_env(SCRM_WECHATPAY_CLOCK_OFFSET_S=int(sandbox_wechatpay.clock_offset_s))
    waiting = debit(db, people)
    assert waiting.status == DebitStatus.created
    assert waiting.not_before.astimezone(BEIJING) == (night + timedelta(days=1)).replace(hour=7, minute=0)
    assert tasks.poll(stale_after_s=0)["submit"] == 0
    assert sandbox_wechatpay.deductions() == []

    morning = (night + timedelta(days=1)).replace(hour=7, minute=0, second=30)
    sandbox_wechatpay.set_clock(morning)
    settings_env(SCRM_WECHATPAY_CLOCK_OFFSET_S=int(sandbox_wechatpay.clock_offset_s))
    assert tasks.poll(stale_after_s=0)["submit"] == 1
    db.refresh(waiting)
    assert waiting.status == DebitStatus.succeeded and len(sandbox_wechatpay.deductions()) == 1


def test_retryable_failure_is_a_new_attempt(db, people, papay, sandbox_wechatpay):
    sandbox_wechatpay.inject("pay/pappayapply", err_code="SYSTEMERROR", times=1)
    made = debit(db, people)
    attempts = service.attempts_of(db, made.id)
    assert [a.status for a in attempts] == [AttemptStatus.failed, AttemptStatus.succeeded]
    assert attempts[0].out_trade_no != attempts[1].out_trade_no
    assert made.status == DebitStatus.succeeded and len(sandbox_wechatpay.deductions()) == 1


def test_three_retryable_failures_fail_the_debit(db, people, papay, sandbox_wechatpay):
    sandbox_wechatpay.inject("pay/pappayapply", err_code="SYSTEMERROR", times=3)
    made = debit(db, people)
    assert made.status == DebitStatus.failed and made.attempts == 3 and "after 3 attempts" in made.failure_reason
    [event] = events_named(db, "debit.failed")
    assert event["debit_id"] == made.id and event["provider"] == "papay" and event["reason"] == made.failure_reason
    assert sandbox_wechatpay.deductions() == []


def test_declined_deduction_fails_without_retry(db, people, papay, sandbox_wechatpay):
    sandbox_wechatpay.fail_deductions(papay["contract_id"], "余额不足")
    made = debit(db, people)
    assert made.status == DebitStatus.failed and made.attempts == 1 and "余额不足" in made.failure_reason


def test_revoked_authorisation_is_not_debited(db, people, pay_client, papay, sandbox_wechatpay, settings_env):
    night = datetime.now(BEIJING).replace(hour=23)
    sandbox_wechatpay.set_clock(night)
    settings_env(SCRM_WECHATPAY_CLOCK_OFFSET_S=int(sandbox_wechatpay.clock_offset_s))
    waiting = debit(db, people)
    assert pay_client.post(f"/mp/mandates/{papay['id']}/revoke", headers=customer_auth(people.bob)).status_code == 200
    sandbox_wechatpay.set_clock((night + timedelta(days=1)).replace(hour=9))
    settings_env(SCRM_WECHATPAY_CLOCK_OFFSET_S=int(sandbox_wechatpay.clock_offset_s))
    tasks.poll(stale_after_s=0)
    db.refresh(waiting)
    assert waiting.status == DebitStatus.failed and "no longer active" in waiting.failure_reason
    assert sandbox_wechatpay.deductions() == []


def test_bank_card_debit(db, people, card, sandbox_wechatpay):
    made = debit(db, people, customer=people.alice, due_key="settlement:2", amount_fen=150000)
    assert made.provider == "bank" and made.status == DebitStatus.succeeded
    assert len(sandbox_wechatpay.bank_debits(succeeded_only=True)) == 1


def test_reconciliation_matches_and_reports(db, people, papay, card, sandbox_wechatpay, pay_live):
    paid = debit(db, people)
    bank_paid = debit(db, people, customer=people.alice, due_key="settlement:2", amount_fen=150000)
    # a deduction WeChat made that we have no order for
    from scrm.wechatpay.client import get_pay_client

    client = get_pay_client()
    client.withhold.apply_deduct("?", 100, papay["contract_id"], "", out_trade_no="STRANGER1")
    day = sandbox_wechatpay.now().astimezone(BEIJING).date()
    rec = service.reconcile(db, "papay", day)
    assert rec.matched == 1 and [m["kind"] for m in rec.mismatches] == ["missing_here"]
    db.refresh(paid)
    assert paid.status == DebitStatus.reconciled
    assert db.scalars(select(PaymentAlert.kind).where(PaymentAlert.kind == "reconciliation")).all() == ["reconciliation"]
    assert service.reconcile(db, "bank", day).matched == 1
    db.refresh(bank_paid)
    assert bank_paid.status == DebitStatus.reconciled
    rerun = service.reconcile(db, "papay", day)
    assert rerun.run == 2 and rerun.matched == 1


def test_reconciliation_reports_a_debit_missing_from_the_bill(db, people, papay, sandbox_wechatpay):
    paid = debit(db, people)
    other = debit(db, people, due_key="settlement:3", amount_fen=1000)
    [attempt] = service.attempts_of(db, paid.id)
    del sandbox_wechatpay.orders[attempt.out_trade_no]  # WeChat's bill does not have it
    rec = service.reconcile(db, "papay", sandbox_wechatpay.now().astimezone(BEIJING).date())
    assert rec.matched == 1
    assert rec.mismatches == [{"kind": "missing_at_provider", "debit_id": paid.id,
                               "out_trade_no": attempt.out_trade_no, "our_fen": 320000}]
    db.refresh(paid)
    db.refresh(other)
    assert paid.status == DebitStatus.succeeded and other.status == DebitStatus.reconciled
