"""RQ jobs for referral: thin wrappers over the service, each in its own transaction."""

from __future__ import annotations

from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.referral import service


@jobs.job("referral.release_withdrawable")
def release_withdrawable() -> int:
    """Periodic job: commissions whose cooling-off has ended become withdrawable; returns how many."""
    total = 0
    while True:
        with session_scope() as session:
            done = service.release_withdrawable(session)
        total += done
        if done < 1000:
            return total
