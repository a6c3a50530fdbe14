"""Re-tier 1,000,000 synthetic customers on PostgreSQL and print the time and rows per second.

Customers and profiles are loaded with COPY (not timed beyond the load line). Then, timed:
1. the first re-tiering (every customer gets a tier: history, tier rows, timeline entries, risk-review tasks);
2. a rule change that moves part of the customers, and the re-tiering after it;
3. a re-tiering with nothing to change.

    .venv/bin/python bench/retier_1m.py [--customers 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PII_KEY, fresh_database  # noqa: E402

TAGS = ["有房产", "有车辆", "有公积金", "有社保", "企业主", "工薪族", "有保单", "查询过多", "负债过高", "征信逾期"]
PRODUCTS = ["房抵贷", "车抵贷", "信用贷", None]


def load(url: str, n: int, seed: int = 7) -> None:
    import json

    import psycopg

    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute("INSERT INTO center (name) VALUES ('基准中心')")
        dept = conn.execute("INSERT INTO department (name, center_id, deleted) "
                            "SELECT '基准营销部', id, false FROM center RETURNING id").fetchone()[0]
        owners = [conn.execute("INSERT INTO employee (name, role, scope, status, department_id, created_at) "
                               "VALUES (%s, 'sales', 'own', 'active', %s, now()) RETURNING id",
                               (f"销售{i}", dept)).fetchone()[0] for i in range(50)]
        with conn.cursor().copy("COPY customer (id, name, gender, source, stage, status, custom_fields, owner_id, "
                                "amount_fen, last_contact_at, created_at, updated_at) FROM STDIN") as copy:
            for i in range(1, n + 1):
                contact = now - timedelta(days=rng.randint(0, 90)) if rng.random() < 0.8 else None
                copy.write_row((i, f"客户{i}", 0, "wecom", rng.choice(["lead", "contacted", "signed", "settled"]),
                                "active", "{}", rng.choice(owners), rng.randint(1, 200) * 1_000_000, contact, now, now))
        with conn.cursor().copy("COPY customer_profile (customer_id, product, intent, amount_fen, tags, evidence, "
                                "updated_at) FROM STDIN") as copy:
            for i in range(1, n + 1):
                tags = rng.sample(TAGS[:7], rng.randint(0, 3))
                if rng.random() < 0.04:
                    tags.append(rng.choice(TAGS[7:]))
                copy.write_row((i, rng.choice(PRODUCTS), rng.choice(["low", "medium", "high"]),
                                rng.randint(1, 300) * 1_000_000, json.dumps(tags, ensure_ascii=False), "{}", now))
        conn.execute("SELECT setval(pg_get_serial_sequence('customer', 'id'), %s)", (n,))
        conn.execute("ANALYZE customer; ANALYZE customer_profile")
        conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    url = fresh_database("scrm_bench_retier")
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")

    from sqlalchemy import func, select

    from scrm.core.config import reset_settings
    from scrm.core.db import session_scope
    from scrm.groups import schemas
    from scrm.groups import service as group_service
    from scrm.groups.models import CustomerTier, TierRule

    reset_settings()
    started = time.perf_counter()
    load(url, args.customers)
    print(f"loaded {args.customers:,} customers and profiles with COPY in {time.perf_counter() - started:.1f} s")

    def rule(name, tier, position, **conditions):
        return schemas.TierRuleIn(name=name, tier=tier, position=position,
                                  conditions=schemas.RuleConditions(**conditions))

    with session_scope() as session:
        for r in [rule("征信查询过多", "blocked", 1, tags_any=["查询过多", "征信逾期"]),
                  rule("负债率过高", "blocked", 2, tags_any=["负债过高"]),
                  rule("高意向大额", "A", 10, intent_in=["high"], amount_min_yuan="500000"),
                  rule("有房有车", "A", 20, tags_all=["有房产", "有车辆"]),
                  rule("高意向", "B", 30, intent_in=["high"]),
                  rule("近期联系的中意向", "B", 40, intent_in=["medium"], contacted_within_days=14),
                  rule("久未联系", "C", 50, not_contacted_days=60)]:
            group_service.create_rule(session, r)

    def timed(label: str) -> None:
        t0 = time.perf_counter()
        with session_scope() as session:
            run = group_service.retier(session)
            changed = run.changed
        elapsed = time.perf_counter() - t0
        print(f"{label}: {args.customers:,} customers evaluated, {changed:,} changed in {elapsed:.1f} s "
              f"({args.customers / elapsed:,.0f} customers/s, {changed / elapsed:,.0f} changes/s)")

    timed("first re-tiering")
    with session_scope() as session:
        rule_row = session.scalars(select(TierRule).where(TierRule.name == "高意向大额")).one()
        rule_row.conditions = {**rule_row.conditions, "amount_min_fen": 100_000_000}
    timed("after raising the A threshold to 1,000,000 yuan")
    timed("nothing to change")
    with session_scope() as session:
        counts = dict(session.execute(select(CustomerTier.tier, func.count()).group_by(CustomerTier.tier)).all())
    print("tiers:", ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
