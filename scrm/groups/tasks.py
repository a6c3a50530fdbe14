"""Groups jobs: the batch re-tiering."""

from __future__ import annotations

from scrm.db import session_scope
from scrm.groups import service as group_service


def retier_all() -> int:
    """Periodic: re-tier every customer (recency rules move people without any event); returns how many moved."""
    with session_scope() as session:
        return group_service.retier(session).changed


def invite_moved(run_id: int) -> None:
    """Invite the customers a re-tiering moved into their tier's group."""
    from scrm.wecom.client import get_client

    with session_scope() as session:
        group_service.invite_moved(session, get_client(), run_id)
