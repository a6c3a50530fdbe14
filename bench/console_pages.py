"""Server time of the console's main pages with 100,000 customers on PostgreSQL.

Seeds a scratch database with bulk inserts (2 centers, 12 departments, 240 staff, 100,000 customers with
profiles for half of them, 150,000 follow-ups, 300,000 timeline entries, a 2,000-customer handover case),
then requests each page in-process (FastAPI TestClient: the app's whole request path, no network) and
prints p50 / p95 per page.

    .venv/bin/python bench/console_pages.py [--customers 100000] [--runs 30] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PII_KEY, fresh_database, reused_database  # noqa: E402

DB_NAME = "scrm_bench_console"
TAGS = ["房抵贷", "信用贷", "车抵贷", "有房产", "有社保", "企业主", "征信逾期", "高意向", "中意向", "低意向"]
STAGES = ["lead"] * 50 + ["contacted"] * 25 + ["appointment"] * 8 + ["signed"] * 6 + ["processing"] * 3 + \
         ["disbursed"] * 3 + ["settled"] * 2 + ["lost"] * 3


def seed(n: int) -> None:
    from sqlalchemy import insert

    from scrm.channels.models import Channel, ChannelKind
    from scrm.core.db import session_scope
    from scrm.customers import service as customer_service
    from scrm.customers.models import Customer, CustomerFollow, FollowStatus, FollowUp, TimelineEntry
    from scrm.handover import service as handover_service
    from scrm.org.models import Center, DataScope, Department, Employee, EmployeeStatus, Role
    from scrm.tagging.models import CustomerProfile, CustomerTag, Tag, TagGroup

    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    with session_scope() as s:
        products = customer_service.seed_products(s)
        centers = [Center(name=n) for n in ("济南中心", "青岛中心")]
        s.add_all(centers)
        s.flush()
        departments = [Department(name=f"营销{i + 1}部", center_id=centers[i % 2].id) for i in range(12)]
        s.add_all(departments)
        s.flush()
        staff = [Employee(name=f"销售{i:03d}", role=Role.sales, scope=DataScope.own, department_id=departments[i % 12].id,
                         wecom_userid=f"sales{i}", status=EmployeeStatus.active) for i in range(228)]
        staff += [Employee(name=f"主管{i}", role=Role.supervisor, scope=DataScope.department,
                           department_id=departments[i].id, wecom_userid=f"sup{i}") for i in range(12)]
        staff += [Employee(name="经理", role=Role.manager, scope=DataScope.center, department_id=departments[0].id,
                           username="manager", wecom_userid="manager"),
                  Employee(name="管理员", role=Role.admin, scope=DataScope.all, username="admin")]
        s.add_all(staff)
        s.flush()
        sales_ids = [e.id for e in staff if e.role == Role.sales]
        channels = [Channel(name=f"渠道{i}", kind=ChannelKind.poster, state=f"bench{i}") for i in range(12)]
        s.add_all(channels)
        s.flush()
        channel_ids = [c.id for c in channels]
        channel_states = {c.id: c.state for c in channels}
    with session_scope() as s:
        batch = 10_000
        for start in range(0, n, batch):
            s.execute(insert(Customer), [{
                "name": f"客户{i:06d}", "owner_id": sales_ids[i % len(sales_ids)] if i % 50 else None,
                "stage": rng.choice(STAGES), "phone_tail": f"{rng.randrange(10000):04d}",
                "product_id": products[i % len(products)].id if i % 3 else None,
                "channel_id": channel_ids[i % len(channel_ids)] if i % 3 else None,
                "amount_fen": rng.randrange(1, 100) * 1_000_000, "custom_fields": {}, "city": "济南",
                "created_at": now - timedelta(minutes=rng.randrange(180 * 24 * 60)),
            } for i in range(start, min(n, start + batch))])
        s.flush()
    with session_scope() as s:
        from sqlalchemy import select

        rows = s.execute(select(Customer.id, Customer.owner_id, Customer.channel_id, Customer.created_at)
                         .order_by(Customer.id)).all()
        ids = [r.id for r in rows]
        for start in range(0, len(ids), 10_000):
            chunk = ids[start:start + 10_000]
            # every WeCom add is a follow: the owner's, through the channel's code when there was one
            s.execute(insert(CustomerFollow), [{
                "customer_id": r.id, "employee_id": r.owner_id, "state": channel_states.get(r.channel_id),
                "added_at": r.created_at, "status": FollowStatus.deleted_by_customer if r.id % 20 == 0
                else FollowStatus.active} for r in rows[start:start + 10_000] if r.owner_id])
            s.execute(insert(CustomerProfile), [{
                "customer_id": c, "intent": rng.choice(["high", "medium", "low"]),
                "tags": rng.sample(TAGS, 3), "evidence": {}, "updated_at": now} for c in chunk if c % 2])
            s.execute(insert(FollowUp), [{
                "customer_id": c, "employee_id": sales_ids[c % len(sales_ids)], "kind": "call",
                "content": "电话沟通，客户想做房抵贷", "created_at": now - timedelta(minutes=k)}
                for c in chunk for k in range(3) if c % 2 or k == 0])
            s.execute(insert(TimelineEntry), [{
                "customer_id": c, "at": now - timedelta(minutes=k), "kind": "follow_up", "summary": "call：电话沟通",
                "data": {}} for c in chunk for k in range(3)])
    with session_scope() as s:
        # tags staff put on by hand in WeCom, on one customer in five
        group = TagGroup(name="客户标签")
        s.add(group)
        s.flush()
        tags = [Tag(group_id=group.id, name=name) for name in ("老客户", "有房产", "已面谈", "同行")]
        s.add_all(tags)
        s.flush()
        for start in range(0, n, 50_000):
            s.execute(insert(CustomerTag), [{"customer_id": c, "tag_id": tags[c % 4].id, "source": "wecom_manual",
                                             "evidence": {}, "created_at": now}
                                            for c in range(start + 1, min(n, start + 50_000) + 1) if c % 5 == 0])
    with session_scope() as s:
        giver = s.get(Employee, sales_ids[0])
        giver.status = EmployeeStatus.departed
        s.flush()
        handover_service.open_case(s, giver.id)
    with session_scope() as s:
        # what the scheduler does every minute
        customer_service.compact_month_counts(s)
    print(f"seeded {n:,} customers in {time.perf_counter() - started:.0f} s")


def measure(runs: int) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from console.dashboards.pages import forget_charts
    from loan_scrm.app import create_app
    from scrm.core.db import session_scope
    from scrm.customers.models import Customer, LoanProduct
    from scrm.handover.models import HandoverCase
    from scrm.org.models import Employee, Role

    vacuum_analyze()
    with session_scope() as s:
        admin = s.scalar(select(Employee.id).where(Employee.username == "admin"))
        manager = s.scalar(select(Employee.id).where(Employee.username == "manager"))
        sales = s.scalar(select(Employee.id).where(Employee.role == Role.sales, Employee.status == "active")
                         .order_by(Employee.id))
        customer = s.scalar(select(Customer.id).where(Customer.owner_id == sales).order_by(Customer.id.desc()))
        case = s.scalar(select(HandoverCase.id))
        product = s.scalar(select(LoanProduct.code).order_by(LoanProduct.id))
    client = TestClient(create_app())
    pages = [
        ("home (admin)", admin, "/console/"),
        ("customers, all 100k (admin)", admin, "/console/customers"),
        ("customers, page 200 (admin)", admin, "/console/customers?page=200"),
        ("customers by stage, sort owner (admin)", admin, "/console/customers?stage=contacted&sort=owner"),
        ("customers by name (admin)", admin, "/console/customers?q=客户0123"),
        ("customers by phone tail (admin)", admin, "/console/customers?phone_tail=1234"),
        ("customers by tag (admin)", admin, "/console/customers?tag=有房产"),
        ("customers, center scope (manager)", manager, "/console/customers"),
        ("customers, own (sales)", sales, "/console/customers"),
        ("customer page (sales)", sales, f"/console/customers/{customer}"),
        ("handover cases (admin)", admin, "/console/handover?status=all"),
        ("handover case, 2k items (admin)", admin, f"/console/handover/{case}"),
        ("rules (admin)", admin, "/console/rules"),
        ("tagging rules (admin)", admin, "/console/rules/tagging"),
        ("tier rules (admin)", admin, "/console/rules/tiers"),
        ("SOP rules (admin)", admin, "/console/rules/sop"),
        ("commission rules (admin)", admin, "/console/rules/commission"),
        ("products (admin)", admin, "/console/products"),
        ("product page (admin)", admin, f"/console/products/{product}"),
        ("new product form (admin)", admin, "/console/products/new"),
        ("materials (admin)", admin, "/console/materials"),
        ("referrals (admin)", admin, "/console/referral"),
        ("referral commissions (admin)", admin, "/console/referral/commissions"),
        ("WeCom import (admin)", admin, "/console/admin/wecom-import"),
        ("dashboards, 30 days (admin)", admin, "/console/dashboards"),
        ("dashboards, all time (admin)", admin, "/console/dashboards?since=2000-01-01"),
        ("dashboards, center (manager)", manager, "/console/dashboards?since=2000-01-01"),
        # a first view after a filter change: nothing drawn is reused
        ("dashboards, 30 days, uncached (admin)", admin, "/console/dashboards", forget_charts),
        ("dashboards, all time, uncached (admin)", admin, "/console/dashboards?since=2000-01-01", forget_charts),
        ("dashboards, center, uncached (manager)", manager, "/console/dashboards?since=2000-01-01", forget_charts),
    ]
    time_pages(client, pages, runs)


def vacuum_analyze() -> None:
    """The planner's statistics and the visibility map as autovacuum keeps them on a live database."""
    from sqlalchemy import text

    from scrm.core.db import get_engine

    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


