"""Handover jobs. Each step commits on its own, so a crash loses at most the step in flight, and that
step's WeCom call is replayed from its idempotency key rather than made again."""

from __future__ import annotations

from scrm.core import jobs
from scrm.core.config import get_settings
from scrm.core.db import session_scope
from scrm.handover import service
from scrm.wecom.client import get_client


def _client():

    return get_client()


@jobs.job("handover.run_case")
def run_case(case_id: int) -> int:
    """Job: batch the planned items and send every pending batch; returns how many batches were sent."""
    with session_scope() as session:
        batch_ids = service.prepare_batches(session, case_id)
    client = _client()
    for batch_id in batch_ids:
        with session_scope() as session:
            service.send_batch(session, batch_id, client)
    return len(batch_ids)


@jobs.job("handover.track_case")
def track_case(case_id: int) -> dict[str, int]:
    """Job: apply transfer_result, send re-planned items, message the takers."""
    client = _client()
    with session_scope() as session:
        applied = service.track_case(session, case_id, client)
        replanned = service.has_planned_items(session, case_id)
    if replanned:
        run_case(case_id)
    notify(case_id)
    return applied


def notify(case_id: int) -> int:
    with session_scope() as session:
        return service.notify_takers(session, case_id, _client(), get_settings().wecom_agent_id)


@jobs.job("handover.poll")
def poll() -> None:
    """Periodic: open cases for members WeCom lists as having unassigned customers; track running cases."""
    with session_scope() as session:
        service.poll_unassigned(session, _client())
    with session_scope() as session:
        case_ids = service.running_case_ids(session)
    for case_id in case_ids:
        track_case(case_id)
