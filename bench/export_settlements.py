"""Export 100,000 settled orders to Excel (streaming) and print the time and peak memory. The export runs in a
fresh process, so its peak RSS is the export's own and not the data generation's.

    .venv/bin/python bench/export_settlements.py [--orders 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.backoffice_data import generate  # noqa: E402
from bench.common import PII_KEY, fresh_database  # noqa: E402


def peak_rss_mb() -> float:
    """This program's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure() -> None:
    from backoffice.orders.service import OrderFilter
    from backoffice.settlements.export import export_settled
    from scrm.core.db import session_scope
    from scrm.org.models import Employee

    rss_before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as tmp, session_scope() as session:
        finance = session.get(Employee, 202)
        path = Path(tmp) / "export.xlsx"
        t0 = time.perf_counter()
        with path.open("wb") as out:
            rows = export_settled(session, finance, OrderFilter(), out)
        elapsed = time.perf_counter() - t0
        size = path.stat().st_size
    rss_after = peak_rss_mb()
    print(f"exported {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), file {size / 1e6:.1f} MB")
    print(f"peak RSS of the exporting process: {rss_after:.0f} MB (after imports, before the export: "
          f"{rss_before:.0f} MB)")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure()
        return
    url = fresh_database("scrm_bench_export")
    env = dict(os.environ, SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL="", SCRM_SECRET_KEY="bench")
    t0 = time.perf_counter()
    generate(url, args.orders)
    print(f"generated {args.orders:,} settled orders in {time.perf_counter() - t0:.1f} s")
    subprocess.run([sys.executable, __file__, "--measure"], env=env, check=True)


if __name__ == "__main__":
    main()
