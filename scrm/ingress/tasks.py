"""Jobs for WeCom: process one inbox event, send a welcome message, re-queue what was lost."""

from __future__ import annotations

import logging

from scrm.core import jobs
from scrm.core.config import get_settings
from scrm.core.db import session_scope
from scrm.ingress import service
from scrm.ingress.models import InboxStatus

log = logging.getLogger(__name__)


@jobs.job("wecom.process_inbox")
def process_inbox(inbox_id: int) -> str:
    """Process one stored callback. The row is marked done in the same transaction as its effects,
    so a worker that dies midway leaves it to be processed again, and a finished one is skipped. An error
    WeCom will answer the same way every time abandons the event at once instead of failing it for retries."""
    try:
        with session_scope() as session:
            row = service.claim(session, inbox_id)
            if row is None:
                return "skipped"
            return service.process(session, row).value
    except Exception as exc:
        permanent = service.is_permanent(exc)
        with session_scope() as session:
            service.record_failure(session, inbox_id, f"{type(exc).__name__}: {exc}", permanent=permanent)
        if permanent:
            log.warning("inbox event %s abandoned: %s", inbox_id, exc)
            return InboxStatus.abandoned.value
        raise


@jobs.job("wecom.process_inbox_batch")
def process_inbox_batch(inbox_ids: list[int]) -> dict[str, int]:
    """Process callbacks stored together, each in its own transaction. When any fails, the job fails
    after trying them all, so RQ retries it; the ones already done are skipped then."""
    outcome: dict[str, int] = {}
    failed = []
    for inbox_id in inbox_ids:
        try:
            result = process_inbox(inbox_id)
        except Exception:
            log.exception("inbox event %s failed", inbox_id)
            failed.append(inbox_id)
            result = "failed"
        outcome[result] = outcome.get(result, 0) + 1
    if failed:
        raise RuntimeError(f"inbox events failed: {failed}")
    return outcome


def queue_inbox(inbox_ids: list[int], urgent: bool) -> None:
    """Queue stored callbacks, one job for the lot. Called after their commit; if it never happens
    (the process dies first), the periodic sweep queues them."""
    if inbox_ids:
        queue_inbox_lots([(inbox_ids, urgent)])


def queue_inbox_lots(lots: list[tuple[list[int], bool]]) -> None:
    """A job per lot of stored callbacks, all sent in one Redis round trip."""
    jobs.dispatch_many([jobs.JobSpec("wecom.process_inbox_batch", (ids,), queue="urgent" if urgent else "default")
                        for ids, urgent in lots if ids])


@jobs.job("wecom.send_welcome")
def send_welcome(welcome_code: str, state: str, customer_id: int) -> None:
    with session_scope() as session:
        service.send_welcome(session, welcome_code, state, customer_id)


@jobs.job("wecom.requeue_stale_inbox")
def requeue_stale_inbox(older_than_s: int | None = None) -> int:
    """Periodic: queue again any callback that was stored but not processed (lost job, dead worker)."""
    with session_scope() as session:
        ids = service.stale_inbox_ids(session, older_than_s if older_than_s is not None
                                      else get_settings().inbox_stale_after_s)
    for inbox_id in ids:
        jobs.enqueue(None, "wecom.process_inbox", inbox_id)
    return len(ids)
