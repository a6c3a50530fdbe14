"""Periodic work. Each run of a periodic job belongs to a time slot, and a slot is claimed once
(Redis SET NX, or in-process when there is no Redis), so any number of schedulers may run without
doing anything twice."""

from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass

from scrm import jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_s: int
    func: str  # "module:function", called with no arguments


PERIODIC: list[Periodic] = [
    Periodic("requeue-stale-inbox", 30, "scrm.wecom.tasks:requeue_stale_inbox"),
    Periodic("redeliver-stale-events", 60, "scrm.events:redeliver_stale"),
    Periodic("handover-poll", 300, "scrm.handover.tasks:poll"),
    Periodic("referral-release-withdrawable", 600, "scrm.referral.tasks:release_withdrawable"),
    Periodic("sop-generate", 300, "scrm.sop.tasks:generate"),
    Periodic("bot-morning", 300, "scrm.bot.tasks:morning"),
    Periodic("bot-flush", 300, "scrm.bot.tasks:flush"),
    Periodic("groups-retier", 3600, "scrm.groups.tasks:retier_all"),
    Periodic("groups-invite", 600, "scrm.groups.tasks:invite"),
    Periodic("broadcast-poll", 600, "scrm.broadcast.tasks:poll"),
    Periodic("debit-poll", 60, "backoffice.direct_debit.tasks:poll"),
    Periodic("debit-reconcile", 24 * 3600, "backoffice.direct_debit.tasks:reconcile_yesterday"),
    Periodic("org-purge-revoked-sessions", 3600, "scrm.org.tasks:purge_revoked_sessions"),
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


def _resolve(path: str):
    module, _, func = path.partition(":")
    return getattr(importlib.import_module(module), func)


def tick(now: float | None = None) -> list[str]:
    """Queue every periodic job whose current slot nobody has claimed; returns their names."""
    now = time.time() if now is None else now
    queued = []
    for p in PERIODIC:
        if claim_slot(p.name, int(now // p.every_s), p.every_s):
            jobs.enqueue(None, _resolve(p.func), queue="low", retries=0)
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
