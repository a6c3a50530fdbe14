"""Open-loop HTTP/1.1 driver: sends prepared requests at a fixed rate whatever the answers do, over a
pool of keep-alive connections that are reopened when the server drops them. Latency counts from the
scheduled send time, so a stalled server shows as latency, not as a lower offered rate.

Every loop is bounded: requests are counted out in advance, each has a timeout, and the driver stops
issuing at the end of its window and waits at most ``drain_s`` for what is in flight.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from bench.load.kinds import Prepared

TIMEOUT_S = 5.0  # WeCom's own: a callback not answered within 5 s is retried
MAX_IN_FLIGHT = 2000


@dataclass
class Sample:
    kind: str
    t: float  # scheduled send, seconds since the run's clock zero
    latency_ms: float
    status: int  # 0: timeout or connection error; -1: not sent (client over its in-flight bound)
    ok: bool
    attempt: int = 1
    error: str = ""  # why there was no answer


@dataclass
class Window:
    """What one driven window produced."""

    name: str
    offered_rate: float
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    accepted_keys: set[str] = field(default_factory=set)
    refused_keys: set[str] = field(default_factory=set)
    first_sent: dict[str, float] = field(default_factory=dict)  # key -> first send, seconds since clock zero
    pending: set[str] = field(default_factory=set)  # keys neither accepted nor given up yet


async def _roundtrip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            body += await reader.readexactly(size + 2)
            if size == 0:
                return status, body
    return status, (await reader.readexactly(length)) if length else b""


class Pool:
    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self._free: asyncio.Queue = asyncio.Queue()
        for _ in range(size):
            self._free.put_nowait(None)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        conn = await self._free.get()
        try:
            if conn is not None:
                try:
                    status, body = await asyncio.wait_for(_roundtrip(*conn, raw), TIMEOUT_S)
                    self._free.put_nowait(conn)
                    return status, body
                except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
                    # the server closed this idle keep-alive connection (uvicorn does after 5 s) before
                    # reading the request: send it again on a fresh one, as HTTP clients do
                    conn[1].close()
                    conn = None
                    if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                        raise
            conn = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), TIMEOUT_S)
            status, body = await asyncio.wait_for(_roundtrip(*conn, raw), TIMEOUT_S)
        except BaseException:
            if conn is not None:
                conn[1].close()
            self._free.put_nowait(None)
            raise
        self._free.put_nowait(conn)
        return status, body

    def close(self) -> None:
        while not self._free.empty():
            conn = self._free.get_nowait()
            if conn is not None:
                conn[1].close()


async def drive(window: Window, host: str, port: int, source, clock0: float, *, pool_size: int = 64,
                retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0), drain_s: float = 20.0) -> Window:
    """Offer ``window.offered_rate`` requests a second for ``window.seconds`` from ``source()`` (a callable
    answering the next ``Prepared``). Requests marked ``retry`` are sent again on anything but an
    accepted answer, after each of ``retry_delays``, as WeCom does with its callbacks."""
    pool = Pool(host, port, pool_size)
    in_flight: set[asyncio.Task] = set()

    async def one(item: Prepared, scheduled: float, attempt: int) -> None:
        status, error = 0, ""
        try:
            status, body = await pool.request(item.raw)
            ok = item.check(status, body)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            ok, error = False, type(exc).__name__
        now = time.perf_counter()
        window.samples.append(Sample(item.kind, scheduled - clock0, (now - scheduled) * 1000, status, ok, attempt,
                                     error))
        if item.key is not None:
            if ok:
                window.accepted_keys.add(item.key)
                window.pending.discard(item.key)
            elif not item.retry or attempt > len(retry_delays):
                window.refused_keys.add(item.key)
                window.pending.discard(item.key)
        if not ok and item.retry and attempt <= len(retry_delays):
            await asyncio.sleep(retry_delays[attempt - 1])
            await one(item, time.perf_counter(), attempt + 1)

    start = time.perf_counter()
    count = int(window.offered_rate * window.seconds)
    for i in range(count):
        scheduled = start + i / window.offered_rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        item = source()
        if len(in_flight) >= MAX_IN_FLIGHT:
            window.samples.append(Sample(item.kind, scheduled - clock0, 0.0, -1, False))
            if item.key is not None:
                window.refused_keys.add(item.key)
            continue
        if item.key is not None:
            window.first_sent.setdefault(item.key, scheduled - clock0)
            if item.key not in window.accepted_keys:
                window.pending.add(item.key)
        task = asyncio.create_task(one(item, scheduled, 1))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.wait(set(in_flight), timeout=drain_s + sum(retry_delays) + TIMEOUT_S * (1 + len(retry_delays)))
    for task in list(in_flight):
        task.cancel()
    pool.close()
    window.pending.clear()
    window.refused_keys -= window.accepted_keys
    return window


def mixer(kinds: list, seed: int = 7):
    """A source that picks the next request's kind by weight and asks that kind for it."""
    rng = random.Random(seed)
    names = [k for k in kinds]
    weights = [k.weight for k in kinds]

    def source() -> Prepared:
        return next(rng.choices(names, weights)[0].stream)

    return source
