"""Tables every back-office module shares: the transition log and the agreement-number counter."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, enum_column, utcnow


class TransitionLog(Base):
    """One row per state change of an order, deposit, refund, borrowing, settlement or reimbursement."""

    __tablename__ = "bo_transition"
    __table_args__ = (Index("ix_bo_transition_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_employee_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgreementCounter(Base):
    __tablename__ = "bo_agreement_counter"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


def status_enum(cls: type[enum.Enum]):
    """Every back-office status column: the shared portable enum, 24 characters wide."""
    return enum_column(cls, length=24)
