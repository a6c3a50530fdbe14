"""Loading one back-office record by id, optionally locked for the change about to be made."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core.errors import AppError, NotFound

M = TypeVar("M")


def get_or_404(session: Session, model: type[M], record_id: int, label: str, *, lock: bool = False) -> M:
    """The record, or NotFound naming it (``label``: 订单, 结算单, …); ``lock`` takes a row lock (FOR UPDATE)."""
    return one_or_raise(session, model, model.id == record_id, NotFound(f"没有编号为 {record_id} 的{label}"), lock=lock)


def one_or_raise(session: Session, model: type[M], condition: Any, missing: AppError, *, lock: bool = False) -> M:
    """The one record matching ``condition``, or ``missing`` raised; ``lock`` takes a row lock (FOR UPDATE)."""
    stmt = select(model).where(condition)
    if lock:
        stmt = stmt.with_for_update()
    record = session.scalar(stmt)
    if record is None:
        raise missing
    return record
