"""The processing team's follow-up records on an order."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.common.models import status_enum
from scrm.core.db import Base, BigId, UTCDateTime, utcnow


class FollowUpKind(str, enum.Enum):
    progress = "progress"
    submitted = "submitted"  # file submitted to the funder
    approved = "approved"
    rejected = "rejected"
    disbursed_pending = "disbursed_pending"  # 已放款待结算


class ProcessingFollowUp(Base):
    __tablename__ = "bo_processing_follow_up"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("bo_order.id"), index=True)
    employee_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[FollowUpKind] = mapped_column(status_enum(FollowUpKind))
    content: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
