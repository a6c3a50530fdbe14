"""Engine, sessions and the declarative base.

The caller owns the transaction: request dependencies and job wrappers use ``session_scope``;
services only ``flush()``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

import psycopg
from sqlalchemy import (JSON, BigInteger, DateTime, Enum, Integer, MetaData, Select, create_engine, event, func, select,
                        text, union)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.types import TypeDecorator

from scrm.core.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


JSONDoc = JSON().with_variant(postgresql.JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY, so big ids fall back to INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


_engine: Engine | None = None
SessionLocal = sessionmaker(autoflush=False, expire_on_commit=False)


def make_engine(url: str) -> Engine:
    """An engine for ``url``. On SQLite every transaction begins IMMEDIATE, taking the one writer's
    lock before its first read: transactions serialise, so a check and the write it decides are atomic
    there as a ``SELECT … FOR UPDATE`` makes them on PostgreSQL (``with_for_update`` is a no-op on
    SQLite and needs no branch). Deferred transactions would all read the same state and then queue
    to write it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            # the driver's own transaction handling begins only before a write, so the reads that
            # decide the write would run outside it; SQLAlchemy's begin event below takes over
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN IMMEDIATE"))

        @event.listens_for(engine, "handle_error")
        def _sqlite_out_of_range(context):
            # a number past 64 bits (an id of 2^63, an offset past it): PostgreSQL refuses it with a
            # DataError, the sqlite3 driver with a bare OverflowError; the same DataError here, so the
            # app answers both with its 422 instead of a 500 on the embedded default
            if isinstance(context.original_exception, OverflowError):
                return DataError(context.statement, context.parameters, context.original_exception)

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        settings = get_settings()
        if settings.embedded:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        _engine = make_engine(settings.effective_database_url)
        SessionLocal.configure(bind=_engine)
    return _engine


def set_engine(engine: Engine | None, **session_options: Any) -> None:
    """Point the process at another engine (tests, the demo). ``None`` forgets it."""
    global _engine
    _engine = engine
    SessionLocal.configure(bind=engine, **session_options)


# SQLSTATE classes of a server that is away or going away: connection exceptions, operator intervention
_AWAY_SQLSTATES = ("08", "57P")


def unavailable(exc: BaseException) -> bool:
    """Whether a database error means the server cannot be reached now (retry later), not a fault in the query."""
    if isinstance(exc, SATimeoutError):  # no pooled connection came free
        return True
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):  # psycopg used directly
        return exc.sqlstate is None or exc.sqlstate.startswith(_AWAY_SQLSTATES)
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, psycopg.Error):
        return unavailable(exc.orig)
    return "database is locked" in str(exc.orig)  # SQLite's one writer is busy


def new_session(*, read_only: bool = False) -> Session:
    engine = get_engine()
    if read_only and isinstance(engine, Engine) and engine.dialect.name == "sqlite":
        return SessionLocal(bind=engine.execution_options(sqlite_begin="BEGIN DEFERRED"))
    return SessionLocal()


@contextlib.contextmanager
def session_scope(*, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error. Jobs queued inside it go out after commit.

    ``read_only`` is for a lookup made while the same thread may hold another transaction open (on
    SQLite every other transaction takes the writer's lock, so that lookup would wait for itself).
    """
    session = new_session(read_only=read_only)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def engine_bound() -> Engine | None:
    """The engine sessions use, or None when they are bound to a single connection (the test fixtures)."""
    get_engine()
    bind = SessionLocal.kw.get("bind")
    return bind if isinstance(bind, Engine) else None


def insert_ignore_many(session: Session, table, rows: list[dict], conflict_cols: list[str], returning: list) -> list:
    """One multi-row INSERT ... ON CONFLICT DO NOTHING; returns the ``returning`` columns of the rows inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # executemany form: the statement is compiled once and cached, and SQLAlchemy sends the rows in
    # multi-row batches ("insertmanyvalues"), RETURNING included
    stmt = ins(table).on_conflict_do_nothing(index_elements=conflict_cols).returning(*returning)
    return list(session.execute(stmt, rows).all())


def insert_ignore(session: Session, table, values: dict, conflict_cols: list[str]):
    """INSERT ... ON CONFLICT DO NOTHING; returns the new primary key, or None when the row existed."""
    inserted = insert_ignore_many(session, table, [values], conflict_cols, list(table.primary_key.columns))
    return inserted[0][0] if inserted else None


def fold_appended(session: Session, table: str, key: tuple[str, ...], values: tuple[str, ...]) -> int:
    """Fold the +/- rows triggers append to a counts table into one row per key (dropping keys whose values all
    sum to zero); returns how many rows were folded. Safe beside writers and a second folder: on PostgreSQL one
    statement over one snapshot, on SQLite inside the one write transaction."""
    columns = ", ".join(key + values)
    sums = ", ".join(f"sum({v})" for v in values)
    nonzero = " OR ".join(f"sum({v}) <> 0" for v in values)
    grouped = ", ".join(key)
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text(
            f"WITH folded AS (DELETE FROM {table} RETURNING {columns}), "
            f"kept AS (INSERT INTO {table} ({columns}) SELECT {grouped}, {sums} FROM folded "
            f"GROUP BY {grouped} HAVING {nonzero}) SELECT count(*) FROM folded")).scalar_one())
    upto = session.scalar(text(f"SELECT max(id) FROM {table}"))
    if upto is None:
        return 0
    session.execute(text(f"INSERT INTO {table} ({columns}) SELECT {grouped}, {sums} FROM {table} "
                         f"WHERE id <= :upto GROUP BY {grouped} HAVING {nonzero}"), {"upto": upto})
    return session.execute(text(f"DELETE FROM {table} WHERE id <= :upto"), {"upto": upto}).rowcount


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def enum_column(e, length: int = 20) -> Any:
    """A non-native enum column storing the members' values (portable to SQLite, no database type)."""
    return Enum(e, native_enum=False, length=length, values_callable=lambda cls: [m.value for m in cls])


# Counting every match of a list's filters costs a scan of them all; past this many, a list shows the planner's
# estimate ("约 N 条") on PostgreSQL instead
EXACT_COUNT_UP_TO = 10_000


@dataclass(frozen=True)
class Count:
    n: int
    estimated: bool = False


class _ExplainJSON(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Select) -> None:
        self.statement = statement


@compiles(_ExplainJSON, "postgresql")
def _explain_json(element: _ExplainJSON, compiler, **kw) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def count_rows(session: Session, *statements: Select, exact_up_to: int | None = None) -> Count:
    """How many distinct rows the ``statements`` select together (one id column each): exact up to ``exact_up_to``
    (reading no more than that many rows of each), beyond it the planner's estimate on PostgreSQL (never below the
    exact bound) and an exact count on SQLite, whose databases are the small installs."""
    exact_up_to = EXACT_COUNT_UP_TO if exact_up_to is None else exact_up_to
    bounded = [select(s.order_by(None).limit(exact_up_to + 1).subquery()) for s in statements]
    counted = bounded[0] if len(bounded) == 1 else union(*bounded)
    n = int(session.scalar(select(func.count()).select_from(counted.subquery())) or 0)
    if n <= exact_up_to:
        return Count(n)
    rows = (statements[0].order_by(None) if len(statements) == 1 else union(*statements)).subquery()
    if not is_postgres(session):
        return Count(int(session.scalar(select(func.count()).select_from(rows)) or 0))
    plan = session.execute(_ExplainJSON(select(rows.c[0]))).scalar()
    return Count(max(int(plan[0]["Plan"]["Plan Rows"]), exact_up_to + 1), estimated=True)
