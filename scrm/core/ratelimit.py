"""Counting attempts in a time window (sign-in failures, verification codes).

Counters live in Redis when it is configured, so every API process sees the same count; the
embedded default is one process, so there they live in its memory.

A limit is checked by taking a slot first (``take``): the increment and the comparison are one
atomic step, so forty attempts sent at once cannot all pass a check made before any of them counted.
"""

from __future__ import annotations

import threading
import time

from scrm.core import jobs
from scrm.core.errors import TooManyRequests

_lock = threading.Lock()
_local: dict[str, tuple[int, float]] = {}  # key -> (count, window end)
_PREFIX = "scrm:rl:"


def hit(key: str, window_s: int, by: int = 1) -> int:
    """Count ``by`` attempts (negative gives slots back); the window starts at the first. Returns the count."""
    redis = jobs.get_redis()
    if redis is not None:
        with redis.pipeline() as pipe:
            pipe.incrby(_PREFIX + key, by)
            pipe.expire(_PREFIX + key, window_s, nx=True)
            return int(pipe.execute()[0])
    with _lock:
        n, until = _local.get(key, (0, 0.0))
        now = time.monotonic()
        if until <= now:
            n, until = 0, now + window_s
        _local[key] = (max(n + by, 0), until)
        return n + by


def take(key: str, limit: int, window_s: int, what: str) -> None:
    """Take one of ``limit`` slots in the window, or refuse with 429 (the refused attempt takes none)."""
    if hit(key, window_s) > limit:
        hit(key, window_s, -1)
        raise TooManyRequests(f"too many {what}; wait a few minutes and try again")


def give_back(key: str, window_s: int) -> None:
    """Return a slot taken by ``take`` for an attempt that turned out not to count (a right password)."""
    hit(key, window_s, -1)


def clear(key: str) -> None:
    redis = jobs.get_redis()
    if redis is not None:
        redis.delete(_PREFIX + key)
    with _lock:
        _local.pop(key, None)


def reset() -> None:
    with _lock:
        _local.clear()
