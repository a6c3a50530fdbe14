"""The RQ worker as ``scrm worker`` runs it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import redis
from rq import Queue

from loan_scrm import scheduler, wiring
from scrm.core import jobs

HEAVY = ("loan_scrm.models", "scrm.ingress.tasks", "scrm.tagging.tasks", "scrm.handover.service")


def modules_missing_in_work_horse() -> list[str]:
    """Runs as a job: which job modules the forked work horse would still have to import itself."""
    return [name for name in HEAVY if name not in sys.modules]


def test_work_horse_inherits_the_job_modules_from_the_worker(redis_url):
    job = Queue("default", connection=jobs.get_redis()).enqueue(modules_missing_in_work_horse)
    subprocess.run([sys.executable, "-m", "loan_scrm.cli", "worker", "--burst"], env=dict(os.environ), check=True,
                   timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() == []


@pytest.mark.pure
def test_job_modules_name_every_subscriber_and_periodic_job():
    names = wiring.job_modules()
    for handlers in wiring.SUBSCRIPTIONS.values():
        assert all(h.__module__ in names for h in handlers)
    assert all(jobs.registered(p.job).__module__ in names for p in scheduler.PERIODIC)


def slow_job(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def quick_job() -> str:
    return "done"


def _redis_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1", "--port", str(port),
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("redis-server did not start")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(10)


def test_worker_outlives_redis_going_away_in_the_middle_of_a_job(settings_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    settings_env(SCRM_REDIS_URL=url)
    server = _redis_server(port)
    worker = subprocess.Popen([sys.executable, "-m", "loan_scrm.cli", "worker"], env=dict(os.environ),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        slow = Queue("default", connection=redis.Redis.from_url(url)).enqueue(slow_job, 3)
        deadline = time.monotonic() + 60
        while slow.get_status(refresh=True) != "started":
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.1)
        _stop(server)  # Redis goes away while the job runs, and is away when it ends
        time.sleep(5)
        assert worker.poll() is None, "scrm worker exited when Redis went away"
        server = _redis_server(port)  # back, empty: no persistence
        after = Queue("default", connection=redis.Redis.from_url(url)).enqueue(quick_job)
        deadline = time.monotonic() + 60
        while after.get_status(refresh=True) != "finished":
            assert worker.poll() is None, "scrm worker exited"
            assert time.monotonic() < deadline, "no job ran after Redis came back"
            time.sleep(0.2)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        _stop(server)


RAN: list[str] = []


@jobs.job("tests.note")
def _note(what: str) -> None:
    RAN.append(what)


def test_jobs_wait_for_the_outer_commit_not_a_savepoint(committed_any):
    """Releasing a savepoint (``begin_nested``) is no commit: a job queued before it must wait for the real
    commit (inline it would otherwise run inside the open transaction; on RQ a worker could read nothing),
    and a savepoint rolled back must not drop the jobs the transaction queued before it."""
    db = committed_any
    RAN.clear()
    jobs.enqueue(db, "tests.note", "before the savepoint")
    with db.begin_nested():
        jobs.enqueue(db, "tests.note", "inside the savepoint")
    assert RAN == []
    try:
        with db.begin_nested():
            raise ValueError("a refused insert")
    except ValueError:
        pass
    assert RAN == []
    db.commit()
    assert RAN == ["before the savepoint", "inside the savepoint"]


def test_an_unknown_job_name_fails_where_it_is_enqueued(db):
    with pytest.raises(LookupError, match="no job is named 'handover.tarck_case'"):
        jobs.enqueue(db, "handover.tarck_case", 1)


@pytest.mark.pure
def test_every_periodic_job_is_registered():
    assert all(jobs.registered(p.job) for p in scheduler.PERIODIC)
