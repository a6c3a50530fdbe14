"""What the mini-program keeps of its own: applications with their privacy consent, and settlement
statements as the back-office announced them (so a customer can read theirs without ``scrm``
importing ``backoffice``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scrm.core.db import Base, BigId, JSONDoc, UTCDateTime, utcnow


class LoanApplication(Base):
    """One application sent from the mini-program, with the consent it was sent under."""

    __tablename__ = "loan_application"
    __table_args__ = (UniqueConstraint("customer_id", "request_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_product.id"))
    # the form version it was filled with
    form_id: Mapped[int | None] = mapped_column(ForeignKey("loan_product_form.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(200))
    fields: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    consent_version: Mapped[str] = mapped_column(String(32))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SettlementStatement(Base):
    """The settlement of a customer's loan as ``settlement.closed`` told it; ``voided_at`` when withdrawn."""

    __tablename__ = "settlement_statement"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(BigId, unique=True)
    order_id: Mapped[int] = mapped_column(BigId, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    product_code: Mapped[str | None] = mapped_column(String(32))
    funder_type: Mapped[str | None] = mapped_column(String(32))
    service_fee_collected_fen: Mapped[int] = mapped_column(BigInteger)
    disbursed_amount_fen: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
