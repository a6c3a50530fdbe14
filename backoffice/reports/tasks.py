"""Reports jobs: folding the month counts of orders, disbursements and revenue."""

from __future__ import annotations

from backoffice.reports import service as report_service
from scrm.core import jobs
from scrm.core.db import session_scope


@jobs.job("reports.compact_order_months")
def compact_order_months() -> int:
    """Periodic: fold the rows the triggers appended since the last run; returns how many were folded."""
    with session_scope() as session:
        return report_service.compact_order_months(session)
