"""Counting attempts in a time window (sign-in failures, verification codes).

Counters live in Redis when it is configured, so every API process sees the same count; the
embedded default is one process, so there they live in its memory.
"""

from __future__ import annotations

import threading
import time

from scrm import jobs
from scrm.errors import TooManyRequests

_lock = threading.Lock()
_local: dict[str, tuple[int, float]] = {}  # key -> (count, window end)
_PREFIX = "scrm:rl:"


def count(key: str) -> int:
    redis = jobs.get_redis()
    if redis is not None:
        return int(redis.get(_PREFIX + key) or 0)
    with _lock:
        n, until = _local.get(key, (0, 0.0))
        return n if until > time.monotonic() else 0


def hit(key: str, window_s: int) -> int:
    """Count one attempt; the window starts at the first attempt. Returns the count so far."""
    redis = jobs.get_redis()
    if redis is not None:
        with redis.pipeline() as pipe:
            pipe.incr(_PREFIX + key)
            pipe.expire(_PREFIX + key, window_s, nx=True)
            return int(pipe.execute()[0])
    with _lock:
        n, until = _local.get(key, (0, 0.0))
        now = time.monotonic()
        if until <= now:
            n, until = 0, now + window_s
        _local[key] = (n + 1, until)
        return n + 1


def clear(key: str) -> None:
    redis = jobs.get_redis()
    if redis is not None:
        redis.delete(_PREFIX + key)
    with _lock:
        _local.pop(key, None)


def refuse_when_over(key: str, limit: int, what: str) -> None:
    if count(key) >= limit:
        raise TooManyRequests(f"too many {what}; wait a few minutes and try again")


def reset() -> None:
    with _lock:
        _local.clear()
