"""Server time of the sales pipeline's board (销售流程) on PostgreSQL.

Seeds a scratch database with ``bench/console_pages.py``'s customers (its ``seed``: staff in two centres, customers
spread over the lifecycle stages, their follows, follow-ups and timeline), then gives one customer in three an
explicit place in the pipeline (a stage by id, entered some hours after they were created) and a stay for it, the
others placed by their lifecycle stage as customers from before the pipeline are. Then requests the board
in-process (the app's whole request path, no network) and prints p50 / p95 per viewer.

    .venv/bin/python bench/pipeline_board.py [--customers 20000] [--runs 30] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PII_KEY, fresh_database, reused_database  # noqa: E402
from bench.console_pages import seed, time_pages, vacuum_analyze  # noqa: E402

DB_NAME = "scrm_bench_pipeline"


def place(every: int = 3) -> int:
    """An explicit place (and its stay) for one customer in ``every``, in a stage picked by id; one statement each."""
    from sqlalchemy import text

    from scrm.core.db import session_scope
    from scrm.pipeline import service as pipeline_service

    started = time.perf_counter()
    with session_scope() as s:
        stages = [st.id for st in pipeline_service.seed_stages(s)]
        pick = "CASE " + " ".join(f"WHEN c.id / {every} % {len(stages)} = {i} THEN {sid}"
                                  for i, sid in enumerate(stages)) + " END"
        placed = s.execute(text(
            f"INSERT INTO customer_pipeline (customer_id, stage_id, entered_at, escalated) "
            f"SELECT c.id, {pick}, c.created_at + (c.id % 97) * interval '1 hour', 0 FROM customer c "
            f"WHERE c.id % {every} = 0 AND c.stage <> 'lost'")).rowcount
        s.execute(text(
            "INSERT INTO pipeline_stay (customer_id, stage_id, stage_name, entered_at, source) "
            "SELECT cp.customer_id, cp.stage_id, ps.name, cp.entered_at, 'manual' FROM customer_pipeline cp "
            "JOIN pipeline_stage ps ON ps.id = cp.stage_id"))
    print(f"placed {placed:,} customers explicitly in {time.perf_counter() - started:.0f} s")
    return placed


def measure(runs: int) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from loan_scrm.app import create_app
    from scrm.core.db import session_scope
    from scrm.org.models import Employee, Role

    vacuum_analyze()
    with session_scope() as s:
        admin = s.scalar(select(Employee.id).where(Employee.username == "admin"))
        manager = s.scalar(select(Employee.id).where(Employee.username == "manager"))
        sales = s.scalar(select(Employee.id).where(Employee.role == Role.sales, Employee.status == "active")
                         .order_by(Employee.id))
    client = TestClient(create_app())
    time_pages(client, [
        ("board API, everyone (admin)", admin, "/api/pipeline/board"),
        ("board API, one owner (admin)", admin, f"/api/pipeline/board?owner_id={sales}"),
        ("board API, centre scope (manager)", manager, "/api/pipeline/board"),
        ("board API, own (sales)", sales, "/api/pipeline/board"),
        ("board page, everyone (admin)", admin, "/console/pipeline"),
        ("board page, own (sales)", sales, "/console/pipeline"),
    ], runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="measure the database of the previous run again")
    args = parser.parse_args()
    url = reused_database(DB_NAME) if args.reuse else fresh_database(DB_NAME)
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")
    from scrm.core.config import reset_settings

    reset_settings()
    if not args.reuse:
        seed(args.customers)
        place()
    measure(args.runs)


if __name__ == "__main__":
    main()
