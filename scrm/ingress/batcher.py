"""Group commit for the callback path.

Each callback must be durable before it is answered, and every commit waits for the disk. Callbacks
that arrive while commits are under way (a few at once) wait for the next one and share it: at low
load each callback gets its own commit at once; under load one commit carries many. Nothing is
answered before its own transaction has committed.

On PostgreSQL the write runs on the event loop with psycopg's async connection: handing each round
trip to a thread and back costs more under load than the insert itself.

With RQ, the stored ids are queued after the answers went out, by one dispatcher that gathers what
arrived over ``QUEUE_LINGER_S`` into one Redis round trip: a job per commit would cost the request
path more than the commit itself.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg
from fastapi.concurrency import run_in_threadpool

from scrm.core import jobs
from scrm.core.db import engine_bound, session_scope
from scrm.ingress import service, tasks

log = logging.getLogger(__name__)

MAX_BATCH = 200
MAX_IN_FLIGHT = 3
QUEUE_LINGER_S = 0.05
MAX_IDS_PER_JOB = 100


def _store_with_session(items: list[tuple[str, dict]]) -> tuple[list[int], bool]:
    with session_scope() as session:
        return service.store_callbacks(session, items)


class _PgConnections:
    """A few async connections for the inbox writes; a broken one is dropped, not reused.

    They run in autocommit: the batch is one ``INSERT … ON CONFLICT DO NOTHING``, committed (and
    flushed to disk) by the time the server answers it, so a BEGIN and a COMMIT round trip would add
    nothing. The optional re-open of repeated refresh events is a second statement; if it fails the
    batch is answered with an error, WeCom retries, the insert adds nothing and the re-open runs again.
    """

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._idle: list[psycopg.AsyncConnection] = []

    async def store(self, items: list[tuple[str, dict]]) -> tuple[list[int], bool]:
        conn = self._idle.pop() if self._idle else await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        try:
            result = await service.store_callbacks_pg(conn.cursor(), items)
        except BaseException:
            await conn.close()
            raise
        self._idle.append(conn)
        return result


def _pg_conninfo() -> str | None:
    engine = engine_bound()
    if engine is None or engine.dialect.name != "postgresql":
        return None
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class InboxBatcher:
    def __init__(self) -> None:
        self._pending: list[tuple[str, dict, asyncio.Future]] = []
        self._flushing = 0
        self._to_queue: dict[bool, list[int]] = {True: [], False: []}
        self._dispatching = False
        self._tasks: set[asyncio.Task] = set()  # the loop keeps only weak references to running tasks
        conninfo = _pg_conninfo()
        self._pg = _PgConnections(conninfo) if conninfo else None

    async def store(self, plain_xml: str, fields: dict) -> None:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((plain_xml, fields, future))
        if self._flushing < MAX_IN_FLIGHT:
            self._flushing += 1
            self._start(self._flush())
        await future

    async def _write(self, items: list[tuple[str, dict]]) -> tuple[list[int], bool]:
        if self._pg is not None:
            return await self._pg.store(items)
        return await run_in_threadpool(_store_with_session, items)

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    ids, urgent = await self._write([(p, f) for p, f, _ in batch])
                except Exception as exc:  # every callback in the batch is answered with the failure; WeCom retries
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                if not jobs.uses_rq():  # inline jobs (embedded default): processed before the answer
                    await run_in_threadpool(tasks.queue_inbox, ids, urgent)
                for *_, future in batch:
                    if not future.done():
                        future.set_result(None)
                if jobs.uses_rq() and ids:  # the answers go out first; queueing is not on WeCom's clock
                    self._queue_later(ids, urgent)
        finally:
            self._flushing -= 1

    def _start(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _queue_later(self, ids: list[int], urgent: bool) -> None:
        self._to_queue[urgent].extend(ids)
        if not self._dispatching:
            self._dispatching = True
            self._start(self._dispatch())

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._to_queue[True] or self._to_queue[False]:
                await asyncio.sleep(QUEUE_LINGER_S)
                lots = [(ids[i:i + MAX_IDS_PER_JOB], urgent) for urgent, ids in self._to_queue.items()
                        for i in range(0, len(ids), MAX_IDS_PER_JOB)]
                self._to_queue = {True: [], False: []}
                try:
                    await loop.run_in_executor(None, tasks.queue_inbox_lots, lots)
                except Exception:  # stored and committed: the periodic sweep queues them
                    log.exception("could not queue %d inbox event(s)", sum(len(ids) for ids, _ in lots))
        finally:
            self._dispatching = False
