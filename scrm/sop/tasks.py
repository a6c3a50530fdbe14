"""SOP jobs."""

from __future__ import annotations

from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.sop import service as sop_service


@jobs.job("sop.generate")
def generate() -> dict[str, int]:
    """Periodic: create the tasks the schedules call for now."""
    with session_scope() as session:
        return sop_service.generate(session)
