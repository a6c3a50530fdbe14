"""Groups jobs: the batch re-tiering, group invitations."""

from __future__ import annotations

from scrm.core import jobs
from scrm.broadcast import service as broadcast_service
from scrm.core.db import session_scope
from scrm.groups import service as group_service
from scrm.wecom.client import get_client


@jobs.job("groups.retier_all")
def retier_all() -> int:
    """Periodic: re-tier every customer (recency rules move people without any event); returns how many moved."""
    with session_scope() as session:
        return group_service.retier(session).changed


@jobs.job("groups.invite")
def invite() -> int:
    """Periodic: invite the customers whose tier changed since the last batch; returns how many messages."""
    with session_scope() as session:
        return len(broadcast_service.invite_batch(session, get_client()))
