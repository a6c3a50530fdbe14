"""The audit trail of every full (unmasked) view of a customer's personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class PiiView(Base):
    __tablename__ = "pii_view"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    fields: Mapped[list] = mapped_column(JSONDoc, default=list)  # ["phone", "id_no"]
    reason: Mapped[str] = mapped_column(String(200))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
