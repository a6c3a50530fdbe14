"""Debit jobs: submit an attempt (saved and committed before the call), ask the provider about an order,
the periodic poll, and the daily reconciliation. Each takes ids and opens its own sessions."""

from __future__ import annotations

import logging

from backoffice.direct_debit import service
from backoffice.direct_debit.providers import PROVIDERS
from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.wechatpay.client import PayError

log = logging.getLogger(__name__)


@jobs.job("direct_debit.submit_debit")
def submit_debit(debit_id: int) -> None:
    """Send the debit's next attempt, if it is due one."""
    with session_scope() as session:
        plan = service.begin_attempt(session, debit_id)
    if plan is None:
        return
    provider = PROVIDERS[plan.provider]
    try:
        outcome = provider.submit(plan.out_trade_no, plan.amount_fen, plan.description, plan.mandate)
    except PayError as exc:  # timed out: the provider may or may not have the order
        log.warning("debit %s: %s", debit_id, exc)
        outcome = None
    with session_scope() as session:
        service.record_submit(session, plan.attempt_id, outcome)


@jobs.job("direct_debit.poll_debit")
def poll_debit(debit_id: int) -> str | None:
    """Ask the provider about the debit's latest attempt and apply the answer."""
    with session_scope() as session:
        plan = service.poll_plan(session, debit_id)
    if plan is None:
        return None
    provider_name, out_trade_no = plan
    try:
        outcome = PROVIDERS[provider_name].query(out_trade_no)
    except PayError as exc:
        log.warning("debit %s: query failed, asking again on the next poll: %s", debit_id, exc)
        return None
    with session_scope() as session:
        return service.record_query(session, out_trade_no, outcome)


@jobs.job("direct_debit.poll")
def poll(stale_after_s: int = 60) -> dict[str, int]:
    """Periodic: submit what is due (papay's window opened, retries, lost jobs) and query what waits."""
    with session_scope() as session:
        work = service.sweep(session, stale_after_s)
    for debit_id in work["submit"]:
        jobs.enqueue(None, "direct_debit.submit_debit", debit_id, queue="urgent")
    for debit_id in work["query"]:
        jobs.enqueue(None, "direct_debit.poll_debit", debit_id)
    return {k: len(v) for k, v in work.items()}


@jobs.job("direct_debit.reconcile_yesterday")
def reconcile_yesterday() -> None:
    """Daily: reconcile yesterday's bill of every provider."""
    day = service.yesterday()
    for name in PROVIDERS:
        try:
            with session_scope() as session:
                service.reconcile(session, name, day)
        except PayError as exc:
            log.error("could not reconcile %s for %s: %s", name, day, exc)
