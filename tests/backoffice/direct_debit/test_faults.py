"""Faults, on committed data with the service live on loopback and the sandbox notifying it concurrently:
the notification before the submit call returns, duplicates, forged signatures and amounts, a timed-out
submit, and a real RQ worker killed between submitting and recording. None of them debits twice."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.direct_debit import service, tasks
from backoffice.direct_debit.models import (AttemptStatus, DebitAttempt, DebitChange, DebitNotification, DebitOrder,
                                            DebitStatus, PaymentAlert)
from scrm.bot.models import Notification
from scrm.core.db import session_scope
from scrm.core.events import OutboxEvent
from scrm.wechatpay.models import PayCall
from tests.factories.mandates import People, bind_card, sign_papay
from tests.wecom.test_worker import kill_hard, start_worker, wait_for


def setup(session, client) -> tuple[People, dict]:
    people = People(session)
    session.commit()
    return people, sign_papay(client, people.bob)


def create(session, people: People, due_key: str = "settlement:9", amount_fen: int = 320000) -> int:
    made = service.create_debit(session, people.finance, customer_id=people.bob.id, due_key=due_key,
                                amount_fen=amount_fen, description="服务费")
    session.commit()  # without Redis the submit job runs here, after the commit
    return made.id


def state(debit_id: int) -> tuple[DebitStatus, list[str]]:
    with session_scope() as s:
        debit = s.get(DebitOrder, debit_id)
        path = s.scalars(select(DebitChange.to_status).where(DebitChange.debit_id == debit_id)
                         .order_by(DebitChange.id)).all()
        return debit.status, list(path)


def count(model, *where) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_notification_before_the_submit_returns(committed_db, committed_client, sandbox_wechatpay):
    people, _ = setup(committed_db, committed_client)
    sandbox_wechatpay.inject("pay/pappayapply", notify="before")
    debit_id = create(committed_db, people)
    assert state(debit_id) == (DebitStatus.succeeded, ["created", "submitted", "succeeded"])
    with session_scope() as s:
        received = s.scalar(select(DebitNotification.received_at))
        answered = s.scalar(select(PayCall.called_at).where(PayCall.endpoint == "pay/pappayapply"))
        attempt = s.scalar(select(DebitAttempt))
    assert received < answered  # the notification was handled while the submit call was still open
    assert attempt.status == AttemptStatus.succeeded
    assert len(sandbox_wechatpay.deductions()) == 1
    assert count(OutboxEvent, OutboxEvent.name == "debit.succeeded") == 1


def test_duplicate_notifications_are_ignored(committed_db, committed_client, sandbox_wechatpay):
    people, _ = setup(committed_db, committed_client)
    sandbox_wechatpay.inject("pay/pappayapply", notify="twice")
    debit_id = create(committed_db, people)
    for note in list(sandbox_wechatpay.notifications):
        note.wait()
    again = sandbox_wechatpay.resend_notification()
    assert again.ok  # acknowledged, so WeChat stops sending it
    assert all(n.ok for n in sandbox_wechatpay.notifications)
    assert state(debit_id) == (DebitStatus.succeeded, ["created", "submitted", "succeeded"])
    assert count(DebitNotification) == 1
    assert count(OutboxEvent, OutboxEvent.name == "debit.succeeded") == 1


def test_forged_and_wrong_amount_notifications_are_rejected_and_alerted(committed_db, committed_client,
                                                                        sandbox_wechatpay, pay_live):
    people, mandate = setup(committed_db, committed_client)
    sandbox_wechatpay.inject("pay/pappayapply", notify="hold")  # WeChat is still deducting
    debit_id = create(committed_db, people)
    with session_scope() as s:
        out_trade_no = s.scalar(select(DebitAttempt.out_trade_no))
    order = sandbox_wechatpay.orders[out_trade_no]
    genuine = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": sandbox_wechatpay.appid,
               "mch_id": sandbox_wechatpay.mch_id, "out_trade_no": out_trade_no,
               "transaction_id": order["transaction_id"], "trade_state": "SUCCESS", "total_fee": 320000,
               "contract_id": mandate["contract_id"], "nonce_str": "abc"}
    url = f"{pay_live.url}/pay/notify/papay"

    forged = sandbox_wechatpay.notify_pay_raw(url, genuine, key="somebody-elses-key-0123456789abc")
    assert not forged.ok
    wrong_amount = sandbox_wechatpay.notify_pay_raw(url, {**genuine, "total_fee": 1})
    assert not wrong_amount.ok and wrong_amount.attempts == 3  # refused on every retry too
    assert state(debit_id)[0] == DebitStatus.submitted
    assert count(PaymentAlert, PaymentAlert.kind == "bad_signature") == forged.attempts  # each delivery, alerted
    assert count(PaymentAlert, PaymentAlert.kind == "amount_mismatch", PaymentAlert.debit_id == debit_id) == 1
    with session_scope() as s:  # finance hears of both in the next digest; the forgeries once, not per delivery
        told = s.scalars(select(Notification.text).where(Notification.employee_id == people.finance.id,
                                                         Notification.kind == "payment_alert")
                         .order_by(Notification.id)).all()
    assert [t.split("，")[0] for t in told] == ["代扣告警：通知验签失败", f"代扣告警：金额不符（代扣单 {debit_id}）"]

    assert sandbox_wechatpay.settle(out_trade_no).ok  # the real result
    assert state(debit_id)[0] == DebitStatus.succeeded


def test_timeout_is_unknown_until_a_query_says(committed_db, committed_client, sandbox_wechatpay):
    people, _ = setup(committed_db, committed_client)
    sandbox_wechatpay.inject("pay/pappayapply", delay_s=3, notify="never")  # the client gives up after 2 s
    sandbox_wechatpay.inject("pay/paporderquery", err_code="SYSTEMERROR", times=3)  # the first query fails too
    debit_id = create(committed_db, people)
    assert state(debit_id) == (DebitStatus.unknown, ["created", "submitted", "unknown"])
    assert count(PayCall, PayCall.endpoint == "pay/pappayapply", PayCall.errcode == "TIMEOUT") == 1

    tasks.submit_debit(debit_id)  # a repeated submit job does not send again
    assert sandbox_wechatpay.call_count("pay/pappayapply") == 1
    assert tasks.poll_debit(debit_id) == "succeeded"
    assert state(debit_id) == (DebitStatus.succeeded, ["created", "submitted", "unknown", "succeeded"])
    assert len(sandbox_wechatpay.deductions()) == 1


def test_worker_killed_between_submitting_and_recording(committed_db, committed_client, sandbox_wechatpay,
                                                        redis_url, settings_env):
    people, _ = setup(committed_db, committed_client)
    settings_env(SCRM_WECHATPAY_TIMEOUT_S="30")
    sandbox_wechatpay.inject("pay/pappayapply", delay_s=8, notify="never")
    first = start_worker()
    try:
        debit_id = create(committed_db, people)
        wait_for(lambda: sandbox_wechatpay.call_count("pay/pappayapply") == 1, what="the submit to reach WeChat")
        wait_for(lambda: len(sandbox_wechatpay.deductions(succeeded_only=True)) == 1,
                 what="the charge")  # charged; the answer is on its way (8 s)
    finally:
        kill_hard(first)
    with session_scope() as s:
        assert s.get(DebitOrder, debit_id).status == DebitStatus.submitted
        assert s.scalar(select(DebitAttempt.status)) == AttemptStatus.sending

    second = start_worker()
    try:
        tasks.submit_debit(debit_id)  # RQ delivering the job again: it asks instead of sending
        wait_for(lambda: state(debit_id)[0] == DebitStatus.succeeded, what="the query to settle the debit")
        assert tasks.poll(stale_after_s=0) == {"submit": 0, "query": 0}
    finally:
        kill_hard(second)
    assert state(debit_id)[1] == ["created", "submitted", "unknown", "succeeded"]
    assert sandbox_wechatpay.call_count("pay/pappayapply") == 1
    assert len(sandbox_wechatpay.deductions()) == 1


def test_wechat_pay_never_notifying_the_poll_resolves_every_debit_once(committed_db, committed_client,
                                                                        sandbox_wechatpay):
    people, _ = setup(committed_db, committed_client)
    bind_card(committed_client, sandbox_wechatpay, people.alice)
    sandbox_wechatpay.inject("notify", notify="never", times=1000)  # from now on no notification arrives
    ids = [create(committed_db, people, due_key=f"instalment:{i}", amount_fen=100_000 + i) for i in range(3)]
    committed_db.expire_all()
    ids += [service.create_debit(committed_db, people.finance, customer_id=people.alice.id, due_key=f"instalment:{i}",
                                 amount_fen=200_000 + i, description="服务费").id for i in range(3, 6)]
    committed_db.commit()
    assert {state(i)[0] for i in ids} == {DebitStatus.submitted}  # accepted by the providers, never told the result
    assert not any(n.ok for n in sandbox_wechatpay.notifications if n.kind in ("pay", "bank"))

    assert tasks.poll(stale_after_s=0) == {"submit": 0, "query": 6}  # the periodic poll asks about each
    assert all(state(i) == (DebitStatus.succeeded, ["created", "submitted", "succeeded"]) for i in ids)
    assert tasks.poll(stale_after_s=0) == {"submit": 0, "query": 0}  # nothing left to resolve, nothing sent again

    assert len(sandbox_wechatpay.deductions(succeeded_only=True)) == 3
    assert len(sandbox_wechatpay.bank_debits(succeeded_only=True)) == 3
    assert sandbox_wechatpay.call_count("pay/pappayapply") == 3
    assert count(OutboxEvent, OutboxEvent.name == "debit.succeeded") == 6
