"""The job queue: RQ on Redis when ``SCRM_REDIS_URL`` is set, inline otherwise.

``enqueue(session, fn, ...)`` holds the job until that session commits, so a job never runs for
data that was rolled back. Job functions take ids, open their own session and must be idempotent:
RQ delivers at least once.
"""

from __future__ import annotations

import logging
import signal
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, TypeVar

import redis
from rq import Queue, Retry
from rq import SimpleWorker as Worker
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import JSON, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from scrm.core.config import get_settings
from scrm.core.db import Base, BigId, UTCDateTime, session_scope, utcnow

log = logging.getLogger(__name__)

QUEUES = ("urgent", "default", "low")
RETRY_INTERVALS = [2, 10, 60, 300, 1800]
INLINE_ATTEMPTS = 3
_PENDING = "scrm_pending_jobs"
F = TypeVar("F", bound=Callable[..., Any])


_REGISTRY: dict[str, Callable[..., Any]] = {}


def job(name: str) -> Callable[[F], F]:
    """Register a job function under ``name`` (``<module>.<verb>``, e.g. ``handover.track_case``). Services
    enqueue it by that name, so a service never imports its own tasks module; the composition root
    imports every tasks module, which fills the registry in each process."""
    def register(func: F) -> F:
        known = _REGISTRY.setdefault(name, func)
        if known is not func:
            raise ValueError(f"two jobs are named {name!r}: {_path(known)} and {_path(func)}")
        return func

    return register


def run_named(name: str, *args: Any, **kwargs: Any) -> Any:
    """What RQ stores and a worker runs: the job is looked up by its registered name there, so jobs queued
    before a deploy that moved a module still find their function."""
    return registered(name)(*args, **kwargs)


