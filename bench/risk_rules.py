"""Risk rules and the scorecard over many customers on PostgreSQL, and the latency one customer's fact change adds.

Customers and profiles are loaded with COPY by ``bench.retier_1m.load``; risk facts are COPYed beside them with
a share of them (``--risky``, 0.2% by default) holding one of the four risks the standard rules catch and the rest
clean under them. The four standard rules are written through the service, as the API does.
Timed:
1. re-scoring everyone under a saved scorecard (one UPDATE);
2. the first evaluation of the four rules for everyone (one INSERT ... SELECT per rule, then each new match fired:
   its evidence, actions, timeline entry and notices);
3. an evaluation with nothing new (the hourly job and every rule change start with this);
4. one customer's fact change through ``set_facts`` (re-score and evaluation of that customer, in its
   transaction), repeated, as p50 / p95.

    .venv/bin/python bench/risk_rules.py [--customers 1000000] [--changes 200]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PII_KEY, REDIS_URL, fresh_database  # noqa: E402
from bench.retier_1m import load as load_customers  # noqa: E402

FULL_MASK = 0b111  # id_card, credit_report, bank_statement (scrm.risk.labels.MATERIALS)


def load_facts(url: str, n: int, risky: float, seed: int = 11) -> None:
    """Every customer gets facts; a share ``risky`` of them has one of the four risks the standard rules catch
    (over 10 inquiries in 3 months, a debt ratio over 70%, a key material missing, a score under 60), the rest
    are clean under them."""
    import psycopg

    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        with conn.cursor().copy("COPY risk_fact (customer_id, inquiries_1m, inquiries_3m, inquiries_6m, overdue_count, "
                                "worst_overdue, total_debt_fen, monthly_income_fen, debt_ratio_bp, online_loans, "
                                "materials_mask, materials_count, social_security_months, version, text_facts, "
                                "updated_at) FROM STDIN") as copy:
            for i in range(1, n + 1):
                risk = rng.choice(["queries", "debt", "materials", "score"]) if rng.random() < risky else None
                q3 = rng.randint(11, 20) if risk == "queries" else rng.randint(0, 5)
                q1, q6 = min(q3, rng.randint(0, 2)), q3 + rng.randint(0, 4)
                income = rng.randint(5, 60) * 100_000
                share = rng.randint(71, 150) if risk == "debt" else rng.randint(0, 60)
                debt = income * 12 * share // 100
                ratio = (2 * debt * 10000 + income * 12) // (2 * income * 12)
                mask = rng.choice([1, 2, 3, 5]) if risk == "materials" else FULL_MASK | rng.choice([0, 8, 16, 24])
                worst = "m3_plus" if risk == "score" else rng.choice(["none", "none", "none", "m1"])
                copy.write_row((i, q1, q3, q6, 0 if worst == "none" else rng.randint(1, 3), worst, debt, income,
                                ratio, rng.randint(0, 3), mask, bin(mask).count("1"), rng.randint(0, 60), 1, "{}", now))
        conn.execute("ANALYZE risk_fact")
        conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--risky", type=float, default=0.002, help="share of customers with one of the risks")
    args = parser.parse_args()
    url = fresh_database("scrm_bench_risk")
    # jobs go to Redis, as in production, where workers deliver the notices and profile changes the firings emit;
    # nothing here runs them, so the times are the evaluation's own transaction
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL=REDIS_URL, SCRM_SECRET_KEY="bench")

    from sqlalchemy import event, func, select, update
    from sqlalchemy.engine import Engine

    from scrm.core.config import reset_settings
    from scrm.core.db import session_scope
    from scrm.org.models import DataScope, Employee, EmployeeStatus, Role
    from scrm.risk import schemas
    from scrm.risk import service as risk_service
    from scrm.risk.models import RiskFact, RiskRule
    from scrm.risk.service.scorecard import DEFAULT_BANDS, DEFAULT_BASE

    reset_settings()
    started = time.perf_counter()
    load_customers(url, args.customers)
    load_facts(url, args.customers, args.risky)
    n = args.customers
    print(f"loaded {n:,} customers, profiles and risk facts with COPY in {time.perf_counter() - started:.1f} s")

    with session_scope() as session:
        manager = Employee(name="基准经理", role=Role.manager, scope=DataScope.all, status=EmployeeStatus.active)
        director = Employee(name="风控总监", role=Role.supervisor, scope=DataScope.all, status=EmployeeStatus.active)
        session.add_all([manager, director])
        session.flush()
        manager_id, director_id = manager.id, director.id

    statements = [0]
    event.listen(Engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))

    def timed(label: str, work) -> float:
        """Prints the time and the SQL statements sent (an executemany counts once): the count does not move with
        the machine's load."""
        t0, sent = time.perf_counter(), statements[0]
        with session_scope() as session:
            detail = work(session)
        elapsed = time.perf_counter() - t0
        print(f"{label}: {elapsed:.1f} s ({n / elapsed:,.0f} customers/s, {statements[0] - sent:,} SQL statements)"
              f"{detail}")
        return elapsed

    def rescore(session) -> str:
        risk_service.save_scorecard(session, session.get(Employee, manager_id),
                                    schemas.ScorecardIn(base=DEFAULT_BASE, bands=DEFAULT_BANDS))
        below = session.scalar(select(func.count()).select_from(RiskFact).where(RiskFact.score < 60))
        return f"; {below:,} scored under 60"

    timed(f"scorecard: {n:,} customers re-scored", rescore)

    rules = [
        {"name": "征信查询过多", "condition": {"fact": "inquiries_3m", "op": ">", "value": 10},
         "actions": [{"type": "add_tag", "tag": "高风险"}, {"type": "alert"}]},
        {"name": "负债率过高", "condition": {"fact": "debt_ratio", "op": ">", "value": 70},
         "actions": [{"type": "route_approval", "employee_id": director_id, "title": "风控总监"}]},
        {"name": "资料缺少关键项", "condition": {"fact": "materials", "op": "missing_any",
                                           "value": ["id_card", "credit_report", "bank_statement"]},
         "actions": [{"type": "return"}]},
        {"name": "资质评分不足", "condition": {"fact": "score", "op": "<", "value": 60},
         "actions": [{"type": "reject_pool", "reason": "资质评分低于60分"}]},
    ]
    with session_scope() as session:  # written inactive, so that no evaluation runs before the timed one
        for rule in rules:
            risk_service.create_rule(session, session.get(Employee, manager_id),
                                     schemas.RuleIn(**rule, active=False))
        session.execute(update(RiskRule).values(active=True))

    def evaluate(session) -> str:
        outcome = risk_service.evaluate(session)
        return f"; {len(outcome.fired):,} firings, {outcome.ended:,} matches ended"

    timed(f"rules: first evaluation of 4 rules for {n:,} customers", evaluate)
    timed(f"rules: evaluation with nothing new for {n:,} customers", evaluate)

    rng = random.Random(5)
    latencies = []
    for _ in range(args.changes):
        customer_id = rng.randint(1, n)
        t0 = time.perf_counter()
        with session_scope() as session:
            risk_service.set_facts(session, session.get(Employee, manager_id), customer_id,
                                   schemas.FactsIn(inquiries_1m=0, inquiries_3m=rng.randint(0, 20), inquiries_6m=25))
        latencies.append((time.perf_counter() - t0) * 1000)
    q = statistics.quantiles(latencies, n=20)
    print(f"one customer's fact change (re-score + 4 rules, committed), {args.changes} changes on {n:,} customers: "
          f"p50 {statistics.median(latencies):.1f} ms, p95 {q[18]:.1f} ms")


if __name__ == "__main__":
    main()
