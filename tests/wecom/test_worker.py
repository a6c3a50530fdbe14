"""A real RQ worker on a real Redis: a worker killed in the middle of processing a callback loses
nothing and does nothing twice once another worker takes over."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from scrm.core.db import session_scope
from scrm.customers.models import Customer, TimelineEntry
from scrm.ingress import tasks
from scrm.ingress.models import InboxEvent, InboxStatus
from scrm.org import service as org_service
from scrm.wecom.client import get_client


def start_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "loan_scrm.cli", "worker"], env=dict(os.environ),
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_hard(proc: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse, as a machine losing power would."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def wait_for(predicate, timeout: float = 120.0, what: str = "condition"):
    """A generous bound: a freshly started worker process imports the whole app first, slowly on a loaded machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def inbox_status(inbox_id: int) -> InboxStatus:
    with session_scope() as s:
        return s.get(InboxEvent, inbox_id).status


def test_worker_killed_mid_job_is_processed_once_after_restart(committed_db, redis_url, sandbox_wecom, live_service):
    sandbox_wecom.seed_user("zhangsan", "张三")
    org_service.sync_from_wecom(committed_db, get_client())
    committed_db.commit()
    sandbox_wecom.inject("externalcontact/get", delay_s=6, times=1)

    first = start_worker()
    try:
        sent = sandbox_wecom.contact_added("zhangsan", name="断电客户", remark_mobiles=["13512345678"])
        assert sent.delivery.ok
        with session_scope() as s:
            inbox_id = s.scalar(select(InboxEvent.id))
        wait_for(lambda: _started_jobs(redis_url), what="the worker to start the job")
        time.sleep(1.5)  # inside the job now, waiting on the slow WeCom call (6 s)
        assert sandbox_wecom.call_count("externalcontact/get") == 0
    finally:
        kill_hard(first)
    assert inbox_status(inbox_id) == InboxStatus.received
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 0

    second = start_worker()
    try:
        assert tasks.requeue_stale_inbox(older_than_s=0) == 1
        wait_for(lambda: inbox_status(inbox_id) == InboxStatus.done, what="the event to be processed")
        wait_for(lambda: len(sandbox_wecom.welcome_messages) == 1, what="the welcome message")
    finally:
        kill_hard(second)

    with session_scope() as s:
        customers = s.scalars(select(Customer)).all()
        assert len(customers) == 1 and customers[0].phone == "13512345678"
        created = s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "created")).all()
        assert len(created) == 1
    assert len(sandbox_wecom.welcome_messages) == 1


def _started_jobs(redis_url: str) -> list[str]:
    import redis
    from rq import Queue
    from rq.registry import StartedJobRegistry

    connection = redis.Redis.from_url(redis_url)
    return StartedJobRegistry(queue=Queue("urgent", connection=connection)).get_job_ids()
