"""Stored callbacks reach RQ in few jobs: what the request path stores within the dispatcher's linger
goes out together, urgent events on their own queue, at most MAX_IDS_PER_JOB ids a job."""

from __future__ import annotations

import asyncio

import redis
from rq import Queue

from scrm.ingress import batcher as ingress
from tests.conftest import run_on_own_loop


def queued_ids(redis_url: str, queue: str) -> list[list[int]]:
    jobs = Queue(queue, connection=redis.Redis.from_url(redis_url)).get_jobs()
    assert all(job.func_name == "scrm.core.jobs.run_named" and job.args[0] == "wecom.process_inbox_batch"
               for job in jobs)
    return [job.args[1] for job in jobs]


def test_callbacks_stored_together_are_queued_as_few_jobs(redis_url):
    async def store_burst() -> None:
        batcher = ingress.InboxBatcher()
        batcher._queue_later(list(range(1, 151)), True)
        batcher._queue_later([500, 501], False)
        batcher._queue_later([151], True)
        while batcher._dispatching:
            await asyncio.sleep(ingress.QUEUE_LINGER_S)

    run_on_own_loop(store_burst())
    assert queued_ids(redis_url, "urgent") == [list(range(1, 101)), list(range(101, 152))]
    assert queued_ids(redis_url, "default") == [[500, 501]]


def test_ids_stored_after_a_dispatch_go_out_in_the_next_one(redis_url):
    async def two_bursts() -> None:
        batcher = ingress.InboxBatcher()
        batcher._queue_later([1, 2], False)
        while batcher._dispatching:
            await asyncio.sleep(ingress.QUEUE_LINGER_S / 5)
        batcher._queue_later([3], False)
        while batcher._dispatching:
            await asyncio.sleep(ingress.QUEUE_LINGER_S / 5)

    run_on_own_loop(two_bursts())
    assert queued_ids(redis_url, "default") == [[1, 2], [3]]
