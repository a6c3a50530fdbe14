"""Approvals over many customers on PostgreSQL: one application approval per customer, most of them finished, a
share still pending (``--pending``, 2% by default) at 资质初审 or 风控复审. Timed, as p50 / p95 over repeated calls:
1. a supervisor's and the 风控总监's "my pending approvals" (``pending_for``, one query, at most 200 rows);
2. one approval decided (lock, checks, decision, the next step or the end with its timeline entry).

    .venv/bin/python bench/approvals.py [--customers 1000000] [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
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

STEPS = [{"name": "资质初审", "approver": {"kind": "supervisor"}},
         {"name": "风控复审", "approver": {"kind": "routed"}, "only_when_routed": True}]


def load_instances(url: str, n: int, pending: float, director_id: int, seed: int = 5) -> None:
    import psycopg

    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        flow = conn.execute("INSERT INTO approval_flow (subject_kind, product_code, name, steps, active, version, "
                            "updated_at) VALUES ('application', '*', '贷款申请审批', %s, true, 1, now()) RETURNING id",
                            (json.dumps(STEPS),)).fetchone()[0]
        owners = dict(conn.execute("SELECT id, owner_id FROM customer").fetchall())
        with conn.cursor().copy("COPY approval_instance (flow_id, flow_version, steps, subject_kind, subject_id, "
                                "customer_id, amount_fen, applicant_id, routed_employee_id, routed_title, status, "
                                "round, current_step, waiting_kind, waiting_role, waiting_employee_id, created_at, "
                                "finished_at) FROM STDIN") as copy:
            steps = json.dumps(STEPS)
            for cid in range(1, n + 1):
                routed = rng.random() < 0.3
                if rng.random() < pending:
                    step = 1 if routed and rng.random() < 0.5 else 0
                    row = ("pending", step, "employee" if step else "supervisor", None, director_id if step else None,
                           None)
                else:
                    row = (rng.choice(["approved", "approved", "approved", "rejected"]), 0, None, None, None, now)
                status, step, kind, role, waiting, finished = row
                copy.write_row((flow, 1, steps, "application", cid, cid, 20_000_000, owners[cid],
                                director_id if routed else None, "风控总监" if routed else None, status, 1, step, kind,
                                role, waiting, now, finished))
        conn.execute("ANALYZE approval_instance")
        conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--pending", type=float, default=0.02)
    args = parser.parse_args()
    url = fresh_database("scrm_bench_approvals")
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL=REDIS_URL, SCRM_SECRET_KEY="bench")

    from sqlalchemy import select

    from loan_scrm import wiring
    from scrm.approvals import service as approval_service
    from scrm.approvals.models import ApprovalInstance, ApprovalStatus
    from scrm.approvals.schemas import ActIn
    from scrm.core.config import reset_settings
    from scrm.core.db import session_scope
    from scrm.org.models import DataScope, Employee, EmployeeStatus, Role

    reset_settings()
    wiring.install()
    started = time.perf_counter()
    load_customers(url, args.customers)
    with session_scope() as session:
        dept = session.scalar(select(Employee.department_id).where(Employee.role == Role.sales).limit(1))
        supervisor = Employee(name="基准主管", role=Role.supervisor, scope=DataScope.department, department_id=dept,
                              status=EmployeeStatus.active)
        director = Employee(name="风控总监", role=Role.manager, scope=DataScope.all, status=EmployeeStatus.active)
        session.add_all([supervisor, director])
        session.flush()
        supervisor_id, director_id = supervisor.id, director.id
    load_instances(url, args.customers, args.pending, director_id)
    print(f"loaded {args.customers:,} customers and their application approvals with COPY in "
          f"{time.perf_counter() - started:.1f} s")

    def p(label: str, times: list[float], extra: str = "") -> None:
        times.sort()
        print(f"{label}: p50 {statistics.median(times) * 1000:.1f} ms, p95 {times[int(len(times) * 0.95) - 1] * 1000:.1f} ms"
              f"{extra}")

    for who, employee_id in (("supervisor (department scope)", supervisor_id), ("风控总监", director_id)):
        times, shown = [], 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            with session_scope() as session:
                shown = len(approval_service.pending_for(session, session.get(Employee, employee_id)))
            times.append(time.perf_counter() - t0)
        p(f"pending list of the {who}", times, f" ({shown} shown)")

    with session_scope() as session:
        ids = session.scalars(select(ApprovalInstance.id).where(ApprovalInstance.status == ApprovalStatus.pending,
                                                                ApprovalInstance.waiting_kind == "employee")
                              .limit(args.repeat)).all()
    times = []
    for instance_id in ids:
        t0 = time.perf_counter()
        with session_scope() as session:
            approval_service.act(session, session.get(Employee, director_id), instance_id, ActIn(action="approve"))
        times.append(time.perf_counter() - t0)
    p(f"one decision by the 风控总监 (the last step: approved, timeline, event) over {len(times)}", times)


if __name__ == "__main__":
    main()
