"""RQ jobs for the tagging pipeline: thin wrappers over the service, each in its own transaction."""

from __future__ import annotations

import logging
from datetime import datetime
from scrm.core import events

from sqlalchemy import select

from scrm.core import jobs
from scrm.core.config import get_settings
from scrm.core.db import session_scope
from scrm.customers.events import FollowUpAdded
from scrm.tagging import service
from scrm.tagging.models import CustomerProfile
from scrm.wecom.client import get_client

log = logging.getLogger(__name__)


def _client():
    if not get_settings().wecom_configured:
        return None

    return get_client()


@jobs.job("tagging.tag_text")
def tag_text(customer_id: int, text: str, source: str, source_key: str, at: str | None = None) -> bool:
    """Job: read one text (a WeCom message, a follow-up, a form, a remark …) into the customer's profile.
    Idempotent on (customer_id, source_key); a changed profile queues the WeCom tag sync. True when it changed."""
    with session_scope() as session:
        when = datetime.fromisoformat(at) if at else None
        before = service.get_profile(session, customer_id)
        tags_before = list(before.tags) if before else []
        profile = service.tag_text(session, customer_id, text, source=source, source_key=source_key, at=when)
        changed = profile is not None and profile.tags != tags_before
        if changed:
            jobs.enqueue(session, "tagging.sync_tags", [customer_id], queue="low")
        return changed


@jobs.job("tagging.apply_channel_tags")
def apply_channel_tags(channel_id: int, customer_id: int, userid: str, event_key: str) -> list[str]:
    """Job: the channel's auto tags on a customer added through its code, in WeCom and here."""
    client = _client()
    if client is None:
        return []
    with session_scope() as session:
        return service.apply_channel_tags(session, client, channel_id, customer_id, userid, event_key)


@jobs.job("tagging.record_behaviour")
def record_behaviour(customer_id: int, event: str, source_key: str, at: str | None = None) -> bool:
    """Job: replied / visit / application_submitted / deleted_salesperson, into the intent."""
    with session_scope() as session:
        before = service.get_profile(session, customer_id)
        tags_before = list(before.tags) if before else []
        profile = service.record_behaviour(session, customer_id, event, source_key=source_key,
                                           at=datetime.fromisoformat(at) if at else None)
        changed = profile is not None and profile.tags != tags_before
        if changed:
            jobs.enqueue(session, "tagging.sync_tags", [customer_id], queue="low")
        return changed


def on_follow_up_added(session, event: FollowUpAdded) -> None:
    """Subscriber: what a salesperson wrote in a follow-up feeds the customer's profile."""
    jobs.enqueue(session, "tagging.tag_text", event.customer_id, event.content, "follow_up",
                 f"follow-up:{event.follow_up_id}", event.at.isoformat())


def on_application_submitted(session, event: events.Event) -> None:
    """Subscriber: a mini-program application's text feeds the profile, and applying is a behaviour."""
    key = f"application:{event.application_id}"
    jobs.enqueue(session, "tagging.tag_text", event.customer_id, event.text, "form", key, event.at.isoformat())
    jobs.enqueue(session, "tagging.record_behaviour", event.customer_id, "application_submitted", f"{key}:applied",
                 event.at.isoformat())


@jobs.job("tagging.sync_tags")
def sync_tags(customer_ids: list[int]) -> dict:
    """Job: push the customers' pipeline tags to WeCom (batched mark_tag, only what changed)."""
    with session_scope() as session:
        report = service.sync_wecom_tags(session, _client(), customer_ids)
        return {"customers": report.customers, "calls": report.calls, "added": report.added,
                "removed": report.removed, "failed": report.failed}


def reprofile_all(batch_size: int = 2000, sync_batch: int = 200) -> dict:
    """Job: recompute every profile from stored evidence (commits per batch), then sync the changed ones' tags."""


    with session_scope() as session:
        started = service.utcnow()
        counts = service.reprofile_all(session, batch_size=batch_size, after_batch=session.commit)
        changed_ids = list(session.scalars(select(CustomerProfile.customer_id)
                                           .where(CustomerProfile.updated_at >= started)))
        for i in range(0, len(changed_ids), sync_batch):
            jobs.enqueue(session, "tagging.sync_tags", changed_ids[i:i + sync_batch], queue="low")
    return counts
