"""The chat sidebar with 100,000 customers on PostgreSQL, and the JS-SDK tickets across server processes.

1. Server time of the sidebar's pages (FastAPI TestClient in process: the app's whole request path, no network),
   each request as the owner of a random customer: the customer page a salesperson sees first (profile, tags,
   tasks, follow-ups, orders), the entry page that is signed for the JS-SDK, and the scripts and materials.
2. Four uvicorn worker processes sharing Redis, against the sandbox WeCom: many signed pages at once, then the
   count of ticket fetches WeCom saw (one of each is right: the tickets live 7200 s).

    .venv/bin/python bench/sidebar.py [--customers 100000] [--runs 200] [--requests 400] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402
import requests  # noqa: E402

from bench.common import PII_KEY, REDIS_URL, ROOT, free_port, fresh_database, reused_database, wait_port  # noqa: E402
from bench.console_pages import STAGES, TAGS  # noqa: E402

DB_NAME = "scrm_bench_sidebar"
SECRET = "bench-sidebar"


def seed(n: int) -> None:
    from sqlalchemy import insert, select

    from scrm.core.db import session_scope
    from scrm.customers import service as customer_service
    from scrm.customers.models import Customer, CustomerFollow, FollowUp, TimelineEntry
    from scrm.materials.models import Material
    from scrm.org.models import DataScope, Department, Employee, EmployeeStatus, Role
    from scrm.sop.models import SopTask
    from scrm.tagging.models import CustomerProfile

    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    with session_scope() as s:
        products = customer_service.seed_products(s)
        departments = [Department(name=f"营销{i + 1}部") for i in range(12)]
        s.add_all(departments)
        s.flush()
        staff = [Employee(name=f"销售{i:03d}", role=Role.sales, scope=DataScope.own, department_id=departments[i % 12].id,
                          wecom_userid=f"sales{i}", status=EmployeeStatus.active) for i in range(240)]
        manager = Employee(name="经理", role=Role.manager, scope=DataScope.all, wecom_userid="manager")
        s.add_all([*staff, manager])
        s.flush()
        sales_ids = [e.id for e in staff]
        s.add_all([Material(kind="text", group_name=f"分组{g}", title=f"话术{g}-{k}", content="{客户称呼}您好，{产品}{金额}可以办理",
                            created_by=manager.id) for g in range(6) for k in range(8)])
    with session_scope() as s:
        for start in range(0, n, 10_000):
            s.execute(insert(Customer), [{
                "name": f"客户{i:06d}", "owner_id": sales_ids[i % len(sales_ids)],
                "wecom_external_userid": f"wm{i:030d}", "stage": rng.choice(STAGES),
                "phone_tail": f"{rng.randrange(10000):04d}", "product_id": products[i % len(products)].id,
                "amount_fen": rng.randrange(1, 100) * 1_000_000, "custom_fields": {}, "gender": 1 + i % 2,
                "created_at": now - timedelta(minutes=rng.randrange(180 * 24 * 60)),
            } for i in range(start, min(n, start + 10_000))])
    with session_scope() as s:
        rows = s.execute(select(Customer.id, Customer.owner_id).order_by(Customer.id)).all()
        for start in range(0, len(rows), 10_000):
            chunk = rows[start:start + 10_000]
            s.execute(insert(CustomerFollow), [{"customer_id": c, "employee_id": o, "status": "active",
                                                "added_at": now} for c, o in chunk])
            s.execute(insert(CustomerProfile), [{
                "customer_id": c, "intent": rng.choice(["high", "medium", "low"]), "product": "房抵贷",
                "tags": rng.sample(TAGS, 3), "evidence": {}, "updated_at": now} for c, _ in chunk if c % 2])
            s.execute(insert(FollowUp), [{
                "customer_id": c, "employee_id": o, "kind": "wechat", "content": "微信沟通，客户想做房抵贷",
                "created_at": now - timedelta(minutes=k)} for c, o in chunk for k in range(3)])
            s.execute(insert(TimelineEntry), [{
                "customer_id": c, "at": now - timedelta(minutes=k), "kind": "follow_up", "summary": "wechat：微信沟通",
                "data": {}} for c, _ in chunk for k in range(3)])
            s.execute(insert(SopTask), [{
                "key": f"bench:{c}", "kind": "schedule", "customer_id": c, "assignee_employee_id": o,
                "due_at": now + timedelta(hours=c % 48), "status": "open", "title": "回访", "snoozes": 0,
                "created_at": now} for c, o in chunk if c % 5 == 0])
    print(f"seeded {n:,} customers in {time.perf_counter() - started:.0f} s")


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def measure_pages(runs: int) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import select, text

    from loan_scrm.app import create_app
    from scrm.auth import COOKIE_NAME, issue_staff_token
    from scrm.core.db import get_engine, session_scope
    from scrm.customers.models import Customer

    with get_engine().begin() as conn:
        conn.execute(text("ANALYZE"))
    with session_scope() as s:
        customers = s.execute(select(Customer.wecom_external_userid, Customer.owner_id)).all()
    rng = random.Random(11)
    client = TestClient(create_app())
    pages = [("customer page (the first page)", lambda ext: f"/console/sidebar/customer?ext={ext}"),
             ("entry page, JS-SDK signed", lambda ext: "/console/sidebar/customer"),
             ("scripts and materials, signed", lambda ext: "/console/sidebar/materials")]
    print(f"{'sidebar page':<42} {'p50 ms':>8} {'p95 ms':>8}")
    for name, url in pages:
        times = []
        for i in range(runs + 5):
            ext, owner = rng.choice(customers)
            client.cookies.set(COOKIE_NAME, issue_staff_token(owner))
            started = time.perf_counter()
            answer = client.get(url(ext))
            elapsed = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200, (name, answer.status_code, answer.text[:300])
            if i >= 5:
                times.append(elapsed)
        p50, p95 = percentiles(times)
        print(f"{name:<42} {p50:>8.1f} {p95:>8.1f}")


@contextmanager
def four_processes(env: dict[str, str]):
    """``scrm serve --workers 4`` in a subprocess; on a loaded 2-core machine its start can take half a minute."""
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "loan_scrm.app:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", "4"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    try:
        wait_port(port, timeout=180)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def measure_tickets(sandbox, env: dict[str, str], requests_n: int) -> None:
    from sqlalchemy import select

    from scrm.auth import COOKIE_NAME, issue_staff_token
    from scrm.core.db import session_scope
    from scrm.org.models import Employee

    redis.Redis.from_url(REDIS_URL).flushdb()
    sandbox.clear_request_log()
    with session_scope() as s:
        staff = list(s.scalars(select(Employee.id).limit(50)))
    with four_processes({**env, "SCRM_REDIS_URL": REDIS_URL}) as port:
        def get(i: int) -> tuple[int, int]:
            answer = requests.get(f"http://127.0.0.1:{port}/console/sidebar/customer",
                                  cookies={COOKIE_NAME: issue_staff_token(staff[i % len(staff)])}, timeout=30)
            return answer.status_code, answer.text.count('id="wecom-config"')
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(get, range(requests_n)))
    signed = sum(1 for status, n in results if status == 200 and n == 1)
    print(f"4 server processes, {requests_n} signed sidebar pages at 16 at a time: {signed} signed; "
          f"WeCom saw get_jsapi_ticket {sandbox.call_count('get_jsapi_ticket')} time(s), "
          f"ticket/get?type=agent_config {sandbox.call_count('ticket/get')} time(s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--reuse", action="store_true", help="measure the database of the previous run again")
    args = parser.parse_args()

    from scrm.core.config import SANDBOX_WECOM, reset_settings
    from scrm.sandbox.wecom import SandboxWecom

    sandbox = SandboxWecom(**SANDBOX_WECOM)
    base = sandbox.start()
    url = reused_database(DB_NAME) if args.reuse else fresh_database(DB_NAME)
    env = {"SCRM_DATABASE_URL": url, "SCRM_PII_KEY": PII_KEY, "SCRM_SECRET_KEY": SECRET, "SCRM_REDIS_URL": "",
           "SCRM_WECOM_API_BASE": base, "SCRM_WECOM_CORP_ID": SANDBOX_WECOM["corp_id"],
           "SCRM_WECOM_SECRET": SANDBOX_WECOM["secret"], "SCRM_WECOM_AGENT_ID": str(SANDBOX_WECOM["agent_id"])}
    os.environ.update(env)
    reset_settings()
    try:
        if not args.reuse:
            seed(args.customers)
        measure_pages(args.runs)
        measure_tickets(sandbox, env, args.requests)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
