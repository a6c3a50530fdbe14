"""Customers jobs: folding the dashboards' month counts."""

from __future__ import annotations

from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.customers import service as customer_service


@jobs.job("customers.compact_month_counts")
def compact_month_counts() -> int:
    """Periodic: fold the rows the triggers appended since the last run; returns how many were folded."""
    with session_scope() as session:
        return customer_service.compact_month_counts(session)
