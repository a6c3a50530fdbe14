"""The performance report (财务业绩) over 100,000 orders (or ``--orders``) on PostgreSQL: latency of the service
per grouping (p50 / p95 over repeated runs), then the server time of the 财务业绩 console page and its Excel
export with filters (in-process, the app's whole request path), for finance and for a centre manager. The orders
are generated spread over the five seeded products.

    .venv/bin/python bench/performance_report.py [--orders 100000] [--runs 20] [--reuse] [--pages-only]
        [--random-order]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.backoffice_data import fresh_with_orders  # noqa: E402
from bench.common import PII_KEY, reused_database  # noqa: E402
from bench.console_pages import time_pages, vacuum_analyze  # noqa: E402

FINANCE = 202  # the finance employee (scope: all) of bench.backoffice_data
CENTRE_MANAGER = 203  # added here: a manager whose scope is centre 1
DB_NAME = "scrm_bench_report"


PRODUCTS = ("house_mortgage", "credit", "car_mortgage", "business", "provident_fund")


def _prepare() -> None:
    """The five seeded products (the orders were generated spread over them) and a centre manager."""
    from sqlalchemy import text

    from scrm.core.db import session_scope
    from scrm.customers import service as customer_service

    with session_scope() as s:
        assert {p.code for p in customer_service.seed_products(s)} >= set(PRODUCTS)
        s.execute(text("INSERT INTO employee (id, name, wecom_userid, department_id, role, scope, status, created_at) "
                       "VALUES (:id, '中心经理', 'bench203', 1, 'manager', 'center', 'active', now())"),
                  {"id": CENTRE_MANAGER})
    vacuum_analyze()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="measure the database of the previous run again")
    parser.add_argument("--pages-only", action="store_true", help="time the console page only")
    parser.add_argument("--random-order", action="store_true",
                        help="orders numbered at random rather than in the order they were signed")
    args = parser.parse_args()
    if args.reuse:
        url = reused_database(DB_NAME)
        os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")
    else:
        fresh_with_orders(DB_NAME, args.orders, PRODUCTS, time_ordered=not args.random_order)
        _prepare()

    from fastapi.testclient import TestClient

    from backoffice.reports import service as report_service
    from loan_scrm.app import create_app
    from scrm.core.db import session_scope
    from scrm.org.models import Employee

    year = report_service.Period(date(2025, 12, 1), date(2026, 11, 30))
    quarter = report_service.Period(date(2026, 9, 1), date(2026, 11, 30))
    with session_scope() as session:
        finance = session.get(Employee, FINANCE)
        if args.pages_only:
            cases = []
        else:
            cases = [(f"{g} / {label}", lambda g=g, p=p: report_service.performance(session, finance, p, g))
                     for g in ("center", "department", "employee", "product", "funder_type")
                     for label, p in (("12 months", year), ("quarter", quarter))]
            cases.append(("funnel and KPIs / 12 months",
                          lambda: report_service.funnel_and_kpis(session, finance, year)))
        for name, run in cases:
            run()  # warm the caches once
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                result = run()
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
            rows = len(result) if isinstance(result, list) else len(result.funnel)
            print(f"{name:32s} rows {rows:4d}   p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")

    page = "/console/finance/performance"
    month = "date_from=2026-11-01&date_to=2026-11-30"
    quarter_q = "date_from=2026-09-01&date_to=2026-11-30"
    year_q = "date_from=2025-12-01&date_to=2026-11-30"
    time_pages(TestClient(create_app()), [
        ("财务业绩, a month, by employee", FINANCE, f"{page}?{month}"),
        ("财务业绩, 15 Oct – 14 Nov, by employee", FINANCE, f"{page}?date_from=2026-10-15&date_to=2026-11-14"),
        ("财务业绩, a quarter, by centre", FINANCE, f"{page}?{quarter_q}&group_by=center"),
        ("财务业绩, a quarter, bank, by product", FINANCE, f"{page}?{quarter_q}&group_by=product&funder_type=bank"),
        ("财务业绩, a quarter, one department", FINANCE, f"{page}?{quarter_q}&department_id=3"),
        ("财务业绩, 12 months, by employee", FINANCE, f"{page}?{year_q}"),
        ("财务业绩, 12 months, 信用贷, by funder", FINANCE, f"{page}?{year_q}&group_by=funder_type&product_code=credit"),
        ("财务业绩, centre manager, a quarter", CENTRE_MANAGER, f"{page}?{quarter_q}&group_by=department"),
        ("财务业绩 Excel, a quarter, by employee", FINANCE, f"{page}.xlsx?{quarter_q}"),
    ], args.runs)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
