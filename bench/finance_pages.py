"""Server time of the finance centre's pages with 100,000 orders on PostgreSQL (half settled, the rest spread
over the earlier states, with their settlements and journal entries), each page requested in-process
(FastAPI TestClient: the app's whole request path, no network), p50 / p95 per page.

    .venv/bin/python bench/finance_pages.py [--orders 100000] [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.backoffice_data import fresh_with_orders  # noqa: E402
from bench.console_pages import time_pages, vacuum_analyze  # noqa: E402

FINANCE = 202  # the finance employee (scope: all) of bench.backoffice_data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    fresh_with_orders("scrm_bench_finance_pages", args.orders)

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from backoffice.orders.models import Order, OrderStatus
    from backoffice.settlements.models import Settlement
    from loan_scrm.app import create_app
    from scrm.core.db import session_scope

    vacuum_analyze()
    with session_scope() as s:
        order = s.scalar(select(Order.id).where(Order.status == OrderStatus.processing).order_by(Order.id.desc()))
        settlement = s.scalar(select(Settlement.id).order_by(Settlement.id.desc()))
    time_pages(TestClient(create_app()), [
        ("contract confirmation list", FINANCE, "/console/finance/contracts"),
        ("contracts by amount, page 50", FINANCE, "/console/finance/contracts?sort=amount_applied&page=50"),
        ("deposit list", FINANCE, "/console/finance/deposits"),
        ("order page (processing)", FINANCE, f"/console/finance/orders/{order}"),
        ("settlement list", FINANCE, "/console/finance/settlements"),
        ("settlements, settled, by funder", FINANCE, "/console/finance/settlements?status=settled&funder_type=bank"),
        ("settlement page", FINANCE, f"/console/finance/settlements/{settlement}"),
        ("direct debits", FINANCE, "/console/finance/debits"),
        ("reimbursements", FINANCE, "/console/reimbursements"),
        ("referral withdrawals", FINANCE, "/console/referral"),
        ("referral commissions", FINANCE, "/console/referral/commissions"),
        ("new reimbursement form", FINANCE, "/console/reimbursements/new"),
        ("direct-debit mandates", FINANCE, "/console/finance/debits/mandates"),
        ("accounting export (凭证导出)", FINANCE, "/console/finance/accounting"),
        ("customer voucher (print)", FINANCE, f"/console/finance/settlements/{settlement}/vouchers/customer.html"),
        ("internal voucher (print)", FINANCE, f"/console/finance/settlements/{settlement}/vouchers/internal.html"),
        ("customer voucher (PDF)", FINANCE, f"/console/finance/settlements/{settlement}/vouchers/customer.pdf"),
    ], args.runs)
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
