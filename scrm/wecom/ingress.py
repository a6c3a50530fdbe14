"""Group commit for the callback path.

Each callback must be durable before it is answered, and one commit costs a disk flush. Callbacks
that arrive while a commit is under way wait for the next one and share it: at low load every
callback gets its own commit at once; under load a commit carries many. Nothing is answered before
its own transaction has committed.
"""

from __future__ import annotations

import asyncio

from fastapi.concurrency import run_in_threadpool

from scrm.db import session_scope
from scrm.wecom import service

MAX_BATCH = 200


def _store_batch(items: list[tuple[str, dict]]) -> None:
    with session_scope() as session:
        service.store_callbacks(session, items)


class InboxBatcher:
    def __init__(self) -> None:
        self._pending: list[tuple[str, dict, asyncio.Future]] = []
        self._flushing = False

    async def store(self, plain_xml: str, fields: dict) -> None:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((plain_xml, fields, future))
        if not self._flushing:
            self._flushing = True
            asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await run_in_threadpool(_store_batch, [(plain, fields) for plain, fields, _ in batch])
                except Exception as exc:  # every callback in the batch is answered with the failure; WeCom retries
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                else:
                    for *_, future in batch:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._flushing = False
