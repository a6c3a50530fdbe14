"""Pipeline jobs."""

from __future__ import annotations

from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.pipeline import service as pipeline_service


@jobs.job("pipeline.escalate")
def escalate() -> dict[str, int]:
    """Periodic: SOP tasks for the customers past their stage's SLA."""
    with session_scope() as session:
        return pipeline_service.escalate(session)
