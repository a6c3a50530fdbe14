"""Periodic work. Each run of a periodic job belongs to a time slot, and a slot is claimed once
(Redis SET NX, or in-process when there is no Redis), so any number of schedulers may run without
doing anything twice."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from scrm.core import jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: int
    job: str  # a registered job's name, run with no arguments
    offset_s: int = 0  # slots turn at this many seconds past each multiple of every_s (UTC)
    # without Redis the claims live in the process, so each start would find the current slot unclaimed: a job too
    # heavy to run at every restart waits for its next slot instead
    run_at_start: bool = True


PERIODIC: list[Periodic] = [
    Periodic("requeue-stale-inbox", 30, "wecom.requeue_stale_inbox"),
    Periodic("redeliver-stale-events", 60, "events.redeliver_stale"),
    Periodic("customers-compact-month-counts", 60, "customers.compact_month_counts"),
    Periodic("reports-compact-order-months", 60, "reports.compact_order_months"),
    Periodic("handover-poll", 300, "handover.poll"),
    Periodic("referral-release-withdrawable", 600, "referral.release_withdrawable"),
    Periodic("sop-generate", 300, "sop.generate"),
    Periodic("pipeline-escalate", 300, "pipeline.escalate"),
    Periodic("bot-morning", 300, "bot.morning"),
    Periodic("bot-flush", 300, "bot.flush"),
    Periodic("groups-retier", 3600, "groups.retier_all"),
    Periodic("groups-invite", 600, "groups.invite"),
    Periodic("broadcast-poll", 600, "broadcast.poll"),
    Periodic("debit-poll", 60, "direct_debit.poll"),
    Periodic("debit-reconcile", 24 * 3600, "direct_debit.reconcile_yesterday"),
    Periodic("org-purge-revoked-sessions", 3600, "org.purge_revoked_sessions"),
    # WeCom's customer list read again each night (02:00 Beijing time), repairing what lost callbacks left
    Periodic("wecom-reconcile-nightly", 24 * 3600, "wecom.reconcile_nightly", offset_s=18 * 3600,
             run_at_start=False),
]

_local_claims: set[str] = set()
_started: set[str] = set()  # periodic jobs that have seen their first slot in this process
_local_lock = threading.Lock()


def claim_slot(name: str, slot: int, ttl_s: int) -> bool:
    key = f"scrm:periodic:{name}:{slot}"
    r = jobs.get_redis()
    if r is not None:
        return bool(r.set(key, "1", nx=True, ex=max(ttl_s * 2, 60)))
    with _local_lock:
        if key in _local_claims:
            return False
        _local_claims.add(key)
        return True


def due(p: Periodic, now: float) -> bool:
    """Whether ``p``'s current slot is this scheduler's to run (claiming it)."""
    slot = int((now - p.offset_s) // p.every_s)
    if not p.run_at_start and jobs.get_redis() is None and p.name not in _started:
        _started.add(p.name)
        claim_slot(p.name, slot, p.every_s)
        return False
    return claim_slot(p.name, slot, p.every_s)


def tick(now: float | None = None) -> list[str]:
    """Queue every periodic job whose current slot nobody has claimed; returns their names."""
    now = time.time() if now is None else now
    queued = []
    for p in PERIODIC:
        if due(p, now):
            jobs.enqueue(None, p.job, queue="low", retries=0)
            queued.append(p.name)
    return queued


def run(stop: threading.Event | None = None, interval_s: float = 5.0) -> None:
    stop = stop or threading.Event()
    log.info("scheduler started (%s)", "redis" if jobs.uses_rq() else "in-process")
    while not stop.is_set():
        try:
            tick()
        except Exception:
            log.exception("scheduler tick failed")
        stop.wait(interval_s)
