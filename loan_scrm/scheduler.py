"""Periodic work. Each run of a periodic job belongs to a time slot, and a slot is claimed once
(Redis SET NX, or in-process when there is no Redis), so any number of schedulers may run without
doing anything twice."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from backoffice.direct_debit import tasks as debit_tasks
from scrm import events, jobs
from scrm.bot import tasks as bot_tasks
from scrm.broadcast import tasks as broadcast_tasks
from scrm.groups import tasks as group_tasks
from scrm.handover import tasks as handover_tasks
from scrm.org import tasks as org_tasks
from scrm.referral import tasks as referral_tasks
from scrm.sop import tasks as sop_tasks
from scrm.wecom import tasks as wecom_tasks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: int
    func: Callable[[], Any]


PERIODIC: list[Periodic] = [
    Periodic("requeue-stale-inbox", 30, wecom_tasks.requeue_stale_inbox),
    Periodic("redeliver-stale-events", 60, events.redeliver_stale),
    Periodic("handover-poll", 300, handover_tasks.poll),
    Periodic("referral-release-withdrawable", 600, referral_tasks.release_withdrawable),
    Periodic("sop-generate", 300, sop_tasks.generate),
    Periodic("bot-morning", 300, bot_tasks.morning),
    Periodic("bot-flush", 300, bot_tasks.flush),
    Periodic("groups-retier", 3600, group_tasks.retier_all),
    Periodic("groups-invite", 600, group_tasks.invite),
    Periodic("broadcast-poll", 600, broadcast_tasks.poll),
    Periodic("debit-poll", 60, debit_tasks.poll),
    Periodic("debit-reconcile", 24 * 3600, debit_tasks.reconcile_yesterday),
    Periodic("org-purge-revoked-sessions", 3600, org_tasks.purge_revoked_sessions),
]

_local_claims: set[str] = set()
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


def tick(now: float | None = None) -> list[str]:
    """Queue every periodic job whose current slot nobody has claimed; returns their names."""
    now = time.time() if now is None else now
    queued = []
    for p in PERIODIC:
        if claim_slot(p.name, int(now // p.every_s), p.every_s):
            jobs.enqueue(None, p.func, queue="low", retries=0)
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
