"""Settings every test starts from, the ``pure`` lane, and helpers shared across the suite.

Tests marked ``pure`` touch no database, Redis or network: ``python -m pytest -m pure`` runs them on a
machine with neither. Everything else needs the fresh PostgreSQL database and Redis that ``scripts/test``
provides through ``SCRM_TEST_DATABASE_URL`` and ``SCRM_TEST_REDIS_URL``; their fixtures are in
``tests/service_fixtures.py``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url



def _worker_services() -> None:
    """Under ``pytest -n`` (pytest-xdist) each worker gets its own PostgreSQL database, named after the run's,
    and its own Redis database number, so workers never see each other's rows, truncations or queues."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("SCRM_TEST_DATABASE_URL")
    if not worker or not url or os.environ.get("SCRM_TEST_WORKER") == worker:
        return
    base = make_url(url)
    name = f"{base.database}_{worker}"
    with psycopg.connect(host=base.host, port=base.port or 5432, user=base.username, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["SCRM_TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)
    redis_url = os.environ.get("SCRM_TEST_REDIS_URL")
    if redis_url:
        prefix, _, number = redis_url.rpartition("/")
        index = int(worker.removeprefix("gw"))
        os.environ["SCRM_TEST_REDIS_URL"] = f"{prefix}/{(int(number or 1) - 1 + index) % 15 + 1}"
    os.environ["SCRM_TEST_WORKER"] = worker


_worker_services()
TEST_DB_URL = os.environ.get("SCRM_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("SCRM_TEST_REDIS_URL")
# without a test database the settings point at a port nothing listens on: a pure test that reaches for
# the database is refused at once instead of waiting on a server
NO_DATABASE_URL = "postgresql+psycopg://pure-lane@127.0.0.1:1/no_database?connect_timeout=1"

TEST_PII_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
BASE_ENV = {
    "SCRM_DATABASE_URL": TEST_DB_URL or NO_DATABASE_URL,
    "SCRM_PII_KEY": TEST_PII_KEY,
    "SCRM_SECRET_KEY": "test-secret-key",
    "SCRM_REDIS_URL": "",
    "SCRM_WECOM_REPLAY_WINDOW_S": "0",
}
os.environ.update(BASE_ENV)

pytest_plugins = ["tests.service_fixtures", "tests.sandbox_fixtures"]

# the fixtures that reach a database, Redis, a served app or a sandbox on loopback: a pure test uses none
SERVICE_FIXTURES = frozenset({
    "engine", "db", "committed_db", "committed_any", "sqlite_template", "redis_url", "client", "products",
    "sandbox_wecom", "wecom_client", "sandbox_wxa", "sandbox_wechatpay", "live_service", "console_server",
    "chromium", "pay_live", "pay_client", "committed_client", "people", "world", "org", "a_schedule", "sign_in",
    "served_any",
})


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected
def pytest_collection_modifyitems(config, items) -> None:
    if (TEST_DB_URL and TEST_REDIS_URL) or config.option.collectonly:
        return
    needing = [item for item in items if item.get_closest_marker("pure") is None]
    if needing:
        raise pytest.UsageError(
            f"{len(needing)} of the selected tests need PostgreSQL and Redis: run them with scripts/test "
            f"(it provides both), or select only the pure ones with -m pure (first: {needing[0].nodeid})")


def pytest_runtest_setup(item) -> None:
    if item.get_closest_marker("pure") is None:
        return
    used = sorted(SERVICE_FIXTURES.intersection(item.fixturenames))
    if used:
        pytest.fail(f"{item.nodeid} is marked pure but uses {', '.join(used)}: drop the marker or the fixtures",
                    pytrace=False)


def reset_caches() -> None:
    from scrm import auth
    from scrm.core import crypto, jobs, ratelimit
    from scrm.core.config import reset_settings

    reset_settings()
    jobs.reset()
    ratelimit.reset()
    crypto.reset_keys()
    auth._secret.cache_clear()


@pytest.fixture
def settings_env(monkeypatch) -> Iterator:
    """Change settings for one test: ``settings_env(SCRM_REDIS_URL=...)``."""

    def apply(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, str(value))
        reset_caches()

    yield apply
    monkeypatch.undo()
    reset_caches()


def race(n: int, fn) -> list:
    """Call ``fn(i)`` from ``n`` threads released at the same instant; their results (or exceptions) in order."""
    results: list = [None] * n
    start = threading.Barrier(n)

    def work(i: int) -> None:
        start.wait()
        try:
            results[i] = fn(i)
        except BaseException as exc:  # noqa: BLE001 - the caller asserts on it
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def run_on_own_loop(coroutine):
    """``asyncio.run`` on a thread of its own: the browser tests' Playwright keeps a loop running on the
    main thread, where a second one cannot start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
