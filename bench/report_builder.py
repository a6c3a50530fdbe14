"""Saved reports (报表) and the KPIs per product and channel over 1,000,000 orders on PostgreSQL: server time of
each API call in-process (FastAPI TestClient: the app's whole request path, no network), p50 / p95.

The orders (spread over the five products), customers (two per order), settlements and journal come from
``bench.backoffice_data``; this script then spreads the customers over the five products and 12 channels, leaves a
quarter of the settlements to direct debit (a third of those paid), tiers a third of the customers, records a follow-up on every other customer, and saves
six reports for the finance user (scope all) and two for a centre manager.

    .venv/bin/python bench/report_builder.py [--orders 1000000] [--runs 20] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench.backoffice_data import fresh_with_orders  # noqa: E402
from bench.common import PII_KEY, reused_database  # noqa: E402
from bench.console_pages import time_pages, vacuum_analyze  # noqa: E402

DB_NAME = "scrm_bench_report_builder"
FINANCE = 202  # scope all (bench.backoffice_data)
MANAGER = 203  # a centre manager, added here
PRODUCTS = ("house_mortgage", "credit", "car_mortgage", "business", "provident_fund")

REPORTS = [
    ("签单金额 按月 (12个月)", {"measure": "signed_amount", "dimension": "month", "filters": {"period": "12m"}}),
    ("放款金额 按产品 (12个月)", {"measure": "disbursed_amount", "dimension": "product", "filters": {"period": "12m"}}),
    ("签单数 按渠道 (12个月)", {"measure": "signups", "dimension": "channel", "filters": {"period": "12m"}}),
    ("创收 按中心 (12个月)", {"measure": "revenue", "dimension": "center", "filters": {"period": "12m"}}),
    ("逾期率 按资金方类型 (12个月)", {"measure": "overdue_rate", "dimension": "funder_type",
                                 "filters": {"period": "12m"}}),
    ("转化率 按客户分层 (90天)", {"measure": "conversion_rate", "dimension": "tier", "filters": {"period": "90d"}}),
]
MANAGER_REPORTS = REPORTS[:2]


def enrich(url: str) -> None:
    """Products, channels, tiers, follow-ups and direct debits on the generated rows, set-based. Triggers are off
    for the session: the month counts of the dashboards are not what this measures."""
    t0 = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("INSERT INTO channel (id, name, kind, state, welcome, auto_tags, team_employee_ids, active, "
                    "skip_verify, sync_status, created_at, updated_at) SELECT g, '渠道' || g, 'poster', "
                    "'bench-rb-' || g, '{}', '[]', '[]', true, true, 'synced', now(), now() "
                    "FROM generate_series(1, 12) g")
        cur.execute("SELECT setval(pg_get_serial_sequence('channel', 'id'), 12)")
        cur.execute("UPDATE customer c SET channel_id = CASE WHEN c.id %% 13 = 0 THEN NULL ELSE c.id %% 13 END, "
                    "product_id = (SELECT p.id FROM loan_product p WHERE p.code = (%s::text[])[c.id %% 5 + 1])",
                    (list(PRODUCTS),))
        cur.execute("UPDATE bo_settlement SET payment_method = 'direct_debit' WHERE id % 4 = 0")
        cur.execute("INSERT INTO bo_settlement_payment (settlement_id, source, amount_fen, provider, received_at) "
                    "SELECT id, 'bench:' || id, amount_due_fen, 'papay', closed_at + interval '1 day' "
                    "FROM bo_settlement WHERE id % 12 = 0")
        cur.execute("INSERT INTO customer_tier (customer_id, tier, updated_at) "
                    "SELECT id, (ARRAY['A', 'B', 'C'])[id % 3 + 1], now() FROM customer WHERE id % 3 = 0")
        cur.execute("INSERT INTO follow_up (customer_id, employee_id, kind, content, created_at) "
                    "SELECT id, owner_id, 'call', '电话跟进', created_at + interval '1 day' FROM customer "
                    "WHERE id % 2 = 0")
        cur.execute("INSERT INTO employee (id, name, wecom_userid, department_id, role, scope, status, created_at) "
                    "VALUES (%s, '中心经理', 'bench-manager', 1, 'manager', 'center', 'active', now())", (MANAGER,))
        conn.commit()
    print(f"spread over products, channels, tiers, follow-ups and direct debits in {time.perf_counter() - t0:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="measure the database of the previous run again")
    args = parser.parse_args()
    if args.reuse:
        url = reused_database(DB_NAME)
        os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")
    else:
        url = fresh_with_orders(DB_NAME, args.orders, PRODUCTS)
        enrich(url)

    from fastapi.testclient import TestClient
    from sqlalchemy import delete

    from backoffice.reports.builder import service as builder
    from backoffice.reports.builder.models import SavedReport
    from loan_scrm.app import create_app
    from scrm.core.db import session_scope
    from scrm.org.models import Employee

    vacuum_analyze()
    pages = []
    with session_scope() as session:
        session.execute(delete(SavedReport))
        for viewer_id, reports, who in ((FINANCE, REPORTS, "finance"), (MANAGER, MANAGER_REPORTS, "centre manager")):
            viewer = session.get(Employee, viewer_id)
            for name, definition in reports:
                saved = builder.save(session, viewer, name, definition)
                session.flush()
                pages.append((f"saved: {name} / {who}", viewer_id,
                              f"/api/backoffice/reports/saved/{saved.id}/run"))
    # the generated orders end on 2026-11-30 and reach a year back
    for label, since in (("12 months", "2025-12-01"), ("30 days", "2026-11-01")):
        for viewer_id, who in ((FINANCE, "finance"), (MANAGER, "centre manager")):
            pages.append((f"KPIs by product and channel, {label} / {who}", viewer_id,
                          f"/api/backoffice/reports/kpis?date_from={since}&date_to=2026-11-30"))
    time_pages(TestClient(create_app()), pages, args.runs)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
