"""Fixtures for a real PostgreSQL and Redis.

``scripts/test`` creates a fresh database per run and exports ``SCRM_TEST_DATABASE_URL`` and
``SCRM_TEST_REDIS_URL``. The schema is built once per run by the migrations; each test runs inside a
transaction that is rolled back (``db``), or, when a separate process such as an RQ worker must see
the data, against committed data that is truncated afterwards (``committed_db``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

pytest_plugins = ["tests.sandbox_fixtures"]

TEST_DB_URL = os.environ.get("SCRM_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("SCRM_TEST_REDIS_URL")
if not TEST_DB_URL or not TEST_REDIS_URL:
    raise pytest.UsageError("run the suite with scripts/test (it provides PostgreSQL and Redis)")

TEST_PII_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
BASE_ENV = {
    "SCRM_DATABASE_URL": TEST_DB_URL,
    "SCRM_PII_KEY": TEST_PII_KEY,
    "SCRM_SECRET_KEY": "test-secret-key",
    "SCRM_REDIS_URL": "",
    "SCRM_WECOM_REPLAY_WINDOW_S": "0",
}
os.environ.update(BASE_ENV)

# every process starts through the composition root, which installs the event subscriptions; the tests
# call services and jobs directly, so they install them here (after the settings above are in place)
from loan_scrm import wiring  # noqa: E402

wiring.install()


def reset_caches() -> None:
    from scrm import auth
    from scrm.core import jobs, ratelimit
    from scrm.core.config import reset_settings
    from scrm.core import crypto

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


@pytest.fixture(scope="session")
def engine():
    from scrm.core import db as scrm_db
    from scrm.migrations import upgrade

    reset_caches()
    eng = create_engine(TEST_DB_URL, pool_size=5, max_overflow=10)
    upgrade(TEST_DB_URL)
    yield eng
    scrm_db.set_engine(None)
    eng.dispose()


@pytest.fixture
def db(engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; the app and inline jobs share it."""
    from scrm.core import db as scrm_db

    connection = engine.connect()
    outer = connection.begin()
    scrm_db.set_engine(connection, join_transaction_mode="create_savepoint")
    session = scrm_db.new_session()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()
        scrm_db.set_engine(None, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def committed_db(engine) -> Iterator[Session]:
    """Committed data, visible to other processes; every table is emptied afterwards."""
    from scrm.core import db as scrm_db
    from loan_scrm.models import metadata

    scrm_db.set_engine(engine)
    session = scrm_db.new_session()
    try:
        yield session
    finally:
        session.close()
        tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        for attempt in range(5):
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                break
            except OperationalError:  # a server or worker the test started may still be finishing a query
                if attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))
        scrm_db.set_engine(None)


@pytest.fixture
def redis_url(settings_env) -> str:
    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    settings_env(SCRM_REDIS_URL=TEST_REDIS_URL)
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """An embedded-default database file with every migration applied, built once per run."""
    from scrm.migrations import upgrade

    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["postgresql", "sqlite"])
def committed_any(request, settings_env, tmp_path) -> Iterator[Session]:
    """``committed_db`` on PostgreSQL, then the same on the embedded default (a fresh SQLite file with the
    migrations applied, opened as ``scrm serve`` opens it): for the races and money that both must hold."""
    if request.param == "postgresql":
        yield request.getfixturevalue("committed_db")
        return
    from scrm.core import db as scrm_db

    path = tmp_path / "scrm.core.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    url = f"sqlite:///{path}"
    settings_env(SCRM_DATABASE_URL=url)
    engine = scrm_db.make_engine(url)
    scrm_db.set_engine(engine)
    # the test's own session reads between requests; begun IMMEDIATE it would hold the one writer's lock
    # against the served app until the test ends its transaction
    session = scrm_db.new_session(read_only=True)
    try:
        yield session
    finally:
        session.close()
        scrm_db.set_engine(None)
        engine.dispose()


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