def _path(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def registered(name: str) -> Callable[..., Any]:
    """The job registered under ``name`` (or, for a failure recorded before jobs had names, its dotted path)."""
    func = _REGISTRY.get(name) or next((f for f in _REGISTRY.values() if _path(f) == name), None)
    if func is None:
        raise LookupError(f"no job is named {name!r}: its tasks module must be imported by loan_scrm.wiring")
    return func


@dataclass
class JobSpec:
    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    queue: str = "default"
    job_id: str | None = None
    retries: int = len(RETRY_INTERVALS)

    @property
    def func(self) -> Callable[..., Any]:
        return registered(self.name)


class JobFailure(Base):
    """Inline mode's failed-job registry (RQ keeps its own in Redis)."""
    __tablename__ = "job_failure"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    func: Mapped[str] = mapped_column(String(200))
    args: Mapped[list] = mapped_column(JSON, default=list)
    kwargs: Mapped[dict] = mapped_column(JSON, default=dict)
    queue: Mapped[str] = mapped_column(String(20))
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@lru_cache
def get_redis():

    url = get_settings().redis_url
    return redis.Redis.from_url(url) if url else None


def reset() -> None:
    get_redis.cache_clear()


def uses_rq() -> bool:
    return bool(get_settings().redis_url)


def enqueue(session: Session | None, name: str, *args: Any, queue: str = "default",
            job_id: str | None = None, retries: int = len(RETRY_INTERVALS), **kwargs: Any) -> None:
    """Queue the job registered as ``name`` with ``(*args, **kwargs)``; with a session, only once that session
    has committed."""
    registered(name)  # an unknown name fails here, in the caller, not later in a worker
    spec = JobSpec(name, args, kwargs, queue, job_id, retries)
    if session is None:
        dispatch(spec)
    else:
        session.info.setdefault(_PENDING, []).append(spec)


# SQLAlchemy fires both events for a savepoint too (``begin_nested``): releasing one is no commit, and
# rolling one back leaves the transaction's earlier work, and its jobs, standing.
@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        try:
            dispatch_many(pending)
        except Exception:  # the data is committed; the sweeper re-queues what was not sent
            log.exception("could not enqueue %d job(s) after commit", len(pending))


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def dispatch(spec: JobSpec) -> None:
    dispatch_many([spec])


def dispatch_many(specs: list[JobSpec]) -> None:
    """Send jobs; on RQ in one Redis round trip, however many there are."""
    if not uses_rq():
        for spec in specs:
            run_inline(spec)
        return

    connection = get_redis()
    by_queue: dict[str, list] = {}
    for spec in specs:
        retry = Retry(max=spec.retries, interval=RETRY_INTERVALS[: spec.retries]) if spec.retries else None
        by_queue.setdefault(spec.queue, []).append(Queue.prepare_data(
            run_named, args=(spec.name, *spec.args), kwargs=spec.kwargs, job_id=spec.job_id, retry=retry,
            result_ttl=3600, failure_ttl=14 * 24 * 3600, description=spec.name))
    with connection.pipeline() as pipe:
        for name, datas in by_queue.items():
            Queue(name, connection=connection).enqueue_many(datas, pipeline=pipe)
        pipe.execute()


def run_inline(spec: JobSpec) -> None:
    for attempt in range(1, INLINE_ATTEMPTS + 1):
        try:
            spec.func(*spec.args, **spec.kwargs)
            return
        except Exception as exc:
            log.warning("inline job %s failed (attempt %d): %s", spec.name, attempt, exc)
            if attempt == INLINE_ATTEMPTS:
                _record_inline_failure(spec, exc)
            else:
                time.sleep(0.05 * attempt)


def _record_inline_failure(spec: JobSpec, exc: Exception) -> None:
    with session_scope() as session:
        session.add(JobFailure(func=spec.name, args=list(spec.args), kwargs=spec.kwargs,
                               queue=spec.queue, error="".join(traceback.format_exception_only(exc)).strip()))


def retry_failed() -> int:
    """Re-queue every failed job (RQ's failed registry, or the inline failure table); returns the count."""
    if uses_rq():

        count = 0
        for name in QUEUES:
            registry = FailedJobRegistry(queue=Queue(name, connection=get_redis()))
            for job_id in registry.get_job_ids():
                registry.requeue(job_id)
                count += 1
        return count

    with session_scope() as session:
        failures = session.scalars(select(JobFailure)).all()
        specs = []
        for failure in failures:
            registered(failure.func)
            specs.append(JobSpec(failure.func, tuple(failure.args), dict(failure.kwargs), failure.queue))
            session.delete(failure)
    for spec in specs:
        run_inline(spec)
    return len(specs)


def failed_jobs() -> list[dict[str, Any]]:
    if uses_rq():

        out = []
        for name in QUEUES:
            registry = FailedJobRegistry(queue=Queue(name, connection=get_redis()))
            for job in Job.fetch_many(registry.get_job_ids(), connection=get_redis()):
                if job is not None:
                    reason = (job.exc_info or "").strip().splitlines()[-1:] or [""]
                    out.append({"id": job.id, "queue": name, "func": job.description, "reason": reason[0]})
        return out

    with session_scope() as session:
        return [{"id": f.id, "queue": f.queue, "func": f.func, "reason": f.error}
                for f in session.scalars(select(JobFailure)).all()]


def run_worker(burst: bool = False, queues: tuple[str, ...] = QUEUES) -> None:
    """Run jobs in this process, one after another. RQ's default forks a work horse per job, and that
    fork, with its fresh database and WeCom connections, cost about 0.15 s a job: more than the job.
    A job that dies takes the worker with it; its supervisor restarts it and the job is retried (jobs
    are idempotent, and the inbox sweep re-queues an event whose job was lost)."""

    if not uses_rq():
        raise SystemExit("scrm worker needs SCRM_REDIS_URL; without Redis, jobs run inline in the service")

    connection = get_redis()
    while True:
        worker = Worker([Queue(q, connection=connection) for q in queues], connection=connection)
        try:
            worker.work(burst=burst, with_scheduler=True)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            log.warning("worker lost Redis: %s", exc)
        if burst or worker._shutdown_requested_date is not None:
            return
        _wait_for_redis(connection)


def _wait_for_redis(connection, pause_s: float = 1.0) -> None:
    """RQ's worker quits when Redis goes away in the middle of a job (it survives an outage only while
    idle); ``run_worker`` waits here for Redis to come back and then starts a new one."""


    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    log.warning("worker waiting for Redis to come back")
    while True:
        try:
            connection.ping()
            return
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            time.sleep(pause_s)
