"""The RQ worker as ``scrm worker`` runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from rq import Queue

from scrm import jobs

HEAVY = ("scrm.models", "scrm.wecom.tasks", "scrm.tagging.tasks", "scrm.handover.service")


def modules_missing_in_work_horse() -> list[str]:
    """Runs as a job: which job modules the forked work horse would still have to import itself."""
    return [name for name in HEAVY if name not in sys.modules]


def test_work_horse_inherits_the_job_modules_from_the_worker(redis_url):
    job = Queue("default", connection=jobs.get_redis()).enqueue(modules_missing_in_work_horse)
    subprocess.run([sys.executable, "-m", "scrm.cli", "worker", "--burst"], env=dict(os.environ), check=True,
                   timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() == []


def test_job_modules_name_every_subscriber_and_periodic_job():
    from scrm import events, scheduler

    names = jobs.job_modules()
    for paths in events.SUBSCRIBERS.values():
        assert all(path.partition(":")[0] in names for path in paths)
    assert all(p.func.partition(":")[0] in names for p in scheduler.PERIODIC)
