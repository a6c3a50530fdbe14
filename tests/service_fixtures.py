"""Fixtures for a real PostgreSQL and Redis.

``scripts/test`` creates a fresh database per run and exports ``SCRM_TEST_DATABASE_URL`` and
``SCRM_TEST_REDIS_URL``. The schema is built once per run by the migrations; each test runs inside a
transaction that is rolled back (``db``), or, when a separate process such as an RQ worker must see
the data, against committed data that is truncated afterwards (``committed_db``).
"""

from __future__ import annotations

import shutil
import time
from typing import Iterator

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from loan_scrm import wiring
from loan_scrm.app import create_app
from loan_scrm.models import metadata
from scrm.core import db as scrm_db
from scrm.customers import service as customer_service
from scrm.migrations import upgrade
from tests.conftest import TEST_DB_URL, TEST_REDIS_URL, reset_caches
from tests.wecom.conftest import LiveService

# every process starts through the composition root, which installs the event subscriptions; the tests
# call services and jobs directly, so they install them here (after the root conftest's settings)
wiring.install()


@pytest.fixture(scope="session")
def engine():
    if not TEST_DB_URL or not TEST_REDIS_URL:
        pytest.fail("this test needs PostgreSQL and Redis: run it with scripts/test", pytrace=False)
    reset_caches()
    eng = create_engine(TEST_DB_URL, pool_size=5, max_overflow=10)
    upgrade(TEST_DB_URL)
    yield eng
    scrm_db.set_engine(None)
    eng.dispose()


@pytest.fixture
def db(engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; the app and inline jobs share it."""
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
    if not TEST_REDIS_URL:
        pytest.fail("this test needs Redis: run it with scripts/test", pytrace=False)
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    settings_env(SCRM_REDIS_URL=TEST_REDIS_URL)
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """An embedded-default database file with every migration applied, built once per run."""
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
    path = tmp_path / "scrm.db"
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


@pytest.fixture
def served_any(committed_any) -> Iterator[LiveService]:
    """The app served on loopback over ``committed_any``'s database: for requests racing from several threads."""
    service = LiveService()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def client(db):
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def products(db):
    return {p.code: p for p in customer_service.seed_products(db)}
