"""Mass-message jobs: create the WeCom tasks, poll their results, invite customers into their tier's group."""

from __future__ import annotations

import logging

from scrm.broadcast import service as broadcast_service
from scrm.broadcast.models import MassTask
from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.wecom.client import get_client

log = logging.getLogger(__name__)


def _client():

    return get_client()


@jobs.job("broadcast.send")
def send(mass_id: int) -> None:
    """Create every pending per-salesperson task of a mass message, each in its own transaction."""
    with session_scope() as session:
        ids = broadcast_service.open_task_ids(session, mass_id, status="pending")
    for task_id in ids:
        with session_scope() as session:
            broadcast_service.send_task(session, _client(), session.get(MassTask, task_id))


@jobs.job("broadcast.poll")
def poll() -> int:
    """Periodic: refresh the results of every task still being sent; returns how many were polled."""
    with session_scope() as session:
        ids = broadcast_service.open_task_ids(session)
    for task_id in ids:
        try:
            with session_scope() as session:
                broadcast_service.poll_task(session, _client(), session.get(MassTask, task_id))
        except Exception:
            log.exception("could not poll mass task %s", task_id)
    return len(ids)


@jobs.job("groups.invite")
def invite() -> int:
    """Periodic: invite the customers whose tier changed since the last batch; returns how many messages."""
    with session_scope() as session:
        return len(broadcast_service.invite_batch(session, _client()))
