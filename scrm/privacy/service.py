"""Recording full views of personal data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scrm.privacy.models import PiiView


def record_view(session: Session, *, employee_id: int, customer_id: int, fields: list[str], reason: str) -> PiiView:
    """Write one audit row for a full view; in the caller's transaction so no view goes unrecorded."""
    row = PiiView(employee_id=employee_id, customer_id=customer_id, fields=sorted(set(fields)), reason=reason)
    session.add(row)
    session.flush()
    return row


def views_of(session: Session, customer_id: int) -> list[PiiView]:
    return list(session.scalars(
        select(PiiView).where(PiiView.customer_id == customer_id).order_by(PiiView.viewed_at.desc(), PiiView.id.desc())))