SLOW_MS = 100


def time_pages(client, pages: list[tuple], runs: int) -> None:
    """GET each (name, employee id, url[, before]) ``runs`` times after 3 warm-ups, signed in as that employee,
    calling ``before()`` ahead of each request; print p50/p95, and the plan of the slowest statement of any page
    whose p95 is over SLOW_MS."""
    from sqlalchemy import event

    from scrm.auth import COOKIE_NAME, issue_staff_token
    from scrm.core.db import get_engine

    statements: list[tuple[float, str, object]] = []

    def started_statement(conn, cursor, statement, params, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def ended_statement(conn, cursor, statement, params, context, executemany):
        statements.append((time.perf_counter() - conn.info.pop("bench_started"), statement, params))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", started_statement)
    event.listen(engine, "after_cursor_execute", ended_statement)
    slow = []
    print(f"{'page':<42} {'p50 ms':>8} {'p95 ms':>8}")
    for name, viewer, url, *before in pages:
        client.cookies.set(COOKIE_NAME, issue_staff_token(viewer))
        times = []
        for i in range(runs + 3):
            for prepare in before:
                prepare()
            statements.clear()
            started = time.perf_counter()
            answer = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
            if i >= 3:
                times.append(elapsed)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"{name:<42} {statistics.median(times):>8.1f} {p95:>8.1f}")
        if p95 > SLOW_MS and statements:
            slow.append((name, max(statements, key=lambda s: s[0])))
    event.remove(engine, "before_cursor_execute", started_statement)
    event.remove(engine, "after_cursor_execute", ended_statement)
    for name, (seconds, statement, params) in slow:
        print(f"\n-- {name}: slowest statement {seconds * 1000:.0f} ms")
        with engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).scalars().all()
        print("\n".join(plan))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="measure the database of the previous run again")
    args = parser.parse_args()
    url = reused_database(DB_NAME) if args.reuse else fresh_database(DB_NAME)
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")
    from scrm.core.config import reset_settings

    reset_settings()
    if not args.reuse:
        seed(args.customers)
    measure(args.runs)


if __name__ == "__main__":
    main()
