"""RQ jobs for the org: thin wrappers that open their own transaction around ``scrm.org.service``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.org import service as org_service
from scrm.wecom.client import get_client


@jobs.job("org.sync_org")
def sync_org() -> dict[str, Any]:
    """Job: mirror WeCom's departments and members. WeCom is read before the transaction opens."""
    departments, users = org_service.fetch_wecom_org(get_client())
    with session_scope() as session:
        report = org_service.apply_wecom_org(session, departments, users)
    return asdict(report)


def apply_contact_change(change_type: str, fields: dict[str, Any]) -> None:
    """Job: apply one change_contact callback (idempotent, so a second delivery changes nothing)."""
    with session_scope() as session:
        org_service.apply_contact_change(session, change_type, fields, client=get_client())


@jobs.job("org.purge_revoked_sessions")
def purge_revoked_sessions() -> int:
    """Periodic job: forget signed-out tokens that have expired anyway."""
    with session_scope() as session:
        return org_service.purge_revoked_sessions(session)
