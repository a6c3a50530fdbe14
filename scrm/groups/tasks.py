"""Groups jobs: the batch re-tiering."""

from __future__ import annotations

from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.groups import service as group_service


@jobs.job("groups.retier_all")
def retier_all() -> int:
    """Periodic: re-tier every customer (recency rules move people without any event); returns how many moved."""
    with session_scope() as session:
        return group_service.retier(session).changed
