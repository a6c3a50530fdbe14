"""Mini-program sign-in and referral commissions on a scratch PostgreSQL database.

    .venv/bin/python -m bench.referral_settlements [--logins 300] [--settlements 5000]

Sign-in: ``POST /mp/auth/login`` through the app (in process) against the sandbox mini-program API,
one at a time. Settlements: ``settlement.closed`` handled by the referral subscriber for referred
customers with two referrer levels, then the cooling-off job over all of them.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timezone


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--settlements", type=int, default=5000)
    args = parser.parse_args()

    from bench.common import PII_KEY, fresh_database

    url = fresh_database("scrm_bench_referral")
    os.environ.update({"SCRM_DATABASE_URL": url, "SCRM_PII_KEY": PII_KEY, "SCRM_SECRET_KEY": "bench",
                       "SCRM_REDIS_URL": "", "SCRM_REFERRAL_DEPTH": "2", "SCRM_REFERRAL_COOLING_OFF_HOURS": "0"})
    from scrm.core.config import SANDBOX_WXA, reset_settings

    from scrm.sandbox.wxa import SandboxWxa

    sandbox = SandboxWxa(**SANDBOX_WXA)
    os.environ.update({"SCRM_WXA_API_BASE": sandbox.start(), "SCRM_WXA_APPID": SANDBOX_WXA["appid"],
                       "SCRM_WXA_SECRET": SANDBOX_WXA["secret"]})
    reset_settings()
    from decimal import Decimal

    from fastapi.testclient import TestClient

    from backoffice.settlements.events import SettlementClosed
    from loan_scrm.app import create_app
    from scrm.customers.models import Customer, CustomerSource, Stage
    from scrm.core.db import session_scope
    from scrm.referral import service as referral_service
    from scrm.referral.models import Referral
    from scrm.referral.schemas import RuleIn

    client = TestClient(create_app())
    t = time.perf_counter()
    for i in range(args.logins):
        r = client.post("/mp/auth/login", json={"code": sandbox.login_code(unionid=f"u_bench_{i}")})
        assert r.status_code == 200, r.text
    login_s = time.perf_counter() - t

    n = args.settlements
    with session_scope() as session:
        referral_service.create_rule(session, None, RuleIn(name="L1", kind="percent", rate_percent=Decimal("10"),
                                                           level=1))
        referral_service.create_rule(session, None, RuleIn(name="L2", kind="percent", rate_percent=Decimal("3"),
                                                           level=2))
        people = [Customer(name=f"客户{i}", source=CustomerSource.manual, stage=Stage.disbursed, custom_fields={})
                  for i in range(n + 2)]
        session.add_all(people)
        session.flush()
        # a chain: each customer referred by the one before, so every settlement pays two levels
        session.add_all(Referral(referred_customer_id=people[i].id, referrer_customer_id=people[i - 1].id,
                                 source="miniprogram", code="BENCH") for i in range(1, n + 2))
        ids = [p.id for p in people[2:]]
    t = time.perf_counter()
    for start in range(0, n, 500):
        with session_scope() as session:
            for k, customer_id in enumerate(ids[start:start + 500], start=start):
                referral_service.on_settlement_closed(session, SettlementClosed(
                    settlement_id=k + 1, order_id=k + 1, customer_id=customer_id, product_code="credit",
                    funder_type="bank", service_fee_collected_fen=123_457 + k, disbursed_amount_fen=10_000_000,
                    salesperson_employee_id=None, closed_at=datetime.now(timezone.utc)))
    settle_s = time.perf_counter() - t
    t = time.perf_counter()
    from scrm.referral import tasks

    released = tasks.release_withdrawable()
    release_s = time.perf_counter() - t
    sandbox.stop()
    print(f"sign-in (code2session through the sandbox, find-or-create, token): {args.logins} in {login_s:.1f} s "
          f"= {args.logins / login_s:.0f}/s")
    print(f"settlement.closed -> 2 commissions each: {n} in {settle_s:.1f} s = {n / settle_s:.0f} settlements/s")
    print(f"cooling-off job: {released} commissions made withdrawable in {release_s:.1f} s")


if __name__ == "__main__":
    main()
