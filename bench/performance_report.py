"""The performance report over 100,000 orders: latency per grouping (p50 / p95 over repeated runs).

    .venv/bin/python bench/performance_report.py [--orders 100000] [--runs 20]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    fresh_with_orders("scrm_bench_report", args.orders)

    from backoffice.reports import service as report_service
    from scrm.core.db import session_scope
    from scrm.org.models import Employee

    year = report_service.Period(date(2025, 12, 1), date(2026, 11, 30))
    quarter = report_service.Period(date(2026, 9, 1), date(2026, 11, 30))
    with session_scope() as session:
        finance = session.get(Employee, 202)
        cases = [(f"{g} / {label}", lambda g=g, p=p: report_service.performance(session, finance, p, g))
                 for g in ("center", "department", "employee", "funder_type")
                 for label, p in (("12 months", year), ("quarter", quarter))]
        cases.append(("funnel and KPIs / 12 months", lambda: report_service.funnel_and_kpis(session, finance, year)))
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
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
