"""Property, on committed data with the sandbox notifying concurrently: whatever finance and the provider do
in whatever order (press the button, press it again, lose notifications, repeat them, time out, refuse with
SYSTEMERROR, hold the deduction, poll), no amount due is ever deducted twice, and once WeChat has deducted
it our order ends succeeded with one event."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backoffice.direct_debit import service, tasks
from backoffice.direct_debit.models import DebitAttempt, DebitOrder, DebitStatus
from scrm.core.events import OutboxEvent
from tests.factories.mandates import People, sign_papay

KEYS = ("a", "b", "c")
_run = itertools.count()

create = st.tuples(st.just("create"), st.sampled_from(KEYS),
                   st.sampled_from([None, "never", "hold", "SYSTEMERROR", "timeout", "twice"]))
again = st.tuples(st.just("again"), st.sampled_from(KEYS))
repeat = st.tuples(st.just("repeat"), st.sampled_from(KEYS))
settle = st.tuples(st.just("settle"), st.sampled_from(KEYS))
poll = st.tuples(st.just("poll"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(st.one_of(create, again, repeat, settle, poll), min_size=1, max_size=12))
def test_no_amount_due_is_deducted_twice(steps, committed_db, committed_client, sandbox_wechatpay, settings_env):
    db = committed_db
    if not hasattr(sandbox_wechatpay, "people"):
        sandbox_wechatpay.people = People(db)
        db.commit()
        sign_papay(committed_client, sandbox_wechatpay.people.bob)
        settings_env(SCRM_WECHATPAY_TIMEOUT_S="0.5")
    people = sandbox_wechatpay.people
    run = next(_run)
    due = {k: f"prop{run}:{k}" for k in KEYS}

    def debit_of(k):
        return service.find_debit(db, due[k], 10_000 + KEYS.index(k))

    def out_trade_nos(k):
        d = debit_of(k)
        return [] if d is None else list(db.scalars(select(DebitAttempt.out_trade_no).where(DebitAttempt.debit_id == d.id)))

    def press(k):
        service.create_debit(db, people.finance, customer_id=people.bob.id, due_key=due[k],
                             amount_fen=10_000 + KEYS.index(k), description="服务费")
        db.commit()

    for step in steps:
        kind, k = step[0], step[1] if len(step) > 1 else None
        if kind == "create":
            if debit_of(k) is None:
                mode = step[2]
                if mode == "SYSTEMERROR":
                    sandbox_wechatpay.inject("pay/pappayapply", err_code="SYSTEMERROR")
                elif mode == "timeout":
                    sandbox_wechatpay.inject("pay/pappayapply", delay_s=1.0, notify="never")
                elif mode:
                    sandbox_wechatpay.inject("pay/pappayapply", notify=mode)
            press(k)
            sandbox_wechatpay.clear_faults()
        elif kind == "again" and debit_of(k) is not None:
            press(k)
        elif kind == "repeat":
            mine = set(out_trade_nos(k))
            for i, note in list(enumerate(sandbox_wechatpay.notifications)):
                if note.kind == "pay" and any(f"<![CDATA[{n}]]>" in note.body.decode() for n in mine):
                    sandbox_wechatpay.resend_notification(i)
        elif kind == "settle":
            for n in out_trade_nos(k):
                order = sandbox_wechatpay.orders.get(n)
                if order and order["trade_state"] == "ACCEPT":
                    sandbox_wechatpay.settle(n)
        elif kind == "poll":
            tasks.poll(stale_after_s=0)
        db.expire_all()
        for key in KEYS:
            charged = [n for n in out_trade_nos(key) if sandbox_wechatpay.orders.get(n, {}).get("trade_state") == "SUCCESS"]
            assert len(charged) <= 1, f"{due[key]} deducted {len(charged)} times"
            assert db.scalar(select(func.count()).select_from(DebitOrder).where(DebitOrder.due_key == due[key])) <= 1

    for note in list(sandbox_wechatpay.notifications):
        note.wait()
    for key in KEYS:  # let everything finish: WeChat completes held deductions, finance's poll asks
        for n in out_trade_nos(key):
            if sandbox_wechatpay.orders.get(n, {}).get("trade_state") == "ACCEPT":
                sandbox_wechatpay.settle(n)
    tasks.poll(stale_after_s=0)
    db.expire_all()
    for key in KEYS:
        d = debit_of(key)
        charged = [n for n in out_trade_nos(key) if sandbox_wechatpay.orders.get(n, {}).get("trade_state") == "SUCCESS"]
        if charged:
            assert d.status == DebitStatus.succeeded
            events = db.scalars(select(OutboxEvent.payload).where(OutboxEvent.name == "debit.succeeded")).all()
            assert sum(1 for e in events if e["debit_id"] == d.id) == 1
        elif d is not None:
            assert d.status != DebitStatus.succeeded
