from decimal import Decimal

import pytest
from sqlalchemy import select

from scrm.core import jobs
from scrm.core.db import session_scope
from scrm.core.events import EventDelivery, OutboxEvent, emit
from scrm.core.money import from_fen, parse_yuan, round_fen, to_fen
from scrm.customers.events import CustomerStageChanged
from scrm.org.models import Employee, Role

RAN: list[int] = []


@jobs.job("tests.record_job")
def record_job(value: int) -> None:
    RAN.append(value)


def test_job_waits_for_commit_and_is_dropped_on_rollback(db):
    RAN.clear()
    with pytest.raises(RuntimeError):
        with session_scope() as session:
            jobs.enqueue(session, "tests.record_job", 1)
            raise RuntimeError("boom")
    assert RAN == []
    with session_scope() as session:
        jobs.enqueue(session, "tests.record_job", 2)
        assert RAN == []
    assert RAN == [2]


@pytest.mark.pure
def test_money_rounds_half_up_once():
    assert round_fen(Decimal("0.005")) == Decimal("0.01")
    assert round_fen(Decimal("-0.005")) == Decimal("-0.01")
    assert to_fen(Decimal("12.345")) == 1235
    assert from_fen(1235) == Decimal("12.35")
    with pytest.raises(TypeError):
        parse_yuan(1.5)
    with pytest.raises(ValueError):
        parse_yuan("NaN")


def test_pii_column_is_encrypted_at_rest(db):
    from sqlalchemy import text

    db.add(Employee(name="王五", username="wangwu", role=Role.sales, mobile="13800138000"))
    db.flush()
    raw = db.execute(text("select mobile from employee where username='wangwu'")).scalar()
    assert "13800138000" not in raw and ":" in raw
    assert db.scalar(select(Employee.mobile).where(Employee.username == "wangwu")) == "13800138000"


def test_event_without_subscribers_is_marked_dispatched(db):
    event = emit(db, CustomerStageChanged(customer_id=1, from_stage="lead", to_stage="signed"))
    assert event.dispatched_at is not None
    assert db.scalars(select(EventDelivery)).all() == []
    assert db.get(OutboxEvent, event.id).payload == {"customer_id": 1, "from_stage": "lead", "to_stage": "signed"}


@jobs.job("tests.always_fails")
def always_fails(marker: str) -> None:
    RAN.append(marker)
    raise RuntimeError(f"cannot do {marker}")


def test_inline_job_that_keeps_failing_is_kept_and_can_be_retried(db):
    from scrm.core.jobs import JobFailure

    RAN.clear()
    jobs.enqueue(None, "tests.always_fails", "x")
    assert RAN == ["x"] * jobs.INLINE_ATTEMPTS
    failed = jobs.failed_jobs()
    assert [(f["func"], f["reason"]) for f in failed] == [("tests.always_fails", "RuntimeError: cannot do x")]
    assert jobs.retry_failed() == 1
    assert RAN == ["x"] * (2 * jobs.INLINE_ATTEMPTS)
    assert len(db.scalars(select(JobFailure)).all()) == 1  # failed again, recorded again
