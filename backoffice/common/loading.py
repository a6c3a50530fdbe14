"""Loading one back-office record by id, optionally locked for the change about to be made."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.core.errors import NotFound

M = TypeVar("M")


def get_or_404(session: Session, model: type[M], record_id: int, label: str, *, lock: bool = False) -> M:
    """The record, or NotFound naming it (``label``: 订单, 结算单, …); ``lock`` takes a row lock (FOR UPDATE)."""
    stmt = select(model).where(model.id == record_id)
    if lock:
        stmt = stmt.with_for_update()
    record = session.scalar(stmt)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的{label}")
    return record
