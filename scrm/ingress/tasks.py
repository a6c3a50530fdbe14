"""Jobs for WeCom: process one inbox event, send a welcome message, re-queue what was lost, import and reconcile
the customer list."""

from __future__ import annotations

import logging
import time
from typing import Callable

from scrm.core import jobs
from scrm.core.config import get_settings
from scrm.core.db import session_scope
from scrm.ingress import importer, service
from scrm.ingress.models import ImportKind, ImportStatus, InboxStatus
from scrm.wecom.client import get_client

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


def run_import(kind: ImportKind = ImportKind.import_, *, should_stop: Callable[[], bool] | None = None,
               on_page: Callable[[dict], None] | None = None) -> dict:
    """Import (or, ``ImportKind.reconcile``, reconcile) WeCom's customers page by page, each page committed with
    its checkpoint; the unfinished run of the kind is carried on. Stops after the page under way when
    ``should_stop()`` says so or someone stopped the run (the console's button). Returns the run's figures."""
    client = get_client()
    with session_scope() as session:
        run_id = importer.begin(session, client, kind).id
    pace_s = 60.0 / get_settings().wecom_import_pages_per_minute if get_settings().wecom_import_pages_per_minute > 0 \
        else 0.0
    try:
        while True:
            started = time.monotonic()
            with session_scope() as session:
                if (should_stop is not None and should_stop()) or importer.stop_requested(session, run_id):
                    importer.mark_stopped(session, run_id)
                    break
                checkpoint = importer.next_follower(session, run_id)
                run = importer.get_run(session, run_id)
                if checkpoint is None:
                    importer.finish(session, client, run)
                    break
                importer.import_page(session, client, run, checkpoint)
                figures = _figures(run)
            if on_page is not None:
                on_page(figures)
            wait = pace_s - (time.monotonic() - started)
            if wait > 0:
                time.sleep(wait)
    except Exception as exc:
        with session_scope() as session:
            importer.fail(session, run_id, f"{type(exc).__name__}: {exc}")
        raise
    with session_scope(read_only=True) as session:
        return _figures(importer.get_run(session, run_id))


def _figures(run) -> dict:
    return {"run_id": run.id, "kind": run.kind.value, "status": run.status.value, "followers": run.followers_total,
            "followers_done": run.followers_done, "pages": run.pages, "rows_read": run.rows_read,
            "customers_added": run.customers_added, "customers_updated": run.customers_updated,
            "follows_ended": run.follows_ended, "owners_changed": run.owners_changed, "groups": run.groups,
            "percent": importer.progress_percent(run)}


@jobs.job("wecom.import_customers")
def import_customers() -> dict:
    """Job: import WeCom's customers (the console's button; ``scrm wecom import`` runs the same)."""
    return run_import(ImportKind.import_)


@jobs.job("wecom.reconcile_nightly")
def reconcile_nightly() -> dict:
    """Periodic, nightly: read WeCom's whole customer list again and repair what lost callbacks left behind."""
    if not get_settings().wecom_configured:
        return {"status": "skipped"}
    figures = run_import(ImportKind.reconcile)
    if figures["status"] == ImportStatus.done.value:
        log.info("nightly WeCom reconcile: %s", figures)
    return figures
