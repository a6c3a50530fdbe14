"""A small HTTP/1.1 load generator on asyncio: closed loop (max throughput) and open loop (fixed rate).

Requests are prepared byte strings, so the generator spends its time on the wire, not on building
requests. Keep-alive connections; one request in flight per connection.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def summary(self) -> str:
        ok = self.statuses.get(200, 0)
        return (f"{self.count} requests in {self.elapsed_s:.1f}s = {self.rate:,.0f}/s; "
                f"p50 {self.pct(50):.1f} ms, p99 {self.pct(99):.1f} ms, mean {statistics.fmean(self.latencies_ms):.1f} ms; "
                f"200s: {ok}, other: {self.count - ok}")


def build_post(host: str, port: int, path: str, body: bytes, content_type: str = "text/xml") -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + body


async def _roundtrip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def closed_loop(host: str, port: int, requests: list[bytes], concurrency: int) -> Result:
    result = Result()
    queue = iter(requests)

    async def worker():
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for req in queue:
                t0 = time.perf_counter()
                status = await _roundtrip(reader, writer, req)
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - start
    return result


async def open_loop(host: str, port: int, requests: list[bytes], rate: float, pool: int = 64) -> Result:
    """Send at a fixed rate whatever the answers do; latency counts from the scheduled send time."""
    result = Result()
    conns: asyncio.Queue = asyncio.Queue()
    for _ in range(pool):
        conns.put_nowait(await asyncio.open_connection(host, port))

    async def one(req: bytes, scheduled: float):
        reader, writer = await conns.get()
        try:
            status = await _roundtrip(reader, writer, req)
        finally:
            conns.put_nowait((reader, writer))
        result.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
        result.statuses[status] = result.statuses.get(status, 0) + 1

    start = time.perf_counter()
    tasks = []
    for i, req in enumerate(requests):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(req, scheduled)))
    await asyncio.gather(*tasks)
    result.elapsed_s = time.perf_counter() - start
    while not conns.empty():
        _, writer = conns.get_nowait()
        writer.close()
    return result
