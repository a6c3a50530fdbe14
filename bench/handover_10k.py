"""Hand over a departed salesperson's 10,000 customers against the sandbox WeCom and print our own time
per 1,000 customers: open + plan, transfer calls (batches of 100), tracking + local moves + the taker's
message. The sandbox's simulated 24-hour acceptance (``complete_transfers``) is not timed.

    .venv/bin/python bench/handover_10k.py [--customers 10000] [--takers 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PII_KEY, fresh_database  # noqa: E402
from scrm.core.config import SANDBOX_WECOM  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--takers", type=int, default=4)
    args = parser.parse_args()
    url = fresh_database("scrm_bench_handover")
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")

    from scrm.sandbox.wecom import SandboxWecom

    sandbox = SandboxWecom(**SANDBOX_WECOM, calls_per_minute=1_000_000)
    base = sandbox.start()
    os.environ.update(SCRM_WECOM_API_BASE=base, SCRM_WECOM_CORP_ID=SANDBOX_WECOM["corp_id"],
                      SCRM_WECOM_SECRET=SANDBOX_WECOM["secret"], SCRM_WECOM_AGENT_ID=str(SANDBOX_WECOM["agent_id"]))

    from sqlalchemy import insert

    from scrm.core.config import reset_settings
    from scrm.customers.models import Customer
    from scrm.core.db import get_engine, session_scope
    from scrm.groups.models import CustomerTier
    from scrm.handover import service, tasks
    from scrm.handover.models import HandoverBatch, HandoverCase, HandoverItem
    from scrm.org import service as org_service
    from scrm.org.models import Employee

    reset_settings()
    for model in (HandoverCase, HandoverBatch, HandoverItem):  # until the migration has them
        model.__table__.create(get_engine(), checkfirst=True)

    n = args.customers
    sandbox.seed_user("giver", "离职销售")
    externals = [sandbox.seed_external_contact(f"客户{i}", ["giver"]) for i in range(n)]
    with session_scope() as s:
        giver = Employee(name="离职销售", wecom_userid="giver")
        takers = [Employee(name=f"接替{t}", wecom_userid=f"taker{t}") for t in range(args.takers)]
        s.add_all([giver, *takers])
        s.flush()
        for t in takers:
            sandbox.seed_user(t.wecom_userid, t.name)
        ids = s.scalars(insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
                        [{"name": f"客户{i}", "wecom_external_userid": e, "owner_id": giver.id}
                         for i, e in enumerate(externals)]).all()
        s.execute(insert(CustomerTier), [{"customer_id": c, "tier": "ABC"[i % 3]} for i, c in enumerate(ids)])
        giver_id, taker_ids = giver.id, [t.id for t in takers]
    sandbox.user_deleted("giver")

    timings: dict[str, float] = {}
    started = time.perf_counter()
    with session_scope() as s:
        org_service.mark_departed(s, giver_id)
        case = service.open_case(s, giver_id)
        service.plan_case(s, case.id, service.make_rule(s, case, strategy="least_loaded", taker_ids=taker_ids))
        case_id = case.id
    timings["open + plan"] = time.perf_counter() - started

    started = time.perf_counter()
    batches = tasks.run_case(case_id)
    timings["transfer calls"] = time.perf_counter() - started

    sandbox.complete_transfers(1)  # WeCom's 24 hours: the sandbox's time, not ours

    started = time.perf_counter()
    applied = tasks.track_case(case_id)
    timings["track + move + notify"] = time.perf_counter() - started

    with session_scope() as s:
        status = service.get_case(s, case_id).status.value
    sandbox.stop()
    total = sum(timings.values())
    print(f"customers: {n}  takers: {args.takers}  batches: {batches}  accepted: {applied.get('accepted', 0)}  "
          f"case: {status}")
    for name, seconds in timings.items():
        print(f"  {name:<24} {seconds:8.2f} s   {seconds / n * 1000:6.2f} s per 1,000 customers")
    print(f"  {'total (ours)':<24} {total:8.2f} s   {total / n * 1000:6.2f} s per 1,000 customers")


if __name__ == "__main__":
    main()
