"""Shared set-up for benchmarks: a scratch PostgreSQL database, Redis, and a served app in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

from loan_scrm import wiring

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("SCRM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SCRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
PII_KEY = "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDE="

# the benchmarks call services and jobs in their own process, as the app and the worker do
wiring.install()


def database_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def fresh_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return reused_database(name)


def reused_database(name: str) -> str:
    """The database a previous run left (``--reuse``), brought up to the newest migration."""
    url = database_url(name)
    from scrm.migrations import upgrade

    upgrade(url)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def served(app: str, env: dict[str, str], factory: bool = False, workers: int = 1):
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning", "--no-access-log", "--workers", str(workers)]
    if factory:
        cmd.append("--factory")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    try:
        wait_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
