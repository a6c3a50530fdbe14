"""Direct debit end to end against the sandbox WeChat Pay on loopback and PostgreSQL: finance debits N
customers (papay and bank card alternately), each debit submitted by its job and settled by the provider's
asynchronous notification to the served app; then every notification is sent again (duplicates). Prints the
time per debit (create + submit, p50/p95), debits a second, the time until all are notified, duplicate
notifications a second, and the deductions the sandbox made (must equal N).

    .venv/bin/python bench/direct_debit.py [--debits 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PII_KEY, fresh_database  # noqa: E402
from scrm.core.config import SANDBOX_BANKPAY, SANDBOX_WECHATPAY  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debits", type=int, default=300)
    parser.add_argument("--drop-notifications", action="store_true",
                        help="the sandbox never notifies; the periodic poll (as the scheduler runs it) resolves them")
    args = parser.parse_args()
    url = fresh_database("scrm_bench_debits")
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")

    from scrm.core.clock import BEIJING
    from scrm.sandbox.loopback import LoopbackServer
    from scrm.sandbox.wechatpay import SandboxWechatPay

    sandbox = SandboxWechatPay(**SANDBOX_WECHATPAY, notice_required=True)
    base = sandbox.start()
    sandbox.set_clock(datetime.now(BEIJING).replace(hour=10, minute=0))
    from loan_scrm.app import create_app

    app_server = LoopbackServer(create_app(), "bench app")
    port = app_server.start()
    os.environ.update(
        SCRM_WECHATPAY_API_BASE=base, SCRM_WECHATPAY_APPID=SANDBOX_WECHATPAY["appid"],
        SCRM_WECHATPAY_MCH_ID=SANDBOX_WECHATPAY["mch_id"], SCRM_WECHATPAY_API_KEY=SANDBOX_WECHATPAY["api_key"],
        SCRM_WECHATPAY_PAPAY_PLAN_ID=SANDBOX_WECHATPAY["plan_id"], SCRM_WECHATPAY_NOTIFY_BASE=f"http://127.0.0.1:{port}",
        SCRM_WECHATPAY_CLOCK_OFFSET_S=str(int(sandbox.clock_offset_s)), SCRM_BANKPAY_API_BASE=sandbox.bank_base_url,
        SCRM_BANKPAY_MERCHANT_ID=SANDBOX_BANKPAY["merchant_id"], SCRM_BANKPAY_KEY=SANDBOX_BANKPAY["key"])
    from scrm.core.config import reset_settings

    reset_settings()
    from sqlalchemy import func, select

    from backoffice.direct_debit import service
    from backoffice.direct_debit.models import DebitOrder, DebitStatus
    from scrm.core.db import session_scope, utcnow
    from scrm.customers.models import Customer
    from scrm.mandates.models import Mandate, MandateKind, MandateStatus
    from scrm.org.models import Employee, Role

    with session_scope() as s:
        finance = Employee(name="财务", role=Role.finance)
        s.add(finance)
        customers = [Customer(name=f"客户{i}", custom_fields={}) for i in range(args.debits)]
        s.add_all(customers)
        s.flush()
        for i, c in enumerate(customers):
            scope = dict(customer_id=c.id, status=MandateStatus.active, scope_ref="BENCH", max_amount_fen=10**7,
                         valid_until=utcnow() + timedelta(days=365), signed_at=utcnow())
            if i % 2:
                contract = sandbox.sign_contract({"plan_id": sandbox.plan_id, "contract_code": f"B{c.id}"})
                s.add(Mandate(kind=MandateKind.papay, contract_code=f"B{c.id}", contract_id=contract["contract_id"],
                              **scope))
            else:
                agreement = f"AGB{c.id}"
                sandbox.bank_agreements[agreement] = {"agreement_no": agreement, "card_no": "6222021234567890128",
                                                      "name": c.name, "phone": "13800138000", "status": "ACTIVE"}
                s.add(Mandate(kind=MandateKind.bank_card, agreement_no=agreement, card_last4="0128", **scope))
        finance_id, ids = finance.id, [c.id for c in customers]

    if args.drop_notifications:
        sandbox.inject("notify", notify="never", times=10**9)
    from backoffice.direct_debit import tasks
    from loan_scrm.scheduler import PERIODIC

    poll_every = next(p.every_s for p in PERIODIC if p.name == "debit-poll")
    next_poll = time.perf_counter() + poll_every
    polls = 0
    per_debit = []
    started = time.perf_counter()
    for i, customer_id in enumerate(ids):
        t0 = time.perf_counter()
        with session_scope() as s:  # the submit job runs inline once this commits
            service.create_debit(s, s.get(Employee, finance_id), customer_id=customer_id, due_key=f"bench:{i}",
                                 amount_fen=10_000 + i, description="服务费")
        per_debit.append(time.perf_counter() - t0)
    submitted = time.perf_counter() - started
    while True:
        with session_scope() as s:
            done = s.scalar(select(func.count()).select_from(DebitOrder).where(DebitOrder.status == DebitStatus.succeeded))
        if done == len(ids) or time.perf_counter() - started > 400:
            break
        if args.drop_notifications and time.perf_counter() >= next_poll:
            tasks.poll()  # the scheduler's periodic job, at its interval and with its default staleness
            polls += 1
            next_poll += poll_every
        time.sleep(0.05)
    all_done = time.perf_counter() - started
    if args.drop_notifications:
        sandbox.clear_faults()
        print(f"notifications dropped           : {sum(1 for n in sandbox.notifications if not n.ok)} "
              f"(none delivered); resolved by {polls} scheduled poll(s), every {poll_every} s")
        print(f"time to recover                 : {all_done - submitted:.1f} s after the last submit")

    notes = list(sandbox.notifications)
    t0 = time.perf_counter()
    for note in notes:
        sandbox._send(note.kind, note.url, note.body, note.headers, wait=True)
    dup_s = time.perf_counter() - t0
    deductions = len(sandbox.deductions(succeeded_only=True)) + len(sandbox.bank_debits(succeeded_only=True))
    q = statistics.quantiles(per_debit, n=20)
    print(f"debits                          : {len(ids)} ({done} succeeded)")
    print(f"create + submit per debit       : p50 {statistics.median(per_debit) * 1000:.1f} ms, "
          f"p95 {q[18] * 1000:.1f} ms")
    print(f"debits a second (one finance)   : {len(ids) / submitted:.1f}")
    print(f"all notified and succeeded after: {all_done:.1f} s")
    print(f"duplicate notifications a second: {len(notes) / dup_s:.1f} ({len(notes)} sent again, all ignored)")
    print(f"deductions at the providers     : {deductions}")
    app_server.stop()
    sandbox.stop()


if __name__ == "__main__":
    main()
